"""Query parameters of the portal's pages, parsed into typed values or refused in Chinese.

A page never passes a raw parameter on: a value it cannot use becomes a DomainError naming
the field, which the page shows with status 400 instead of failing further down.
"""

from __future__ import annotations

from django.http import QueryDict

from yiwang.catalog.constants import Audience, OnlineDepth
from yiwang.catalog.selectors import MAX_PAGE
from yiwang.core.errors import DomainError
from yiwang.regions.constants import Level

AUDIENCES = {audience.value for audience in Audience}


def text(value: str, name: str, label: str, *, max_length: int = 100) -> str:
    """Free text from a URL (NUL never gets here: core.middleware refuses it)."""
    value = value.strip()
    if len(value) > max_length:
        raise DomainError.of(name, f"{label}过长，最多{max_length}个字符")
    return value


def implementation_code(value: str) -> str:
    return text(value, "code", "实施编码")


def integer(params: QueryDict, name: str, label: str, *, default: int, low: int, high: int) -> int:
    raw = params.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise DomainError.of(name, f"{label}应为{low}到{high}之间的整数")
    return int(raw)


def audience(value: str) -> str:
    if value and value not in AUDIENCES:
        raise DomainError.of("audience", "服务对象应为 person（个人）或 organization（法人）")
    return value


def depth(params: QueryDict) -> int:
    return integer(params, "depth", "网上办理深度", default=0, low=0, high=max(OnlineDepth))


def page(params: QueryDict) -> int:
    return integer(params, "page", "页码", default=1, low=1, high=MAX_PAGE)


def level(value: str) -> int:
    if not value.isdigit() or int(value) not in Level.values:
        raise DomainError.of("level", "层级应为1（省级）到5（村级）之间的整数")
    return int(value)
