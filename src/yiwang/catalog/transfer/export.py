"""Exporting the catalog: every basic item and each implementation's current published guide.

The document (export_document) is the JSON form; the xlsx form lays the same document out
sheet by sheet as the layout table says. The basic catalog is province-wide, so a region
limits only the implementations.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import CatalogItem, ServiceItemVersion
from yiwang.catalog.transfer.layout import (
    CATALOG,
    FORMAT,
    LINK_KEYS,
    NOTES_TITLE,
    SERVICE,
    SHEETS,
    VERSION,
    Column,
    Sheet,
)
from yiwang.core.errors import DomainError
from yiwang.regions.selectors import get_region

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
WRAP = Alignment(wrap_text=True, vertical="top")
BOLD = Font(bold=True)


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def export_file(*, file_format: str, region: str = "") -> ExportFile:
    if file_format not in CONTENT_TYPES:
        raise DomainError.of("format", "导出格式应为 xlsx 或 json")
    document = export_document(region=region)
    content = write_xlsx(document) if file_format == "xlsx" else write_json(document)
    stamp = timezone.localdate().strftime("%Y%m%d")
    filename = f"yiwang-catalog-{region.strip() or 'all'}-{stamp}.{file_format}"
    return ExportFile(content, CONTENT_TYPES[file_format], filename)


def region_prefix(region: str) -> str:
    """A 12-digit division code stands for the division and everything below it."""
    region = (region or "").strip()
    if region and (not region.isdigit() or len(region) > 12):
        raise DomainError.of("region", "区划应为12位区划代码或其数字前缀，如 430102")
    return get_region(region).prefix if len(region) == 12 else region


def export_document(*, region: str = "") -> dict:
    versions = (
        ServiceItemVersion.objects.filter(
            status=VersionStatus.PUBLISHED,
            service_item__region__code__startswith=region_prefix(region),
        )
        .select_related(
            "service_item__catalog_item", "service_item__agency", "service_item__region"
        )
        .order_by("service_item__implementation_code")
    )
    items = CatalogItem.objects.select_related("main_item").order_by("basic_code")
    return {
        "format": FORMAT,
        "version": VERSION,
        "catalog_items": [catalog_item_data(item) for item in items.iterator(chunk_size=2000)],
        "service_items": [service_item_data(v) for v in versions.iterator(chunk_size=2000)],
    }


def catalog_item_data(item: CatalogItem) -> dict:
    data = {key: getattr(item, key, None) for key in CATALOG.keys}
    data["main_code"] = item.main_item.basic_code if item.main_item else None
    return data


def service_item_data(version: ServiceItemVersion) -> dict:
    item = version.service_item
    return {
        "implementation_code": item.implementation_code,
        "basic_code": item.catalog_item.basic_code,
        "agency_name": item.agency.name,
        "agency_uscc": item.agency.uscc,
        "region_code": item.region.code,
        "guide": version.parsed.model_dump(mode="json"),
    }


def write_json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


# xlsx -------------------------------------------------------------------------------------


def sheet_rows(sheet: Sheet, document: dict) -> Iterator[dict]:
    """The document flattened into one sheet's rows, keyed by column key."""
    if sheet is CATALOG:
        yield from document["catalog_items"]
        return
    for item in document["service_items"]:
        identity = {key: value for key, value in item.items() if key != "guide"}
        if sheet is SERVICE:
            yield {**item["guide"], **identity}
            continue
        for sequence, entry in enumerate(item["guide"][sheet.collection], start=1):
            link = dict(zip(LINK_KEYS, (item["implementation_code"], sequence), strict=True))
            yield {**entry, **link}


def write_xlsx(document: dict) -> bytes:
    workbook = Workbook(write_only=True)
    for sheet in SHEETS:
        _write_sheet(workbook.create_sheet(sheet.title), sheet, sheet_rows(sheet, document))
    _write_notes(workbook.create_sheet(NOTES_TITLE))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_sheet(worksheet, sheet: Sheet, rows: Iterator[dict]) -> None:
    for index, column in enumerate(sheet.columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    worksheet.row_dimensions[2].hidden = True  # the field keys: for machines, not people
    worksheet.freeze_panes = "A3"
    worksheet.append([_header(worksheet, column.header) for column in sheet.columns])
    worksheet.append(list(sheet.keys))
    for row in rows:
        worksheet.append(
            [_cell(worksheet, column, row.get(column.key)) for column in sheet.columns]
        )


def _header(worksheet, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=text)
    cell.font = BOLD
    return cell


def _cell(worksheet, column: Column, value):
    shown = None if value is None else column.codec.to_cell(value)
    if not isinstance(shown, str):
        return shown
    if not shown:
        return None
    cell = WriteOnlyCell(worksheet, value=shown)
    cell.data_type = "s"  # text stays text even when it starts with = (never a formula)
    if "\n" in shown:
        cell.alignment = WRAP
    return cell


def _write_notes(worksheet) -> None:
    """填写说明: every column of every sheet and how to fill it in, from the layout table."""
    for letter, width in zip("ABCD", (12, 24, 22, 70), strict=True):
        worksheet.column_dimensions[letter].width = width
    worksheet.append([_header(worksheet, h) for h in ("工作表", "列", "键名", "填写要求")])
    for sheet in SHEETS:
        for column in sheet.columns:
            rule = ("必填；" if column.required else "") + column.codec.hint
            worksheet.append([sheet.title, column.header, column.key, rule])
