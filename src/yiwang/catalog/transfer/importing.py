"""Importing a catalog file: all or nothing, every fault named by sheet, row and column.

The file is read and checked whole first (validation.py); any fault refuses it before a row
is written. Then every record goes through the same services as an edit on screen, so the
rules, diffs, pending changes, domain events and permission checks are the same:

- a basic item not yet in the catalog is created; one that differs is changed, which
  records a CatalogItemChange and a PendingChange on each of its implementations;
- an implementation new for its (basic item, agency) is created, submitted and published;
  one whose guide differs from its published version gets a revision that is edited,
  submitted and published; an equal one is left alone.

A service refusing a record midway does not stop the import: its reasons are placed on the
record's row and the next record goes on, and at the end any refusal rolls the whole import
back (one transaction). A permission refusal ends it at once. Import never deletes or
revokes: what the file does not mention stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import transaction

from yiwang.catalog import selectors, services
from yiwang.catalog.guide import parse_guide
from yiwang.catalog.models import CatalogItem, ServiceItem, ServiceItemVersion
from yiwang.catalog.permissions import has_any_scope
from yiwang.catalog.transfer.reading import read_document
from yiwang.catalog.transfer.records import Record, ServiceRecord
from yiwang.catalog.transfer.validation import document_errors, main_code_of
from yiwang.core.errors import DomainError, FieldError, Forbidden
from yiwang.regions.models import Organization

CREATED, CHANGED, UNCHANGED = "created", "changed", "unchanged"
IMPORT_NOTE = "由事项目录文件导入"
MAX_REPORTED_ERRORS = 1000


@dataclass
class Tally:
    created: int = 0
    changed: int = 0
    unchanged: int = 0

    def add(self, outcome: str | None) -> None:
        if outcome:
            setattr(self, outcome, getattr(self, outcome) + 1)

    def __str__(self) -> str:
        return f"新增{self.created}、变更{self.changed}、未变{self.unchanged}"


@dataclass
class ImportSummary:
    catalog_items: Tally = field(default_factory=Tally)
    service_items: Tally = field(default_factory=Tally)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        return f"基本目录：{self.catalog_items}；实施清单：{self.service_items}"


@transaction.atomic
def import_catalog(data: bytes, *, filename: str, actor) -> ImportSummary:
    """Import an xlsx or JSON catalog file (format by extension, checked by content)."""
    _require_catalog_staff(actor)
    document = read_document(data, filename=filename)
    _refuse(document_errors(document))
    summary, errors = ImportSummary(), []
    for record in sorted(document.catalog_items, key=_mains_first):
        summary.catalog_items.add(_attempt(record, errors, save_catalog_item, record, actor))
    for service in document.service_items:
        summary.service_items.add(_attempt(service, errors, save_service_item, service, actor))
    _refuse(errors)
    return summary


def _require_catalog_staff(actor) -> None:
    """Refuse before reading the file when the actor administers no part of the catalog."""
    if not has_any_scope(actor):
        raise Forbidden("您没有目录管理权限，不能导入事项目录")


def _refuse(errors: list[FieldError]) -> None:
    if not errors:
        return
    shown = errors[:MAX_REPORTED_ERRORS]
    if len(errors) > MAX_REPORTED_ERRORS:
        shown.append(FieldError("", f"另有{len(errors) - MAX_REPORTED_ERRORS}处错误未列出"))
    raise DomainError(shown, title=f"导入未完成：文件有{len(errors)}处错误，未写入任何数据")


def _mains_first(record: Record) -> tuple[bool, str]:
    code = record.data["basic_code"]
    return main_code_of(code) is not None, code


def _attempt(
    target: Record | ServiceRecord, errors: list[FieldError], save: Callable, *args
) -> str | None:
    """Run one record's writes; a refusal is placed on the record's row and collected."""
    try:
        return save(*args)
    except Forbidden as refusal:
        reasons = "；".join(target.error(None, e.message).message for e in refusal.errors)
        raise Forbidden(reasons) from refusal
    except DomainError as refusal:
        errors.extend(target.error(e.field or None, e.message) for e in refusal.errors)
        return None


def _catalog_values(data: dict) -> dict:
    values = {"themes": [], "life_events": [], "keywords": [], "popularity": 0}
    values.update({key: data[key] for key in services.CATALOG_FIELDS if key in data})
    return values


def _differs(item: CatalogItem, values: dict) -> bool:
    wanted = {**values, "levels": sorted(set(values["levels"]))}
    return any(getattr(item, key) != value for key, value in wanted.items())


def save_catalog_item(record: Record, actor) -> str:
    data, values = record.data, _catalog_values(record.data)
    item = CatalogItem.objects.filter(basic_code=data["basic_code"]).first()
    if item is None:
        services.create_catalog_item(
            actor=actor, basic_code=data["basic_code"], main_code=data.get("main_code"), **values
        )
        return CREATED
    if not _differs(item, values):
        return UNCHANGED
    change = services.change_catalog_item(actor=actor, item=item, **values)
    return CHANGED if change else UNCHANGED


def save_service_item(service: ServiceRecord, actor) -> str:
    data = service.data
    guide = parse_guide(service.guide).model_dump(mode="json")
    existing = ServiceItem.objects.filter(
        catalog_item__basic_code=data["basic_code"], agency__uscc=data["agency_uscc"]
    ).first()
    if existing is None:
        _submit_and_publish(_create_service_item(data, guide, actor), actor)
        return CREATED
    published = selectors.published_version(existing)
    if published is not None and published.parsed.model_dump(mode="json") == guide:
        return UNCHANGED
    draft = services.start_revision(actor=actor, service_item=existing)
    services.edit_draft(actor=actor, version=draft, guide=guide, change_note=IMPORT_NOTE)
    _submit_and_publish(draft, actor)
    return CHANGED


def _create_service_item(data: dict, guide: dict, actor) -> ServiceItemVersion:
    catalog_item = CatalogItem.objects.filter(basic_code=data["basic_code"]).first()
    if catalog_item is None:  # its own row was refused; that refusal is already reported
        raise DomainError.of("basic_code", f"基本目录事项 {data['basic_code']} 未能导入")
    return services.create_service_item(
        actor=actor,
        catalog_item=catalog_item,
        agency=Organization.objects.select_related("region").get(uscc=data["agency_uscc"]),
        guide=guide,
        change_note=IMPORT_NOTE,
    )


def _submit_and_publish(version: ServiceItemVersion, actor) -> None:
    services.submit_version(actor=actor, version=version)
    services.publish_version(actor=actor, version=version)
