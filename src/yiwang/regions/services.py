"""Writes of regions and organizations.

Divisions come from an official list (the NBS 12-digit statistical codes, GB/T 2260 for the
first six digits) and are imported idempotently: a second import of the same list changes
nothing; a newer edition updates names and adds divisions. Organizations carry a validated
USCC, as every agency's code is part of the implementation codes built on it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from yiwang.core.errors import DomainError
from yiwang.core.identifiers import is_division_code, validate_uscc
from yiwang.regions.constants import Level, OrganizationKind, RegionKind
from yiwang.regions.models import Organization, Region
from yiwang.regions.selectors import ancestor_codes, level_of_code

BATCH = 2000


@dataclass
class ImportStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class DivisionRow:
    code: str
    name: str
    level: int
    parent_code: str


def read_divisions_csv(path: Path) -> list[DivisionRow]:
    """Rows of a code,name,level,parent_code file; lines starting with # are its provenance."""
    with path.open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return [
            DivisionRow(
                r["code"].strip(), r["name"].strip(), int(r["level"]), r["parent_code"].strip()
            )
            for r in csv.DictReader(lines)
        ]


def _check_row(row: DivisionRow, number: int, known: set[str]) -> None:
    where = f"第{number}行"
    if not is_division_code(row.code):
        raise DomainError.of("code", f"{where}区划代码 {row.code} 应为12位数字")
    if row.level not in Level.values or level_of_code(row.code) != row.level:
        raise DomainError.of("level", f"{where}层级 {row.level} 与区划代码 {row.code} 不符")
    expected_parent = ancestor_codes(row.code)[-2] if row.level > Level.PROVINCE else ""
    if row.parent_code != expected_parent or (expected_parent and expected_parent not in known):
        raise DomainError.of("parent_code", f"{where}上级代码 {row.parent_code} 无效")
    if not row.name:
        raise DomainError.of("name", f"{where}名称为空")


def _kind_of(row: DivisionRow) -> str:
    if row.name == "市辖区":
        return RegionKind.PLACEHOLDER
    if row.level == Level.COUNTY and row.code[4] == "7":
        return RegionKind.ZONE
    return RegionKind.DIVISION


@transaction.atomic
def import_divisions(
    rows: Iterable[DivisionRow], *, dataset: str, generated: bool = False
) -> ImportStats:
    """Create or update divisions, parents first. A bad row imports nothing."""
    ordered = sorted(rows, key=lambda r: (r.level, r.code))
    known = set(Region.objects.values_list("code", flat=True))
    for number, row in enumerate(ordered, start=1):
        _check_row(row, number, known)
        known.add(row.code)

    stats = ImportStats()
    existing = {r.code: r for r in Region.objects.all()}
    for level in Level:
        _import_level([r for r in ordered if r.level == level], existing, dataset, generated, stats)
    return stats


def _import_level(rows, existing, dataset, generated, stats) -> None:
    to_create, to_update = [], []
    for row in rows:
        region = existing.get(row.code)
        if region is None:
            to_create.append(
                Region(
                    code=row.code,
                    name=row.name,
                    level=row.level,
                    kind=_kind_of(row),
                    parent=existing.get(row.parent_code),
                    dataset=dataset,
                    generated=generated,
                )
            )
        elif region.name != row.name or region.kind != _kind_of(row):
            region.name, region.kind, region.dataset = row.name, _kind_of(row), dataset
            to_update.append(region)
        else:
            stats.unchanged += 1
    Region.objects.bulk_create(to_create, batch_size=BATCH)
    Region.objects.bulk_update(to_update, ["name", "kind", "dataset"], batch_size=BATCH)
    stats.created += len(to_create)
    stats.updated += len(to_update)
    if to_create:
        existing.update(Region.objects.in_bulk([r.code for r in to_create], field_name="code"))


@transaction.atomic
def create_organization(
    *,
    name: str,
    uscc: str,
    region_code: str,
    kind: str,
    sector: str = "",
    parent: Organization | None = None,
) -> Organization:
    """Register an agency. The USCC is validated and must be unique."""
    uscc = validate_uscc(uscc, field="uscc")
    if not name.strip():
        raise DomainError.of("name", "机构名称不能为空")
    if kind not in OrganizationKind.values:
        raise DomainError.of("kind", f"机构类别 {kind} 无效")
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise DomainError.of("region", f"行政区划 {region_code} 不存在")
    if Organization.objects.filter(uscc=uscc).exists():
        raise DomainError.of("uscc", f"统一社会信用代码 {uscc} 已被其他机构使用")
    if Organization.objects.filter(region=region, name=name.strip()).exists():
        raise DomainError.of("name", f"{region.name}已有名为“{name}”的机构")
    return Organization.objects.create(
        name=name.strip(), uscc=uscc, region=region, kind=kind, sector=sector, parent=parent
    )
