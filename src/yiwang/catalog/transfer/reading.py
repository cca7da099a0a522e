"""Reading a catalog file (xlsx or JSON) into records, every cell decoded by the layout.

The content decides, not the name alone: an .xlsx must be a zip archive (PK\\x03\\x04) that
openpyxl can open, a .json must parse as UTF-8 JSON in the yiwang-catalog envelope. Reading
never stops at the first bad cell: every fault is collected in Document.errors.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import PurePath
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from yiwang.catalog.transfer.layout import (
    CATALOG,
    ENTRY_SHEET_OF,
    ENTRY_SHEETS,
    FORMAT,
    IDENTITY_KEYS,
    LINK_KEYS,
    SERVICE,
    SHEETS,
    VERSION,
    Column,
    Invalid,
    Sheet,
)
from yiwang.catalog.transfer.records import (
    CellOrigin,
    Document,
    JsonOrigin,
    Origin,
    Record,
    ServiceRecord,
)
from yiwang.core.errors import DomainError, FieldError

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 25 * MAX_FILE_BYTES  # refuses zip bombs before openpyxl unpacks them
XLSX_MAGIC = b"PK\x03\x04"
GUIDE_KEYS = tuple(column.key for column in SERVICE.columns if column.in_guide)


def check_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise DomainError.of(
            "file", f"文件过大：不能超过{MAX_FILE_BYTES // 1024 // 1024}MB", status=413
        )


def read_document(data: bytes, *, filename: str) -> Document:
    """Read an uploaded or local file; the format follows the extension, checked by content."""
    check_size(len(data))
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        return read_xlsx(data)
    if suffix == ".json":
        return read_json(data)
    raise DomainError.of(
        "file", f"不支持的文件类型“{suffix or filename}”：只能导入 .xlsx 或 .json 文件"
    )


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def decode(
    columns: tuple[Column, ...],
    values: Mapping[str, Any],
    origin: Origin,
    errors: list[FieldError],
    *,
    from_json: bool,
) -> Record:
    """Decode one row or JSON object; blank values are left out so that defaults apply."""
    data = {}
    for column in columns:
        raw = values.get(column.key)
        if not _blank(raw):
            try:
                codec = column.codec
                data[column.key] = codec.from_json(raw) if from_json else codec.from_cell(raw)
            except Invalid as reason:
                errors.append(origin.error(column.key, str(reason)))
                continue
        if column.required and data.get(column.key) in (None, "", []):
            errors.append(origin.error(column.key, "不能为空"))
    return Record(origin, data)


# xlsx -------------------------------------------------------------------------------------


def _open_workbook(data: bytes):
    if not data.startswith(XLSX_MAGIC):
        raise DomainError.of(
            "file",
            "文件内容不是 Excel 工作簿（.xlsx 文件应为 zip 格式），请用 Excel 或 WPS 另存为 .xlsx",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise DomainError.of("file", "Excel 文件解压后过大，请拆分后分批导入")
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception as error:  # any fault of an untrusted archive is the file's fault
        raise DomainError.of("file", "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式") from error


def _raw_rows(data: bytes) -> dict[Sheet, list[tuple]]:
    """Every row of every known sheet, as cell values; absent sheets have none."""
    workbook = _open_workbook(data)
    try:
        return {
            sheet: list(workbook[sheet.title].iter_rows(values_only=True))
            for sheet in SHEETS
            if sheet.title in workbook.sheetnames
        }
    except Exception as error:  # malformed sheet XML surfaces only while iterating
        raise DomainError.of("file", "无法读取 Excel 文件：工作表内容已损坏") from error
    finally:
        workbook.close()


def read_xlsx(data: bytes) -> Document:
    raw = _raw_rows(data)
    document = Document()
    tables = {sheet: _read_sheet(sheet, raw.get(sheet, []), document.errors) for sheet in SHEETS}
    document.catalog_items = tables[CATALOG]
    document.service_items = _attach_entries(
        tables[SERVICE], {sheet: tables[sheet] for sheet in ENTRY_SHEETS}, document.errors
    )
    return document


def _cell_text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _locate_columns(sheet: Sheet, header: tuple, keys: tuple) -> tuple[dict[str, int], int]:
    """Column positions by the hidden key row; without one, by the Chinese header row."""
    by_key = {_cell_text(v): i for i, v in enumerate(keys) if _cell_text(v) in sheet.keys}
    if by_key:
        return by_key, 3
    key_of = {column.header: column.key for column in sheet.columns}
    return {key_of[_cell_text(v)]: i for i, v in enumerate(header) if _cell_text(v) in key_of}, 2


def _read_sheet(sheet: Sheet, table: list[tuple], errors: list[FieldError]) -> list[Record]:
    if not table:
        return []
    rows: Iterator[tuple] = iter(table)
    header, keys = next(rows, ()), next(rows, ())
    positions, first_row = _locate_columns(sheet, header, keys)
    if first_row == 2:
        rows = itertools.chain([keys], rows)
    missing = [c.header for c in sheet.columns if c.key not in positions]
    if missing:
        names = "、".join(f"“{name}”" for name in missing)
        errors.append(FieldError(f"{sheet.title}!1:1", f"工作表“{sheet.title}”缺少{names}列"))
        return []
    letters = {key: get_column_letter(i + 1) for key, i in positions.items()}
    records = []
    for number, values in enumerate(rows, start=first_row):
        if all(_blank(v) for v in values):
            continue
        raw = {key: values[i] if i < len(values) else None for key, i in positions.items()}
        origin = CellOrigin(sheet, number, letters)
        records.append(decode(sheet.columns, raw, origin, errors, from_json=False))
    return records


def _attach_entries(
    main_rows: list[Record], tables: dict[Sheet, list[Record]], errors: list[FieldError]
) -> list[ServiceRecord]:
    """Give each implementation its entry rows, ordered by 序号."""
    services = [ServiceRecord(record) for record in main_rows]
    by_code: dict[str, ServiceRecord] = {}
    for service in services:
        by_code.setdefault(service.data.get("implementation_code"), service)
    for sheet, records in tables.items():
        linked = [r for r in records if all(key in r.data for key in LINK_KEYS)]
        for record in sorted(linked, key=lambda r: r.data["sequence"]):
            _attach(record, sheet, by_code, errors)
    return services


def _attach(record: Record, sheet: Sheet, by_code: dict, errors: list[FieldError]) -> None:
    code, sequence = (record.data[key] for key in LINK_KEYS)
    owner = by_code.get(code)
    if owner is None:
        errors.append(
            record.error("implementation_code", f"实施清单中没有实施编码为 {code} 的事项")
        )
        return
    if sequence < 1:
        errors.append(record.error("sequence", "序号应为从1开始的正整数"))
        return
    siblings = owner.entries.setdefault(sheet.collection, [])
    if siblings and siblings[-1].data["sequence"] == sequence:
        errors.append(record.error("sequence", f"序号 {sequence} 与同一事项的另一行重复"))
        return
    siblings.append(record)


# JSON -------------------------------------------------------------------------------------


def _load_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise DomainError.of("file", "文件不是 UTF-8 编码的 JSON 文本") from error
    except json.JSONDecodeError as error:
        raise DomainError.of(
            "file", f"文件不是有效的 JSON：第{error.lineno}行第{error.colno}列附近格式错误"
        ) from error
    except RecursionError as error:
        raise DomainError.of("file", "JSON 嵌套层次过深") from error


def _envelope(content: Any) -> tuple[list, list]:
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise DomainError.of("format", f'不是一网事项目录文件：缺少 "format": "{FORMAT}"')
    if content.get("version") != VERSION:
        raise DomainError.of(
            "version", f"不支持的文件版本 {content.get('version')}，应为 {VERSION}"
        )
    lists = []
    for key in ("catalog_items", "service_items"):
        value = content.get(key, [])
        if not isinstance(value, list):
            raise DomainError.of(key, f"“{key}”应为列表")
        lists.append(value)
    return lists[0], lists[1]


def read_json(data: bytes) -> Document:
    catalog_items, service_items = _envelope(_load_json(data))
    document = Document()
    for index, item in enumerate(catalog_items):
        origin = JsonOrigin(CATALOG, f"catalog_items[{index}]", f"基本目录第{index + 1}项")
        if _is_object(item, origin, document.errors):
            _reject_unknown(item, CATALOG.keys, origin, document.errors)
            record = decode(CATALOG.columns, item, origin, document.errors, from_json=True)
            document.catalog_items.append(record)
    for index, item in enumerate(service_items):
        origin = JsonOrigin(SERVICE, f"service_items[{index}]", f"实施清单第{index + 1}项")
        if _is_object(item, origin, document.errors):
            document.service_items.append(_json_service(item, origin, document.errors))
    return document


def _is_object(value: Any, origin: Origin, errors: list[FieldError]) -> bool:
    if not isinstance(value, dict):
        errors.append(origin.error(None, "应为对象（{...}）"))
    return isinstance(value, dict)


def _reject_unknown(value: dict, allowed, origin: Origin, errors: list[FieldError]) -> None:
    errors += [
        origin.error(None, f"“{key}”不是可导入的字段") for key in value if key not in allowed
    ]


def _json_service(item: dict, origin: JsonOrigin, errors: list[FieldError]) -> ServiceRecord:
    guide = item.get("guide")
    if not isinstance(guide, dict):
        errors.append(origin.error(None, "缺少办事指南“guide”（应为对象）"))
        guide = {}
    _reject_unknown(item, (*IDENTITY_KEYS, "guide"), origin, errors)
    _reject_unknown(guide, (*GUIDE_KEYS, *ENTRY_SHEET_OF), origin, errors)
    flat = {**guide, **{key: item.get(key) for key in IDENTITY_KEYS}}
    service = ServiceRecord(decode(SERVICE.columns, flat, origin, errors, from_json=True))
    for collection, sheet in ENTRY_SHEET_OF.items():
        entries = guide.get(collection)
        if entries is None:
            continue
        if not isinstance(entries, list):
            errors.append(origin.error(None, f"“{collection}”应为列表"))
            continue
        service.entries[collection] = _json_entries(entries, sheet, origin, errors)
    return service


def _json_entries(
    entries: list, sheet: Sheet, parent: JsonOrigin, errors: list[FieldError]
) -> list[Record]:
    records = []
    for index, entry in enumerate(entries):
        origin = JsonOrigin(
            sheet,
            f"{parent.path}.guide.{sheet.collection}[{index}]",
            f"{parent.label}·{sheet.title}第{index + 1}项",
        )
        if _is_object(entry, origin, errors):
            _reject_unknown(entry, [c.key for c in sheet.entry_columns], origin, errors)
            records.append(decode(sheet.entry_columns, entry, origin, errors, from_json=True))
    return records
