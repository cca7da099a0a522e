"""The office guide (办事指南) of a service item version: a validated, typed document.

A published version is immutable, so the guide is stored as one JSON document and validated
here on every write. Field names are the glossary's; labels are what pages and diffs show.
"""

from __future__ import annotations

from typing import Annotated

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from yiwang.catalog.constants import (
    Audience,
    HandlingKind,
    MaterialSource,
    Medium,
    OnlineDepth,
    OnlineStage,
)
from yiwang.core.errors import DomainError, FieldError

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class LegalBasis(_Part):
    law: ShortText
    article: Text = ""

    def __str__(self) -> str:
        return f"{self.law}{self.article}"


class Material(_Part):
    name: ShortText
    basis: Text = ""
    source: MaterialSource = MaterialSource.APPLICANT
    license_type: Text = ""
    medium: Medium = Medium.BOTH
    copies: int = Field(1, ge=0, le=20)
    original: bool = False
    required: bool = True
    condition: Text = ""
    blank_form: bool = False
    sample: bool = False
    notes: Text = ""

    @model_validator(mode="after")
    def _conditional_needs_condition(self) -> Material:
        if not self.required and not self.condition:
            raise ValueError("非必要材料须写明提交条件")
        if self.source == MaterialSource.LICENSE and not self.license_type:
            raise ValueError("来源为电子证照时须写明证照类型")
        return self

    @property
    def can_be_electronic(self) -> bool:
        return self.medium != Medium.PAPER


class Step(_Part):
    name: ShortText
    description: Text = ""


class Fee(_Part):
    name: ShortText
    amount_fen: int = Field(ge=0)
    basis: Text = ""
    waiver: Text = ""


class Location(_Part):
    name: ShortText
    address: Text = ""
    hours: Text = ""
    phone: Text = ""


class Question(_Part):
    q: ShortText
    a: Text


class Policy(_Part):
    title: ShortText
    ref: Text = ""


# What a form field may be prefilled from: data the platform holds ("tell us once").
PREFILL_SOURCES = {
    "applicant.name": "申请人姓名",
    "applicant.id_number": "申请人证件号码（脱敏）",
    "applicant.phone": "申请人手机号（脱敏）",
    "applicant.household_region": "申请人户籍地",
    "organization.name": "单位名称",
    "organization.uscc": "统一社会信用代码",
    "organization.representative": "法定代表人",
    "organization.registered_region": "单位登记地",
}
WIDGETS = {"text", "textarea", "select", "number", "date"}


class FormUi(_Part):
    order: list[ShortText] = []
    widgets: dict[str, str] = {}
    prefill: dict[str, str] = {}


class ApplicationForm(_Part):
    """The item's application form: a JSON Schema (2020-12) of an object whose properties are
    the fields (each with a Chinese `title`), and hints for pages: order, widgets, prefill."""

    data_schema: dict
    ui: FormUi = FormUi()

    @model_validator(mode="after")
    def _well_formed(self) -> ApplicationForm:
        try:
            Draft202012Validator.check_schema(self.data_schema)
        except SchemaError as error:
            raise ValueError(f"表单定义不是有效的 JSON Schema：{error.message}") from error
        fields = self.data_schema.get("properties") or {}
        if self.data_schema.get("type") != "object" or not fields:
            raise ValueError("表单定义须是含字段（properties）的对象")
        untitled = sorted(name for name, spec in fields.items() if not spec.get("title"))
        if untitled:
            raise ValueError(f"表单字段须有中文标题（title）：{'、'.join(untitled)}")
        self._check_ui(set(fields))
        return self

    def _check_ui(self, fields: set[str]) -> None:
        unknown = (set(self.ui.order) | self.ui.widgets.keys() | self.ui.prefill.keys()) - fields
        if unknown:
            raise ValueError(f"表单提示引用了不存在的字段：{'、'.join(sorted(unknown))}")
        bad_sources = sorted(set(self.ui.prefill.values()) - PREFILL_SOURCES.keys())
        if bad_sources:
            raise ValueError(f"未知的预填来源：{'、'.join(bad_sources)}")
        bad_widgets = sorted(set(self.ui.widgets.values()) - WIDGETS)
        if bad_widgets:
            raise ValueError(f"未知的控件：{'、'.join(bad_widgets)}")

    @property
    def fields(self) -> list[str]:
        """Field names in display order: the hinted order first, then the rest."""
        names = list(self.data_schema["properties"])
        return [*self.ui.order, *(name for name in names if name not in self.ui.order)]


