"""Spreadsheets the workbench hands out. Cells are always text or numbers, never formulas: an
audit trail quotes what strangers typed (a login name such as "=HYPERLINK(…)")."""

from __future__ import annotations

import json
import tempfile
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from yiwang.core.models import AuditRecord

AUDIT_COLUMNS = ("序号", "时间", "操作人", "事件", "对象", "来源地址", "详情")
CELL_LIMIT = 32767  # the most characters a spreadsheet cell holds
CHUNK = 2000


def _text(sheet: Any, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, ILLEGAL_CHARACTERS_RE.sub("", value)[:CELL_LIMIT])
    cell.data_type = "s"  # openpyxl would otherwise take a leading "=" for a formula
    return cell


def _audit_row(sheet: Any, record: AuditRecord) -> list:
    detail = json.dumps(record.detail, ensure_ascii=False, sort_keys=True)
    texts = (record.actor, record.action, record.target, record.address, detail)
    occurred = timezone.localtime(record.occurred_at).replace(tzinfo=None)
    return [record.sequence, occurred, *(_text(sheet, value) for value in texts)]


def audit_workbook(records: QuerySet[AuditRecord]) -> tuple[IO[bytes], int]:
    """The records as an .xlsx in a temporary file (rows go to disk as they are read)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计记录")
    sheet.append(AUDIT_COLUMNS)
    count = 0
    for record in records.iterator(chunk_size=CHUNK):
        sheet.append(_audit_row(sheet, record))
        count += 1
    file = tempfile.TemporaryFile()  # noqa: SIM115 - the response streams and closes it
    workbook.save(file)
    file.seek(0)
    return file, count
