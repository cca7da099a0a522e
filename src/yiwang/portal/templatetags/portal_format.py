"""How the portal shows catalog values: labels of codes, money, visits, nested change values."""

from __future__ import annotations

from django import template

from yiwang.catalog.constants import (
    Audience,
    HandlingKind,
    ItemType,
    MaterialSource,
    Medium,
    OnlineDepth,
    OnlineStage,
)
from yiwang.catalog.guide import LABELS
from yiwang.regions.constants import Level

register = template.Library()

CHOICES = {
    "audience": Audience,
    "depth": OnlineDepth,
    "handling_kind": HandlingKind,
    "item_type": ItemType,
    "level": Level,
    "medium": Medium,
    "source": MaterialSource,
    "stage": OnlineStage,
}
# How the home page and results name the two audiences (the catalog says 自然人/法人).
AUDIENCE_SERVICES = {Audience.PERSON: "个人办事", Audience.ORGANIZATION: "法人办事"}


@register.filter
def label(value, kind: str) -> str:
    """The Chinese label of a stored code; an unknown code shows as itself."""
    choices = CHOICES[kind]
    try:
        return choices(value).label
    except ValueError:
        return str(value)


@register.filter
def labels(values, kind: str) -> str:
    return "、".join(label(value, kind) for value in values or ())


@register.filter
def audience_service(value: str) -> str:
    return AUDIENCE_SERVICES.get(value, label(value, "audience"))


@register.filter
def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals: 1250 → 12.50 元."""
    fen = int(fen)
    return f"{fen // 100:,}.{fen % 100:02d} 元"


@register.filter
def visits(count: int) -> str:
    return "零跑动" if int(count) == 0 else f"最多跑{int(count)}次"


CHANGE_KINDS = {"added": "新增", "removed": "删除", "changed": "修改"}


@register.filter
def change_kind(kind: str) -> str:
    return CHANGE_KINDS.get(kind, kind)


@register.filter
def plain(value) -> str:
    """A value of a version change as readable text, nested records with their field labels."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        return "；".join(f"{LABELS.get(key, key)}：{plain(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "、".join(plain(item) for item in value)
    return str(value)


@register.simple_tag
def page_window(page: int, pages: int, width: int = 2) -> list[int | None]:
    """Page numbers around the current one, the first and the last; None marks a gap."""
    shown = {1, pages, *range(max(1, page - width), min(pages, page + width) + 1)}
    window: list[int | None] = []
    for number in sorted(shown):
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window
