"""Checks of a whole read file before anything is written (一次性告知: every fault at once).

Codes are checked with the code schemes, agencies against the organizations table, each
guide with guide.parse_guide and the automatic checks that submission runs (catalog.checks),
so a file that passes here is refused later only for what needs the database's state
(permissions, levels an agency may implement at, an open draft).
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.catalog.checks import ERROR, GUIDE_CHECKS
from yiwang.catalog.constants import ItemType
from yiwang.catalog.guide import parse_guide
from yiwang.catalog.models import CatalogItem
from yiwang.catalog.plugins.codes import basic_code_problems, code_schemes
from yiwang.catalog.transfer.layout import IDENTITY_KEYS
from yiwang.catalog.transfer.records import Document, Record, ServiceRecord
from yiwang.core.errors import DomainError, FieldError
from yiwang.core.identifiers import validate_uscc
from yiwang.regions.models import Organization


def main_code_of(basic_code: str) -> str | None:
    """A sub item's main item has the same type and main number and sub number 000."""
    return None if basic_code.endswith("000") else basic_code[:7] + "000"


@dataclass
class Known:
    """What the database already holds, fetched once for the codes the file names."""

    basic_codes: set[str]
    agencies: dict[str, Organization]

    @classmethod
    def for_document(cls, document: Document) -> Known:
        codes = {r.data.get("basic_code") for r in document.service_items}
        codes |= {
            main_code_of(c) for r in document.catalog_items if (c := r.data.get("basic_code"))
        }
        usccs = {r.data.get("agency_uscc") for r in document.service_items}
        return cls(
            basic_codes=set(
                CatalogItem.objects.filter(basic_code__in=codes - {None}).values_list(
                    "basic_code", flat=True
                )
            ),
            agencies=Organization.objects.select_related("region").in_bulk(
                usccs - {None}, field_name="uscc"
            ),
        )


def document_errors(document: Document) -> list[FieldError]:
    known = Known.for_document(document)
    file_codes = {r.data.get("basic_code") for r in document.catalog_items}
    errors = _duplicates(document.catalog_items, "basic_code", "基本编码")
    errors += _duplicates(
        [s.main for s in document.service_items], "implementation_code", "实施编码"
    )
    for record in document.catalog_items:
        errors += catalog_item_errors(record, file_codes | known.basic_codes)
    for service in document.service_items:
        errors += service_item_errors(service, file_codes | known.basic_codes, known.agencies)
    errors += _duplicate_implementations(document.service_items)
    # A cell that could not be read is left out of its record: say so once, not again as missing.
    unreadable = {error.field for error in document.errors}
    return document.errors + [error for error in errors if error.field not in unreadable]


def _duplicates(records: list[Record], key: str, label: str) -> list[FieldError]:
    first_seen: dict[str, Record] = {}
    errors = []
    for record in records:
        value = record.data.get(key)
        if value in first_seen:
            where = first_seen[value].origin.where()
            errors.append(record.error(key, f"{label} {value} 重复，{where}已有同一{label}"))
        elif value:
            first_seen[value] = record
    return errors


def _duplicate_implementations(services: list[ServiceRecord]) -> list[FieldError]:
    first_seen: dict[tuple, ServiceRecord] = {}
    errors = []
    for service in services:
        key = (service.data.get("basic_code"), service.data.get("agency_uscc"))
        if key in first_seen:
            where = first_seen[key].main.origin.where()
            errors.append(
                service.error("agency_uscc", f"同一机构对同一事项只能有一个实施清单，{where}已有")
            )
        elif None not in key:
            first_seen[key] = service
    return errors