class Guide(_Part):
    """Everything an applicant needs to know, as published for one implementation."""

    audience: list[Audience] = Field(min_length=1)
    handling_kind: HandlingKind = HandlingKind.PROMISED
    conditions: list[Text] = []
    materials: list[Material] = []
    steps: list[Step] = []
    statutory_limit: int = Field(ge=1, le=365)
    promised_limit: int = Field(ge=1, le=365)
    fees: list[Fee] = []
    online_stages: list[OnlineStage] = []
    visits: int = Field(0, ge=0, le=3)
    locations: list[Location] = []
    consultation: Text = ""
    complaint: Text = ""
    intermediary_services: list[Text] = []
    faq: list[Question] = []
    policies: list[Policy] = []
    form: ApplicationForm | None = None

    @property
    def online_depth(self) -> int:
        return online_depth(set(self.online_stages), self.visits)

    @property
    def fee_total_fen(self) -> int:
        return sum(fee.amount_fen for fee in self.fees)


def online_depth(stages: set[int], visits: int) -> int:
    """One level from the national stage set: 全程网办 needs handling online and no visit."""
    if OnlineStage.HANDLE in stages and OnlineStage.ACCEPT in stages and visits == 0:
        return OnlineDepth.FULLY_ONLINE
    if OnlineStage.ACCEPT in stages:
        return OnlineDepth.ONLINE_ACCEPTANCE
    if stages & {OnlineStage.RECEIVE, OnlineStage.PRE_REVIEW}:
        return OnlineDepth.PRE_REVIEW
    return OnlineDepth.INFORMATION


LABELS = {
    "guide": "办事指南",
    "elements": "基本要素",
    "item_type": "事项类型",
    "basic_code": "基本编码",
    "legal_basis": "设定依据",
    "revision": "目录修订号",
    "audience": "服务对象",
    "handling_kind": "办件类型",
    "conditions": "受理条件",
    "materials": "申请材料",
    "steps": "办理流程",
    "statutory_limit": "法定办结时限",
    "promised_limit": "承诺办结时限",
    "fees": "收费",
    "online_stages": "网上办理深度",
    "visits": "到现场次数",
    "locations": "办理地点和时间",
    "consultation": "咨询方式",
    "complaint": "投诉方式",
    "intermediary_services": "中介服务",
    "faq": "常见问题",
    "policies": "相关政策",
    "form": "申请表",
    "data_schema": "表单字段",
    "ui": "表单提示",
    "name": "名称",
    "basis": "依据",
    "source": "来源",
    "license_type": "证照类型",
    "medium": "介质",
    "copies": "份数",
    "original": "原件",
    "required": "必要性",
    "condition": "提交条件",
    "blank_form": "空白表格",
    "sample": "示例样表",
    "notes": "填报说明",
    "description": "说明",
    "amount_fen": "金额（分）",
    "waiver": "减免",
    "address": "地址",
    "hours": "时间",
    "phone": "电话",
    "q": "问题",
    "a": "解答",
    "title": "标题",
    "ref": "文号",
    "law": "法律法规",
    "article": "条款",
}

_REASONS = {
    "missing": "必填",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "too_short": "至少填写一项",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "enum": "取值不在允许范围内",
    "extra_forbidden": "不是可填写的字段",
    "list_type": "应为列表",
    "bool_parsing": "应为是或否",
    "value_error": "",
}


def field_label(location: tuple) -> str:
    """materials.2.copies → 申请材料第3项·份数"""
    parts = []
    for part in location:
        if isinstance(part, int):
            parts[-1] = f"{parts[-1]}第{part + 1}项"
        else:
            parts.append(LABELS.get(part, part))
    return "·".join(parts)


def parse_guide(data: dict) -> Guide:
    """Validate a guide document; every fault is reported at once with its field in Chinese."""
    try:
        return Guide.model_validate(data)
    except ValidationError as error:
        raise DomainError(
            [
                FieldError(
                    ".".join(str(p) for p in e["loc"]),
                    f"{field_label(tuple(e['loc']))}{_REASONS.get(e['type'], '格式无效') or '：'}"
                    + (
                        e["msg"].removeprefix("Value error, ") if e["type"] == "value_error" else ""
                    ),
                )
                for e in error.errors()
            ]
        ) from error


def parse_legal_basis(data: list) -> list[LegalBasis]:
    try:
        return [LegalBasis.model_validate(entry) for entry in data]
    except ValidationError as error:
        raise DomainError.of("legal_basis", "设定依据须包含法律法规名称") from error
