"""Reads of regions and organizations used by pages, the API and other contexts."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.core.errors import DomainError, NotFound
from yiwang.core.identifiers import is_division_code
from yiwang.regions.constants import PREFIX_LENGTH, Level
from yiwang.regions.models import Organization, Region


def ancestor_codes(code: str) -> list[str]:
    """Codes of the division and every level above it, province first, derived from the code."""
    codes = []
    for length in PREFIX_LENGTH.values():
        candidate = code[:length].ljust(12, "0")
        if candidate not in codes:
            codes.append(candidate)
        if candidate == code:
            break
    return codes


def level_of_code(code: str) -> Level:
    """The level a 12-digit code denotes: the first level whose digits end the code."""
    for level in Level:
        if not code[PREFIX_LENGTH[level] :].strip("0"):
            return level
    return Level.VILLAGE


def get_region(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(f"行政区划 {code}")
    return region


def check_region(code: str) -> str:
    """A known division's 12-digit code, or "" when none was given; else a 400 on `region`."""
    if not code:
        return ""
    if not is_division_code(code):
        raise DomainError.of("region", "区划代码应为12位数字")
    if not Region.objects.filter(code=code).exists():
        raise DomainError.of("region", f"区划 {code} 不存在")
    return code


def region_path(code: str) -> list[Region]:
    """The division and its ancestors, province first."""
    by_code = Region.objects.in_bulk(ancestor_codes(code), field_name="code")
    return [by_code[c] for c in ancestor_codes(code) if c in by_code]


def names_of(codes) -> dict[str, str]:
    """Names of several divisions in one query, by code."""
    return dict(Region.objects.filter(code__in=set(codes)).values_list("code", "name"))


def children_of(code: str) -> QuerySet[Region]:
    return Region.objects.filter(parent__code=code).exclude(name="市辖区").order_by("code")


def top_region() -> Region | None:
    return Region.objects.filter(level=Level.PROVINCE).order_by("code").first()


def organization_by_reference(reference: str) -> Organization | None:
    """An agency named by its USCC (18 characters) or by its id; None when nothing was named."""
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    by_id = reference.isdigit() and len(reference) < 18  # a USCC has 18 characters
    lookup = {"pk": int(reference)} if by_id else {"uscc": reference}
    agency = Organization.objects.filter(**lookup).first()
    if agency is None:
        raise DomainError.of("agency", f"机构 {reference} 不存在，请填写统一社会信用代码或机构编号")
    return agency
