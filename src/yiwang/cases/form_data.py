"""The application form of a case: the item's JSON Schema (or the default one), filled first
from what the platform holds ("tell us once"), validated with field-by-field Chinese reasons."""

from __future__ import annotations

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
