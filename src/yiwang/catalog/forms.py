"""Blank application forms (空白表格) of a guide's materials, generated as fillable workbooks.

A guide marks a material `blank_form` when the office expects it on a form of its own. Rather
than keep uploaded files that drift away from the published guide, the form is generated from
the published version itself: the item's name, agency and implementation code are printed on
it, so a form always matches the guide it was downloaded from.

The sheet is protected without a password: labels cannot be overwritten by accident, the
answer cells are unlocked, and anyone who wants to change the layout can lift the protection.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from yiwang.catalog.guide import Material
from yiwang.catalog.models import ServiceItem, ServiceItemVersion
from yiwang.core.errors import NotFound

FONT = "宋体"
LAST_COLUMN = "D"
APPLICANT_FIELDS = ("申请人姓名/名称", "证件号码", "联系电话", "联系地址")
DEFAULT_NOTES = "请如实、完整填写各项内容，字迹清楚；以单位名义申请的，应加盖单位公章。"

_thin = Side(style="thin", color="000000")
BOX = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
LABEL_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="center")


def form_material(version: ServiceItemVersion, material_index: int) -> Material:
    """The material numbered `material_index` (1-based, as the guide lists it) with a form."""
    materials = version.parsed.materials
    if not 1 <= material_index <= len(materials):
        raise NotFound(f"第{material_index}项申请材料")
    material = materials[material_index - 1]
    if not material.blank_form:
        raise NotFound(f"“{material.name}”的空白表格")
    return material


def blank_form_workbook(
    item: ServiceItem, version: ServiceItemVersion, material_index: int
) -> bytes:
    """An .xlsx application form for one material of the published guide (1-based index)."""
    material = form_material(version, material_index)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "申请表"
    workbook.properties.title = material.name
    workbook.properties.creator = "一网 · 湖南政务服务"
    _layout(sheet)
    row = _title(sheet, material.name)
    row = _item_rows(sheet, row, item, version)
    row = _applicant_rows(sheet, row)
    row = _signature(sheet, row)
    _notes(sheet, row, material.notes or DEFAULT_NOTES)
    sheet.protection.sheet = True
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _layout(sheet: Worksheet) -> None:
    for column, width in zip("ABCD", (22, 30, 16, 30), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def _title(sheet: Worksheet, name: str) -> int:
    sheet["A1"] = name
    sheet["A1"].font = Font(name=FONT, size=18, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(f"A1:{LAST_COLUMN}1")
    sheet.row_dimensions[1].height = 40
    return 3


def _label(sheet: Worksheet, row: int, text: str) -> None:
    cell = sheet.cell(row=row, column=1, value=text)
    cell.font = Font(name=FONT, size=12, bold=True)
    cell.fill = LABEL_FILL
    cell.border = BOX
    cell.alignment = WRAP


def _value(sheet: Worksheet, row: int, value: str = "", *, fillable: bool) -> None:
    """A value spanning columns B–D; fillable cells stay editable under sheet protection."""
    cell = sheet.cell(row=row, column=2, value=value or None)
    cell.font = Font(name=FONT, size=12)
    cell.alignment = WRAP
    cell.protection = Protection(locked=not fillable)
    for column in range(2, 5):
        sheet.cell(row=row, column=column).border = BOX
    sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
    sheet.row_dimensions[row].height = 30


def _item_rows(sheet: Worksheet, row: int, item: ServiceItem, version: ServiceItemVersion) -> int:
    printed = (
        ("事项名称", version.elements["name"]),
        ("实施机构", item.agency.name),
        ("实施编码", item.implementation_code),
    )
    for label, value in printed:
        _label(sheet, row, label)
        _value(sheet, row, value, fillable=False)
        row += 1
    return row


def _applicant_rows(sheet: Worksheet, row: int) -> int:
    for label in APPLICANT_FIELDS:
        _label(sheet, row, label)
        _value(sheet, row, fillable=True)
        row += 1
    _label(sheet, row, "申请日期")
    _value(sheet, row, fillable=True)
    sheet.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    date_rule = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="申请日期",
        error="请填写日期，例如 2026-03-01",
    )
    sheet.add_data_validation(date_rule)
    date_rule.add(sheet.cell(row=row, column=2))
    return row + 2


def _signature(sheet: Worksheet, row: int) -> int:
    sheet.cell(row=row, column=1, value="申请人（签字或盖章）：").font = Font(name=FONT, size=12)
    sheet.cell(row=row, column=2).border = Border(bottom=_thin)
    sheet.cell(row=row, column=3, value="日期：").font = Font(name=FONT, size=12)
    sheet.cell(row=row, column=4, value="　　　　年　　月　　日").font = Font(name=FONT, size=12)
    sheet.row_dimensions[row].height = 36
    return row + 2


def _notes(sheet: Worksheet, row: int, notes: str) -> None:
    sheet.cell(row=row, column=1, value="填写说明").font = Font(name=FONT, size=12, bold=True)
    cell = sheet.cell(row=row + 1, column=1, value=notes)
    cell.font = Font(name=FONT, size=11)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=4)
    sheet.row_dimensions[row + 1].height = max(45, 15 * (len(notes) // 40 + 1))
