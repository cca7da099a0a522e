"""The application form of a case: the item's JSON Schema (or the default one), filled first
from what the platform holds ("tell us once"), validated with field-by-field Chinese reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from jsonschema import Draft202012Validator

from yiwang.catalog.guide import ApplicationForm, Guide
from yiwang.core.errors import DomainError, FieldError

DEFAULT_FORM = ApplicationForm(
    data_schema={
        "type": "object",
        "properties": {
            "applicant_name": {"title": "申请人", "type": "string"},
            "applicant_id": {"title": "证件号码", "type": "string"},
            "contact_phone": {"title": "联系电话", "type": "string"},
            "organization_name": {"title": "单位名称", "type": "string"},
            "organization_uscc": {"title": "统一社会信用代码", "type": "string"},
            "description": {"title": "申请说明", "type": "string", "maxLength": 2000},
            "contact_address": {"title": "联系地址", "type": "string", "maxLength": 200},
        },
    },
    ui={
        "widgets": {"description": "textarea"},
        "prefill": {
            "applicant_name": "applicant.name",
            "applicant_id": "applicant.id_number",
            "contact_phone": "applicant.phone",
            "organization_name": "organization.name",
            "organization_uscc": "organization.uscc",
        },
    },
)

REASONS = {
    "required": "必须填写",
    "type": "格式不正确",
    "maxLength": "不能超过{limit}个字",
    "minLength": "至少{limit}个字",
    "pattern": "格式不正确",
    "enum": "不在可选范围内",
    "minimum": "不能小于{limit}",
    "maximum": "不能大于{limit}",
    "exclusiveMinimum": "须大于{limit}",
    "exclusiveMaximum": "须小于{limit}",
    "format": "格式不正确",
}


def form_of(guide: Guide) -> ApplicationForm:
    return guide.form or DEFAULT_FORM


def prefilled(form: ApplicationForm, sources: dict[str, str]) -> dict[str, str]:
    """The fields the platform fills itself; the applicant cannot change them."""
    return {
        field: sources[source] for field, source in form.ui.prefill.items() if sources.get(source)
    }


def _field_of(error) -> str:
    if error.validator == "required":
        return error.message.split("'")[1]  # "'name' is a required property"
    return str(error.absolute_path[0]) if error.absolute_path else ""


def _title(form: ApplicationForm, field: str) -> str:
    return form.data_schema["properties"].get(field, {}).get("title", field)


def validate(form: ApplicationForm, data: dict, *, complete: bool) -> None:
    """Refuse with every fault at once. A draft is checked for what it holds; a submission
    (complete=True) also for the required fields."""
    schema = form.data_schema if complete else {**form.data_schema, "required": []}
    data = {
        name: value for name, value in data.items() if value not in ("", None)
    }  # blank = absent
    unknown = sorted(set(data) - set(form.data_schema["properties"]))
    errors = [FieldError(f"form.{name}", f"“{name}”不是本事项申请表的字段") for name in unknown]
    for error in Draft202012Validator(schema).iter_errors(data):
        field = _field_of(error)
        reason = REASONS.get(error.validator, "格式不正确").format(limit=error.validator_value)
        errors.append(FieldError(f"form.{field}", f"{_title(form, field)}：{reason}"))
    if errors:
        raise DomainError(errors)


# --- pages: showing a form and reading it back ---------------------------------------------

MAX_NUMBER_DIGITS = 15  # longer digit strings stay text and are refused as 格式不正确


@dataclass
class FieldView:
    """One field of an application form as a page shows it (portal edit page, window intake)."""

    name: str
    label: str
    widget: str  # prefilled (read-only), text, textarea, select, number, date
    value: str
    required: bool = False
    hint: str = ""
    options: list[str] = field(default_factory=list)
    minimum: object = None
    maximum: object = None
    step: str = ""
    max_length: int | None = None
    error: str = ""

    @property
    def keeps_typed_text(self) -> bool:
        """A number field holding refused text is shown as text, so the reason beside it can be
        understood (a browser blanks a number input's non-number value)."""
        return self.widget == "number" and bool(self.value) and _number(self.value) is None


def shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def widget_of(form: ApplicationForm, name: str, spec: dict) -> str:
    if name in form.ui.prefill:
        return "prefilled"
    hinted = form.ui.widgets.get(name, "")
    if hinted and (hinted != "select" or spec.get("enum")):
        return hinted
    if spec.get("enum"):
        return "select"
    if spec.get("type") in ("integer", "number"):
        return "number"
    return "date" if spec.get("format") == "date" else "text"


def field_view(form: ApplicationForm, name: str, *, value, label: str = "", error: str = ""):
    spec = form.data_schema["properties"][name]
    return FieldView(
        name=name,
        label=label or spec["title"],
        widget=widget_of(form, name, spec),
        value=shown(value),
        required=name in form.data_schema.get("required", []),
        hint=spec.get("description", ""),
        options=[shown(option) for option in spec.get("enum", [])],
        minimum=spec.get("minimum"),
        maximum=spec.get("maximum"),
        step="1" if spec.get("type") == "integer" else "any",
        max_length=spec.get("maxLength"),
        error=error,
    )


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and number.adjusted() < MAX_NUMBER_DIGITS else None


def typed_value(spec: dict, text: str):
    """A posted value as the schema types it: an enum option as itself, a whole number for an
    integer field, a float for a number field. Anything else goes on as typed, so the service
    refuses it with the field's title (格式不正确)."""
    if spec.get("enum"):
        return next((option for option in spec["enum"] if shown(option) == text), text)
    number = _number(text) if spec.get("type") in ("integer", "number") else None
    if number is None:
        return text
    if spec["type"] == "number":
        return float(number)
    return int(number) if number == number.to_integral_value() else text


def posted_values(form: ApplicationForm, posted) -> dict:
    """The fields a person filled, from a POST. Prefilled fields are the platform's and are not
    read; an empty field is left out (a required one is asked for at submission)."""
    properties = form.data_schema["properties"]
    values = {}
    for name in form.fields:
        text = (posted.get(name) or "").strip()
        if text and name not in form.ui.prefill:
            values[name] = typed_value(properties[name], text)
    return values