def catalog_item_errors(record: Record, basic_codes: set[str]) -> list[FieldError]:
    code = record.data.get("basic_code")
    if not code:
        return []
    problems = basic_code_problems(code)
    if problems:
        return [record.error("basic_code", p) for p in problems]
    errors = []
    item_type = record.data.get("item_type")
    if item_type and code[:2] != item_type:
        label = ItemType(item_type).label
        reason = f"事项类型“{label}”与基本编码 {code} 的类型字母 {code[:2]} 不一致"
        errors.append(record.error("item_type", reason))
    if record.data.get("popularity", 0) < 0:
        errors.append(record.error("popularity", "热度不能为负数"))
    return errors + _main_item_errors(record, code, basic_codes)


def _main_item_errors(record: Record, code: str, basic_codes: set[str]) -> list[FieldError]:
    expected, given = main_code_of(code), record.data.get("main_code")
    if expected is None:
        return (
            [record.error("main_code", "子项编号为000的是主项，不能再填主项编码")] if given else []
        )
    if given and given != expected:
        return [record.error("main_code", f"子项 {code} 的主项编码应为 {expected}")]
    if expected not in basic_codes:
        return [
            record.error(
                "main_code" if given else "basic_code",
                f"子项 {code} 的主项 {expected} 不存在：请在“基本目录”中同时列出主项",
            )
        ]
    return []


def service_item_errors(
    service: ServiceRecord, basic_codes: set[str], agencies: dict[str, Organization]
) -> list[FieldError]:
    return _identity_errors(service, basic_codes, agencies) + guide_errors(service)


def _identity_errors(
    service: ServiceRecord, basic_codes: set[str], agencies: dict[str, Organization]
) -> list[FieldError]:
    data = service.data
    code = data.get("implementation_code")
    problems = code_schemes["yiwang"].problems(code) if code else []
    errors = [service.error("implementation_code", p) for p in problems]
    basic_code = data.get("basic_code")
    if basic_code and basic_code_problems(basic_code):
        errors += [service.error("basic_code", p) for p in basic_code_problems(basic_code)]
    elif basic_code and basic_code not in basic_codes:
        errors.append(service.error("basic_code", f"基本目录中没有基本编码为 {basic_code} 的事项"))
    agency_errors = _agency_errors(service, agencies)
    if not errors and not agency_errors and all(key in data for key in IDENTITY_KEYS):
        errors += _code_mismatch(service)
    return errors + agency_errors


def _agency_errors(service: ServiceRecord, agencies: dict[str, Organization]) -> list[FieldError]:
    uscc = service.data.get("agency_uscc")
    if not uscc:
        return []
    try:
        validate_uscc(uscc)
    except DomainError as error:
        return [service.error("agency_uscc", e.message) for e in error.errors]
    agency = agencies.get(uscc)
    if agency is None:
        return [service.error("agency_uscc", f"没有统一社会信用代码为 {uscc} 的实施机构")]
    errors = []
    name, region_code = service.data.get("agency_name"), service.data.get("region_code")
    if name and name != agency.name:
        errors.append(
            service.error("agency_name", f"与统一社会信用代码对应的机构“{agency.name}”不一致")
        )
    if region_code and region_code != agency.region.code:
        errors.append(
            service.error("region_code", f"应为实施机构所在区划的代码 {agency.region.code}")
        )
    return errors


def _code_mismatch(service: ServiceRecord) -> list[FieldError]:
    data = service.data
    expected = code_schemes["yiwang"].make(
        uscc=data["agency_uscc"], division_code=data["region_code"], basic_code=data["basic_code"]
    )
    if data["implementation_code"] != expected:
        return [
            service.error(
                "implementation_code",
                f"实施编码与实施机构、区划和基本编码不一致，应为 {expected}",
            )
        ]
    return []


def guide_errors(service: ServiceRecord) -> list[FieldError]:
    """The guide as submission would judge it: its schema, then the automatic checks."""
    try:
        guide = parse_guide(service.guide)
    except DomainError as error:
        return [service.error(e.field, e.message) for e in error.errors]
    findings = [f for check in GUIDE_CHECKS for f in check(guide) if f.severity == ERROR]
    return [service.error(f.field, f.message) for f in findings]
