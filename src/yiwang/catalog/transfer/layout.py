"""The one layout of a catalog file: which sheets, which columns, how each value is written.

Every reader and writer is driven by the table SHEETS below; nothing knows a sheet by hand.

**JSON** (``.json``, UTF-8)::

    {"format": "yiwang-catalog", "version": 1,
     "catalog_items": [{"basic_code", "item_type", "name", "main_code", "legal_basis",
                        "levels", "sector", "audience", "themes", "life_events",
                        "keywords", "popularity"}, ...],
     "service_items": [{"implementation_code", "basic_code", "agency_uscc", "agency_name",
                        "region_code", "guide": {every field of guide.Guide}}, ...]}

Values are stored values: enum codes ("XK", "organization", "promised"), levels and online
stages as integers, legal_basis as [{"law", "article"}], amounts in fen, booleans as JSON
booleans. A missing or null key means the field's default.

**xlsx** (``.xlsx``): one sheet per record kind. Row 1 holds the Chinese headers, row 2 (hidden)
the English field keys, data starts at row 3. Columns are found by their key, so their order
is free and extra columns (notes) are ignored; a sheet without the key row is read by its
Chinese headers from row 2 on. A sheet that is absent means "no rows of that kind".

Sheets (the first two one row per record, the others one row per entry of a guide's list,
linked by 实施编码 and ordered by 序号 = the entry's position 1, 2, …):

- 基本目录: a catalog item (basic_code … popularity).
- 实施清单: an implementation with its current published guide: codes, agency, region and
  the guide's single-valued and text-list fields.
- 申请材料 (materials), 办理流程 (steps), 收费标准 (fees), 办理地点 (locations),
  常见问题 (faq), 相关政策 (policies): 实施编码 + 序号 + the entry's fields.

Cell forms:
- text: as is (leading/trailing blanks dropped); an empty cell means the default.
- list of text (受理条件, 主题, …): one entry per line; entries cannot contain a line break.
- enumerations: the Chinese label ("承诺件", "法人", "省级"); the stored code is accepted too.
- 网上办理环节: the national data dictionary's stage numbers joined by ^, e.g. 1^2^3^4.
- 设定依据: one basis per line, written 《法律法规名称》条款, e.g.
  《中华人民共和国食品安全法》第三十五条 or 《婚姻登记条例》（国务院令第804号）第二章: the law is
  the 《title》 with the parenthesis right after it, the article the rest of the line (may be
  empty). A basis this rule would split differently is written 法律法规名称｜条款 (full-width
  bar), which is also how a law without 《》 is written.
- booleans: 是 / 否. Integers: whole numbers (金额 in fen, 时限 in working days).
A sheet 填写说明 generated from this table explains every column to the person filling it in.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from django.db import models

from yiwang.catalog.constants import (
    Audience,
    HandlingKind,
    ItemType,
    MaterialSource,
    Medium,
    OnlineStage,
)
from yiwang.regions.constants import Level

FORMAT, VERSION = "yiwang-catalog", 1


class Invalid(ValueError):
    """A cell or JSON value that cannot be read; the message is the Chinese reason."""


class Codec:
    """How one kind of value is written to a cell and read back from a cell or from JSON."""

    hint = ""

    def to_cell(self, value: Any) -> Any:
        return value

    def from_cell(self, raw: Any) -> Any:
        raise NotImplementedError

    def from_json(self, raw: Any) -> Any:
        raise NotImplementedError


class Text(Codec):
    hint = "文本"

    def from_cell(self, raw: Any) -> str:
        if isinstance(raw, bool):
            raise Invalid("应为文本")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        return str(raw).strip()

    def from_json(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise Invalid("应为文本")
        return raw.strip()


class Integer(Codec):
    hint = "整数"

    def from_cell(self, raw: Any) -> int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and re.fullmatch(r"[+-]?\d+", raw.strip()):
            return int(raw)
        raise Invalid(f"应为整数，“{raw}”不是整数")

    def from_json(self, raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise Invalid("应为整数")
        return raw


class Boolean(Codec):
    hint = "是 / 否"
    WORDS = {"是": True, "否": False}

    def to_cell(self, value: bool) -> str:
        return "是" if value else "否"

    def from_cell(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip()
        if text not in self.WORDS:
            raise Invalid(f"应填“是”或“否”，不能是“{text}”")
        return self.WORDS[text]

    def from_json(self, raw: Any) -> bool:
        if not isinstance(raw, bool):
            raise Invalid("应为 true 或 false")
        return raw


class Choice(Codec):
    """An enumeration, written by its Chinese label (or by its number, for stage codes)."""

    def __init__(self, choices: type[models.Choices], *, by_number: bool = False):
        self.choices = choices
        self.by_number = by_number
        self.hint = "、".join(self._shown(value) for value in choices.values) + " 之一"

    def _shown(self, value: Any) -> str:
        choice = self.choices(value)
        return f"{value}（{choice.label}）" if self.by_number else str(choice.label)

    def to_cell(self, value: Any) -> str:
        choice = self.choices(value)
        return str(choice.value) if self.by_number else str(choice.label)

    def from_cell(self, raw: Any) -> Any:
        text = Text().from_cell(raw)
        for value, label in self.choices.choices:
            if text in (str(value), label):
                return value
        raise Invalid(f"“{text}”不是允许的取值，应为{self.hint}")

    def from_json(self, raw: Any) -> Any:
        if isinstance(raw, bool) or raw not in self.choices.values:
            shown = "、".join(str(value) for value in self.choices.values)
            raise Invalid(f"“{raw}”不是允许的取值，应为 {shown} 之一")
        return raw


class Many(Codec):
    """A list of values in one cell, joined by a separator (a line break or ^)."""

    def __init__(self, item: Codec, *, separator: str = "\n"):
        self.item = item
        self.separator = separator
        joined = "每行一项" if separator == "\n" else f"以 {separator} 分隔，如 1^2^3^4"
        self.hint = f"{joined}；每项为{item.hint}"

    def to_cell(self, values: list) -> str:
        return self.separator.join(str(self.item.to_cell(value)) for value in values)

    def from_cell(self, raw: Any) -> list:
        parts = Text().from_cell(raw).replace("\r\n", "\n").split(self.separator)
        return [self.item.from_cell(part) for part in (p.strip() for p in parts) if part]

    def from_json(self, raw: Any) -> list:
        if not isinstance(raw, list):
            raise Invalid("应为列表")
        return [self.item.from_json(value) for value in raw]


class LegalBasisLine(Codec):
    """《法律法规名称》（文号）条款 ↔ {"law": "《法律法规名称》（文号）", "article": "条款"}.

    The law is the title in 《》 with the parenthesis right after it (a decree number), the
    article the rest of the line. A basis that this reading would split elsewhere (a law
    without 《》, an article starting with a parenthesis) is written law｜article instead.
    """

    hint = (
        "《法律法规名称》条款，如《中华人民共和国食品安全法》第三十五条；"
        "名称不带书名号时写成 名称｜条款"
    )
    SEPARATOR = "｜"
    LINE = re.compile(r"(《[^》]+》(?:[（(][^）)]*[）)])?)(.*)")

    def to_cell(self, basis: dict) -> str:
        law, article = basis["law"], basis.get("article", "")
        if self._split(f"{law}{article}") == (law, article):
            return f"{law}{article}"
        return f"{law}{self.SEPARATOR}{article}"

    def _split(self, line: str) -> tuple[str, str] | None:
        if self.SEPARATOR in line:
            law, _, article = line.partition(self.SEPARATOR)
            return law.strip(), article.strip()
        match = self.LINE.fullmatch(line)
        return (match.group(1), match.group(2).strip()) if match else None

    def from_cell(self, raw: Any) -> dict:
        split = self._split(Text().from_cell(raw))
        if split is None or not split[0]:
            raise Invalid(f"每行应写成{self.hint}")
        return {"law": split[0], "article": split[1]}

    def from_json(self, raw: Any) -> dict:
        if not isinstance(raw, dict) or not set(raw) <= {"law", "article"} or "law" not in raw:
            raise Invalid('每项应为 {"law": "法律法规名称", "article": "条款"}')
        return {
            "law": Text().from_json(raw["law"]),
            "article": Text().from_json(raw.get("article", "")),
        }


class JsonObject(Codec):
    """A structured part of the guide (the application form) kept as one JSON cell."""

    hint = "JSON 对象"

    def to_cell(self, value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False)

    def from_cell(self, raw: Any) -> dict | None:
        text = str(raw or "").strip()
        if not text:
            return None
        try:
            return self.from_json(json.loads(text))
        except json.JSONDecodeError as error:
            raise Invalid(f"不是有效的 JSON（第{error.lineno}行第{error.colno}列）") from error

    def from_json(self, raw: Any) -> dict | None:
        if raw is not None and not isinstance(raw, dict):
            raise Invalid("应为 JSON 对象")
        return raw


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    codec: Codec
    required: bool = False
    in_guide: bool = False  # the value lives in the implementation's guide (JSON: "guide")
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]
    collection: str = ""  # for entry sheets: the guide's list field the rows fill

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)

    @property
    def entry_columns(self) -> tuple[Column, ...]:
        """Columns of the entry itself, without the link to its implementation."""
        return tuple(c for c in self.columns if c.key not in LINK_KEYS)


TEXT, INTEGER, BOOLEAN = Text(), Integer(), Boolean()
LINES = Many(TEXT)


def _guide(*columns: Column) -> tuple[Column, ...]:
    return tuple(replace(column, in_guide=True) for column in columns)


CATALOG = Sheet(
    "基本目录",
    (
        Column("basic_code", "基本编码", TEXT, required=True, width=14),
        Column("item_type", "事项类型", Choice(ItemType), required=True, width=12),
        Column("name", "事项名称", TEXT, required=True, width=30),
        Column("main_code", "主项编码", TEXT, width=14),
        Column("legal_basis", "设定依据", Many(LegalBasisLine()), required=True, width=40),
        Column("levels", "可实施层级", Many(Choice(Level)), required=True, width=10),
        Column("sector", "主管领域", TEXT, required=True, width=12),
        Column("audience", "服务对象", Many(Choice(Audience)), required=True, width=10),
        Column("themes", "主题", LINES),
        Column("life_events", "人生/企业事件", LINES),
        Column("keywords", "搜索关键词", LINES),
        Column("popularity", "热度", INTEGER, width=8),
    ),
)

IDENTITY_KEYS = ("implementation_code", "basic_code", "agency_name", "agency_uscc", "region_code")

SERVICE = Sheet(
    "实施清单",
    (
        Column("implementation_code", "实施编码", TEXT, required=True, width=44),
        Column("basic_code", "基本编码", TEXT, required=True, width=14),
        Column("agency_name", "实施机构", TEXT, required=True, width=24),
        Column("agency_uscc", "实施机构统一社会信用代码", TEXT, required=True, width=22),
        Column("region_code", "实施区划代码", TEXT, required=True, width=14),
        *_guide(
            Column("audience", "服务对象", Many(Choice(Audience)), width=10),
            Column("handling_kind", "办件类型", Choice(HandlingKind), width=10),
            Column("conditions", "受理条件", LINES, width=40),
            Column("statutory_limit", "法定办结时限", INTEGER, width=10),
            Column("promised_limit", "承诺办结时限", INTEGER, width=10),
            Column(
                "online_stages",
                "网上办理环节",
                Many(Choice(OnlineStage, by_number=True), separator="^"),
                width=12,
            ),
            Column("visits", "到现场次数", INTEGER, width=8),
            Column("consultation", "咨询方式", TEXT, width=24),
            Column("complaint", "投诉方式", TEXT, width=24),
            Column("intermediary_services", "中介服务", LINES, width=24),
            Column("form", "申请表（JSON）", JsonObject(), width=40),
        ),
    ),
)

LINK_KEYS = ("implementation_code", "sequence")
_LINK = (
    Column("implementation_code", "实施编码", TEXT, required=True, width=44),
    Column("sequence", "序号", INTEGER, required=True, width=6),
)


def _entries(title: str, collection: str, *columns: Column) -> Sheet:
    return Sheet(title, _LINK + columns, collection=collection)


ENTRY_SHEETS = (
    _entries(
        "申请材料",
        "materials",
        Column("name", "材料名称", TEXT, width=30),
        Column("basis", "设定依据", TEXT, width=30),
        Column("source", "来源渠道", Choice(MaterialSource), width=12),
        Column("license_type", "证照类型", TEXT, width=14),
        Column("medium", "材料形式", Choice(Medium), width=10),
        Column("copies", "份数", INTEGER, width=6),
        Column("original", "是否需要原件", BOOLEAN, width=8),
        Column("required", "是否必要", BOOLEAN, width=8),
        Column("condition", "提交条件", TEXT, width=20),
        Column("blank_form", "有无空白表格", BOOLEAN, width=8),
        Column("sample", "有无示例样表", BOOLEAN, width=8),
        Column("notes", "填报须知", TEXT, width=24),
    ),
    _entries(
        "办理流程",
        "steps",
        Column("name", "环节名称", TEXT),
        Column("description", "办理说明", TEXT, width=40),
    ),
    _entries(
        "收费标准",
        "fees",
        Column("name", "收费项目", TEXT, width=24),
        Column("amount_fen", "金额（分）", INTEGER, width=10),
        Column("basis", "收费依据", TEXT, width=30),
        Column("waiver", "减免政策", TEXT, width=24),
    ),
    _entries(
        "办理地点",
        "locations",
        Column("name", "地点名称", TEXT, width=24),
        Column("address", "地址", TEXT, width=30),
        Column("hours", "办公时间", TEXT, width=24),
        Column("phone", "联系电话", TEXT, width=14),
    ),
    _entries(
        "常见问题",
        "faq",
        Column("q", "问题", TEXT, width=30),
        Column("a", "解答", TEXT, width=50),
    ),
    _entries(
        "相关政策",
        "policies",
        Column("title", "政策名称", TEXT, width=30),
        Column("ref", "文号或链接", TEXT, width=30),
    ),
)

SHEETS = (CATALOG, SERVICE, *ENTRY_SHEETS)
ENTRY_SHEET_OF = {sheet.collection: sheet for sheet in ENTRY_SHEETS}
NOTES_TITLE = "填写说明"
