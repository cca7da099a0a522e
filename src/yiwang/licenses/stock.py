"""存量转换: licenses issued before the platform, imported from a CSV or xlsx file and signed
with a seal today — every row of a file, or none.

`import_licenses` runs the flow:

1. Read the file. xlsx is recognised by its content (a ZIP holding xl/workbook.xml), anything
   else is read as CSV in UTF-8, with or without BOM. A GBK file, an .xls, a damaged or empty
   file is refused whole. One license type per file, chosen by the caller.
2. Map the header (row 1): the fixed columns (FIXED_COLUMNS: 持证主体证件号码, 持证主体名称,
   发证日期, 有效期起始日期, 有效期截止日期, 证照编号) and the type's data fields, each by its
   Chinese title or its key. Unknown, repeated and missing columns are refused before any row.
3. Check every row and collect every fault: the holder id (GB 11643 / GB 32100), the name, the
   dates (not in the future, the period in order), the data against the type's JSON Schema
   (license_data), the original number, duplicates within the file and against the stored
   identifiers. Rows are numbered as a spreadsheet shows them, the header being row 1.
4. One fault and nothing is signed: the batch is kept as refused with its report (row, column,
   reason in Chinese) and the file. Otherwise, in one transaction and with one Keyring, the
   serial counters move past the kept numbers (below), each row is signed by the seal through
   services.sign_license, marked as 存量转换 (License.source, a lifecycle record) and the batch
   is kept as imported; audited with the counts, announced by one event.

Serials: the original number becomes the identifier's serial when it fits the serial rules
(1–32 digits or capital letters; lower case is folded). A number that does not fit (湘食经字
〔2019〕第001号) or a blank one gets the next serial of the issue year, and the batch's report
notes the mapping so the paper number stays traceable. A kept number shaped like the
platform's own (year + 7-digit counter) moves that year's counter past it, so no later
issuance can take it; the counter row stays locked until the import commits.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from openpyxl import load_workbook

from yiwang.core import files
from yiwang.core.audit import record_audit
from yiwang.core.errors import DomainError
from yiwang.core.events import record_event
from yiwang.core.identifiers import validate_id_number, validate_uscc
from yiwang.core.models import StoredFile
from yiwang.licenses import identifiers, license_data, services
from yiwang.licenses.constants import (
    HolderKind,
    ImportStatus,
    LicenseSource,
    LifecycleAction,
    SealStatus,
    ValidityKind,
)
from yiwang.licenses.models import (
    ImportBatch,
    License,
    LicenseType,
    LifecycleRecord,
    Seal,
    SerialCounter,
)

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
REPORT_LIMIT = 500  # problems listed; the rest are counted in one closing line
LOOKUP = 900  # identifiers per "already stored?" query (SQLite's parameter limit)
EARLIEST_ISSUE = date(1949, 10, 1)
HOLDER_NAME_MAX = 200
HEADER_ROW = 1

# key: (the column's title, other titles accepted for it)
FIXED_COLUMNS = {
    "holder_id": (
        "持证主体证件号码",
        ("证件号码", "持证主体代码", "统一社会信用代码", "公民身份号码"),
    ),
    "holder_name": ("持证主体名称", ("持证主体", "持证人", "持证人姓名", "单位名称")),
    "issued_on": ("发证日期", ("签发日期", "颁证日期")),
    "valid_from": ("有效期起始日期", ("有效期起始", "有效期自", "有效期开始日期")),
    "valid_until": ("有效期截止日期", ("有效期截止", "有效期至", "有效期结束日期")),
    "serial": ("证照编号", ("原证照编号", "证号", "许可证编号")),
}
REQUIRED_FIXED = ("holder_id", "holder_name", "issued_on", "serial")
PERMANENT_WORDS = {"长期", "长期有效", "永久", "永久有效"}
TRUE_WORDS = {"是", "true", "1", "yes", "y", "√"}
FALSE_WORDS = {"否", "false", "0", "no", "n", "×"}
# StoredFile.content_type holds 60 characters; the xlsx MIME type has 65.
XLSX_TYPE = "application/octet-stream"
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0"  # .xls and other Office 97–2003 files
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_PLATFORM_SERIAL = re.compile(
    rf"\d{{{identifiers.SERIAL_YEAR_DIGITS + identifiers.SERIAL_COUNTER_DIGITS}}}"
)


@dataclass(frozen=True)
class Problem:
    """One entry of a batch's report. `row` None is the file as a whole."""

    row: int | None
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = f"第{self.row}行" if self.row else "文件"
        column = f"“{self.column}”" if self.column else ""
        return f"{where}{column}：{self.reason}"


@dataclass
class StockRow:
    """One checked row, ready to sign."""

    number: int
    holder_id: str
    holder_name: str
    issued_on: date
    valid_from: date
    valid_until: date | None
    original_number: str
    serial: str | None  # the original number when it fits, else None: allocated
    data: dict


@dataclass
class _Column:
    index: int
    header: str
    target: str  # a FIXED_COLUMNS key, or "data.<field>"


@dataclass
class _Sheet:
    header: list[object]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


# --- reading the file ------------------------------------------------------------------------


def is_xlsx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "xl/workbook.xml" in package.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        return False


def _read_sheet(data: bytes) -> _Sheet:
    """Row 1 and the rows with anything in them, numbered as a spreadsheet shows them."""
    if not data.strip(b"\xef\xbb\xbf \r\n\t"):
        raise _Refused([Problem(None, "", "文件为空")])
    if data.startswith(_OLE_SIGNATURE):
        raise _Refused(
            [Problem(None, "", "不支持 Excel 97-2003（.xls）文件，请另存为 xlsx 或 UTF-8 CSV")]
        )
    if is_xlsx(data):
        rows = _xlsx_rows(data)
    elif data.startswith(b"PK\x03\x04"):
        raise _Refused(
            [Problem(None, "", "文件是压缩包而不是 xlsx 表格，请上传 xlsx 或 UTF-8 CSV 文件")]
        )
    else:
        rows = _csv_rows(data)
    sheet: _Sheet | None = None
    for number, cells in rows:
        if sheet is None:
            sheet = _Sheet(header=cells)
            continue
        if all(_text(cell) == "" for cell in cells):
            continue
        if len(sheet.rows) == MAX_ROWS:
            raise _Refused([Problem(number, "", f"一个文件最多导入{MAX_ROWS}行，请分成多个文件")])
        sheet.rows.append((number, cells))
    if sheet is None or not any(_text(cell) for cell in sheet.header):
        raise _Refused([Problem(HEADER_ROW, "", "第1行应为列名")])
    if not sheet.rows:
        raise _Refused([Problem(None, "", "文件只有列名，没有证照数据")])
    return sheet


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _Refused(
            [Problem(line, "", "文件不是 UTF-8 编码（可能是 GBK），请在 Excel 中另存为“CSV UTF-8”")]
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, list(cells)
    except csv.Error as error:
        raise _Refused([Problem(number + 1, "", f"CSV 格式不正确：{error}")]) from error


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[object]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged package
        raise _Refused([Problem(None, "", "xlsx 文件已损坏或无法读取")]) from error
    try:
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, list(cells)
    except _Refused:
        raise
    except Exception as error:
        raise _Refused([Problem(None, "", "xlsx 文件已损坏或无法读取")]) from error
    finally:
        book.close()


# --- cells -----------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _date(value: object) -> date:
    """A date cell, or text: 2019-03-15, 2019/3/15, 2019.3.15, 2019年3月15日, 20190315."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if not match:
        raise ValueError(f"“{text}”不是日期，应如 2019-03-15")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError as error:
        raise ValueError(f"“{text}”不是有效的日期") from error


def _normal(header: object) -> str:
    """A header as matched: NFKC (full-width letters and brackets), no spaces, no required
    marker (*), keys case-insensitive."""
    text = unicodedata.normalize("NFKC", _text(header)).replace(" ", "")
    return text.rstrip("*").casefold()


def data_value(spec: dict, value: object) -> object:
    """A cell as the field's JSON type; ValueError with the reason when it is none."""
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        number = _decimal(value)
        if number != number.to_integral_value():
            raise ValueError("应为整数")
        return int(number)
    if kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        number = _decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "boolean":
        word = _text(value).casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError("应为“是”或“否”")
    if kind in ("array", "object"):
        try:
            return json.loads(_text(value))
        except ValueError as error:
            raise ValueError("应为 JSON 格式") from error
    return _text(value)


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(_text(value).replace(",", ""))
    except InvalidOperation as error:
        raise ValueError("应为数字") from error
    if not number.is_finite():
        raise ValueError("应为数字")
    return number


# --- the header ------------------------------------------------------------------------------


def column_titles(license_type: LicenseType) -> list[str]:
    """The header of a file for this type, as the template offers it."""
    fields = (license_type.data_schema.get("properties") or {}).items()
    return [title for title, _ in FIXED_COLUMNS.values()] + [
        spec.get("title") or name for name, spec in fields
    ]


def template_csv(license_type: LicenseType) -> bytes:
    """An empty CSV of the type's columns, with BOM so Excel opens it as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow(column_titles(license_type))
    return out.getvalue().encode("utf-8-sig")


def _names(license_type: LicenseType) -> dict[str, str]:
    """Every accepted header (normalized) → its target. Fixed columns win a clash."""
    names: dict[str, str] = {}
    for name, spec in (license_type.data_schema.get("properties") or {}).items():
        names[_normal(name)] = f"data.{name}"
        if spec.get("title"):
            names[_normal(spec["title"])] = f"data.{name}"
    for key, (title, aliases) in FIXED_COLUMNS.items():
        for text in (key, title, *aliases):
            names[_normal(text)] = key
    return names


def _label(license_type: LicenseType, target: str) -> str:
    if target.startswith("data."):
        return license_data.field_title(license_type.data_schema, target[5:])
    return FIXED_COLUMNS[target][0]


def _columns(license_type: LicenseType, header: list[object]) -> list[_Column]:
    names, columns, problems, seen = _names(license_type), [], [], {}
    for index, cell in enumerate(header):
        text = _text(cell)
        if not text:
            continue
        target = names.get(_normal(text))
        if target is None:
            problems.append(Problem(HEADER_ROW, text, "不是该类证照的列，请对照导入模板"))
        elif target in seen:
            problems.append(Problem(HEADER_ROW, text, f"与“{seen[target]}”是同一列，重复了"))
        else:
            seen[target] = text
            columns.append(_Column(index, text, target))
    required = [*REQUIRED_FIXED]
    required += [f"data.{n}" for n in license_type.data_schema.get("required") or []]
    for target in required:
        if target not in seen:
            problems.append(Problem(HEADER_ROW, _label(license_type, target), "缺少该列"))
    if problems:
        raise _Refused(problems)
    return columns


# --- rows ------------------------------------------------------------------------------------


class _RowChecker:
    """Checks the rows of one file against one type and seal, collecting every problem."""

    def __init__(self, license_type: LicenseType, seal: Seal, columns: list[_Column]) -> None:
        self.license_type = license_type
        self.issuer_uscc = seal.agency.uscc
        self.columns = columns
        self.headers = {column.target: column.header for column in columns}
        self.known = {column.index for column in columns}
        self.schema = license_type.data_schema
        self.today = timezone.localdate()
        self.problems: list[Problem] = []
        self.serials: dict[str, int] = {}  # kept serial → the row that has it

    def problem(self, row: int, target: str, reason: str) -> None:
        column = self.headers.get(target) or _label(self.license_type, target)
        self.problems.append(Problem(row, column, reason))

    def check(self, number: int, cells: list[object]) -> StockRow | None:
        before = len(self.problems)
        for index, cell in enumerate(cells):
            if index not in self.known and _text(cell):
                self.problems.append(Problem(number, f"第{index + 1}列", "该列没有列名，无法识别"))
        values = {c.target: cells[c.index] if c.index < len(cells) else None for c in self.columns}
        holder_id = self._holder_id(number, values.get("holder_id"))
        holder_name = self._holder_name(number, values.get("holder_name"))
        issued_on, valid_from, valid_until = self._period(number, values)
        original, serial = self._serial(number, values.get("serial"))
        data = self._data(number, values)
        if len(self.problems) > before:
            return None
        return StockRow(
            number=number,
            holder_id=holder_id,
            holder_name=holder_name,
            issued_on=issued_on,
            valid_from=valid_from,
            valid_until=valid_until,
            original_number=original,
            serial=serial,
            data=data,
        )

    def _holder_id(self, number: int, cell: object) -> str:
        text = _text(cell).replace(" ", "").upper()
        if not text:
            self.problem(number, "holder_id", "必须填写")
            return ""
        validate = (
            validate_id_number
            if self.license_type.holder_kind == HolderKind.PERSON
            else validate_uscc
        )
        try:
            return validate(text, field="holder_id")
        except DomainError as error:
            reason = error.errors[0].message
            if isinstance(cell, (int, float)) and len(text) > 15:
                reason += "（该单元格是数字格式，超过15位的数字会失去精度，请设为文本格式）"
            self.problem(number, "holder_id", reason)
            return ""

    def _holder_name(self, number: int, cell: object) -> str:
        name = _text(cell)
        if not name:
            self.problem(number, "holder_name", "必须填写")
        elif len(name) > HOLDER_NAME_MAX:
            self.problem(number, "holder_name", f"不能超过{HOLDER_NAME_MAX}个字")
        return name

    def _day(self, number: int, target: str, cell: object) -> date | None:
        try:
            return _date(cell)
        except ValueError as error:
            self.problem(number, target, str(error))
            return None

    def _period(self, number: int, values: dict) -> tuple[date, date, date | None]:
        issued_on = None
        if _text(values.get("issued_on")):
            issued_on = self._day(number, "issued_on", values["issued_on"])
        else:
            self.problem(number, "issued_on", "必须填写")
        if issued_on and issued_on > self.today:
            self.problem(number, "issued_on", "发证日期不能晚于今天")
        elif issued_on and issued_on < EARLIEST_ISSUE:
            self.problem(number, "issued_on", "发证日期不能早于1949年10月1日")
        valid_from = issued_on
        if _text(values.get("valid_from")):
            valid_from = self._day(number, "valid_from", values["valid_from"])
        until_text = _text(values.get("valid_until"))
        valid_until = None
        if until_text in PERMANENT_WORDS:
            if self.license_type.validity_kind != ValidityKind.PERMANENT:
                years = self.license_type.validity_years
                self.problem(number, "valid_until", f"该类证照有效期为{years}年，不能为长期有效")
        elif until_text:
            valid_until = self._day(number, "valid_until", values["valid_until"])
        elif valid_from:
            valid_until = self.license_type.valid_until_for(valid_from)
        if valid_from and valid_until and valid_until < valid_from:
            self.problem(number, "valid_until", "有效期截止日期不能早于起始日期")
        return issued_on, valid_from, valid_until  # type: ignore[return-value]

    def _serial(self, number: int, cell: object) -> tuple[str, str | None]:
        original = _text(cell)
        try:
            serial = identifiers.validate_serial(original)
        except DomainError:
            return original, None  # allocated when signed, noted in the report
        if serial in self.serials:
            self.problem(number, "serial", f"与第{self.serials[serial]}行的证照编号重复")
            return original, None
        self.serials[serial] = number
        return original, serial

    def _data(self, number: int, values: dict) -> dict:
        properties = self.schema.get("properties") or {}
        data, unreadable = {}, set()
        for target, cell in values.items():
            if not target.startswith("data.") or not _text(cell):
                continue
            name = target[5:]
            try:
                data[name] = data_value(properties[name], cell)
            except ValueError as error:
                unreadable.add(name)
                self.problem(number, target, str(error))
        try:
            license_data.validate_data(self.schema, data)
        except DomainError as error:
            for fault in error.errors:
                name = fault.field.removeprefix("data.")
                if name in unreadable:  # named above; "required" would only repeat it
                    continue
                reason = fault.message.split("：", 1)[-1]
                self.problem(number, f"data.{name}", reason)
        return data

    def identifier(self, serial: str) -> str:
        return str(
            identifiers.LicenseIdentifier(
                type_code=self.license_type.code,
                issuer_uscc=self.issuer_uscc,
                serial=serial,
                version=1,
            )
        )

    def check_stored(self, rows: list[StockRow]) -> None:
        """Kept serials whose identifier is already stored (imported or issued before)."""
        wanted = {self.identifier(row.serial): row for row in rows if row.serial}
        listed = list(wanted)
        for start in range(0, len(listed), LOOKUP):
            chunk = listed[start : start + LOOKUP]
            stored = License.objects.filter(identifier__in=chunk)
            for identifier in stored.values_list("identifier", flat=True):
                self.problem(
                    wanted[identifier].number,
                    "serial",
                    f"证照标识 {identifier} 已存在（该证照已导入或已签发）",
                )


def _seal_problems(license_type: LicenseType, seal: Seal) -> list[Problem]:
    current = Seal.objects.select_related("agency").get(pk=seal.pk)
    now = timezone.now()
    if current.status != SealStatus.ACTIVE:
        return [Problem(None, "转换用章", f"印章“{current.name}”已注销，不能再用章")]
    if not current.valid_from <= now < current.valid_until:
        return [Problem(None, "转换用章", f"印章“{current.name}”不在有效期内")]
    sector = license_type.issuing_sector
    if sector and current.agency.sector != sector:
        reason = f"{current.agency.name}不属于{sector}领域，不能签发{license_type.name}"
        return [Problem(None, "转换用章", reason)]
    return []


@dataclass
class CheckedFile:
    """A file after every check: its rows when there is no problem at all."""

    rows: list[StockRow]
    problems: list[Problem]
    row_count: int  # data rows read (0 when the file could not be read)


def check_file(data: bytes, *, license_type: LicenseType, seal: Seal) -> CheckedFile:
    """Every check of `import_licenses`, writing nothing."""
    problems = _seal_problems(license_type, seal)
    try:
        sheet = _read_sheet(data)
    except _Refused as refused:
        return CheckedFile([], problems + refused.problems, 0)
    try:
        columns = _columns(license_type, sheet.header)
    except _Refused as refused:
        return CheckedFile([], problems + refused.problems, len(sheet.rows))
    checker = _RowChecker(license_type, seal, columns)
    checker.problems += problems
    rows = [row for number, cells in sheet.rows if (row := checker.check(number, cells))]
    checker.check_stored(rows)
    if checker.problems:
        ordered = sorted(checker.problems, key=lambda p: p.row or 0)
        return CheckedFile([], ordered, len(sheet.rows))
    return CheckedFile(rows, [], len(rows))


# --- keeping the file and the batch ----------------------------------------------------------


def _keep_file(data: bytes) -> StoredFile:
    """The uploaded file, content-addressed like every stored file (its type established by
    the parsing above, not by core.files' upload rules)."""
    if is_xlsx(data):
        return files.keep(data, content_type=XLSX_TYPE, extension="xlsx")
    return files.keep(data, content_type="text/csv", extension="csv")


def _report(problems: list[Problem]) -> list[dict]:
    listed = [problem.as_dict() for problem in problems[:REPORT_LIMIT]]
    if len(problems) > REPORT_LIMIT:
        rest = len(problems) - REPORT_LIMIT
        listed.append({"row": None, "column": "", "reason": f"另有{rest}处问题未列出"})
    return listed


@transaction.atomic
def _refuse(*, data, filename, license_type, seal, actor, rows, problems) -> ImportBatch:
    batch = ImportBatch.objects.create(
        file=_keep_file(data),
        original_name=filename[:200],
        license_type=license_type,
        seal=seal,
        submitted_by=actor,
        status=ImportStatus.REFUSED,
        rows=rows,
        report=_report(problems),
    )
    record_audit(
        "license.import_refused",
        actor=actor,
        target=f"ImportBatch:{batch.pk}",
        detail={"type": license_type.code, "rows": rows, "problems": len(problems)},
    )
    return batch


# --- signing ---------------------------------------------------------------------------------


def _counter_upsert() -> str:
    table = connection.ops.quote_name(SerialCounter._meta.db_table)
    larger = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    return (
        f"INSERT INTO {table} (type_code, issuer_uscc, year, last) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (type_code, issuer_uscc, year) "
        f"DO UPDATE SET last = {larger}({table}.last, EXCLUDED.last)"
    )


def reserve_serials(*, type_code: str, issuer_uscc: str, serials: Iterable[str]) -> int:
    """Move the counters past every serial shaped like the platform's own (year + counter),
    so services.allocate_serial never hands one out again. Returns the counters moved."""
    highest: dict[int, int] = {}
    for serial in serials:
        if _PLATFORM_SERIAL.fullmatch(serial):
            year = int(serial[: identifiers.SERIAL_YEAR_DIGITS])
            counter = int(serial[identifiers.SERIAL_YEAR_DIGITS :])
            highest[year] = max(highest.get(year, 0), counter)
    if highest:
        with connection.cursor() as cursor:
            cursor.executemany(
                _counter_upsert(),
                [(type_code, issuer_uscc, year, last) for year, last in sorted(highest.items())],
            )
    return len(highest)


def _sign_all(rows, *, license_type, seal, actor) -> tuple[list[License], list[Problem]]:
    """Every row signed with one Keyring; (licenses, notes on allocated serials)."""
    keyring, licenses, notes, row = services.Keyring(), [], [], None
    reserve_serials(
        type_code=license_type.code,
        issuer_uscc=seal.agency.uscc,
        serials=(row.serial for row in rows if row.serial),
    )
    try:
        for row in rows:
            license = services.sign_license(
                license_type=license_type,
                seal=seal,
                holder_id=row.holder_id,
                holder_name=row.holder_name,
                data=row.data,
                issued_on=row.issued_on,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                serial=row.serial,
                actor=actor,
                keyring=keyring,
            )
            licenses.append(license)
            if row.serial is None:
                notes.append(_allocation_note(row, license))
    except DomainError as error:
        problems = [Problem(row.number, _field_column(f.field), f.message) for f in error.errors]
        raise _Refused(problems) from error
    return licenses, notes


def _field_column(name: str) -> str:
    if name.startswith("data."):
        return name
    return FIXED_COLUMNS.get(name, ("转换用章" if name == "seal" else name, ()))[0]


def _allocation_note(row: StockRow, license: License) -> Problem:
    serial = license.identifier.split(".")[-3]
    if row.original_number:
        reason = (
            f"原证照编号“{row.original_number}”不符合流水号规则（1至32位数字或大写字母），"
            f"已分配流水号 {serial}，证照标识 {license.identifier}"
        )
    else:
        reason = f"未填证照编号，已分配流水号 {serial}，证照标识 {license.identifier}"
    return Problem(row.number, FIXED_COLUMNS["serial"][0], reason)


def _mark_imported(licenses: list[License], actor: str) -> None:
    ids = [license.pk for license in licenses]
    for start in range(0, len(ids), LOOKUP):
        License.objects.filter(pk__in=ids[start : start + LOOKUP]).update(
            source=LicenseSource.IMPORTED
        )
    LifecycleRecord.objects.bulk_create(
        (
            LifecycleRecord(
                license=license,
                action=LifecycleAction.IMPORTED,
                actor=actor,
                reason="存量证照转换",
                occurred_at=license.signed_at,
                seal=license.seal,
                digest=license.digest,
                signature=license.signature,
            )
            for license in licenses
        ),
        batch_size=500,
    )
    for license in licenses:
        license.source = LicenseSource.IMPORTED


def _import(data, filename, rows, *, license_type, seal, actor) -> ImportBatch:
    with transaction.atomic():
        licenses, notes = _sign_all(rows, license_type=license_type, seal=seal, actor=actor)
        _mark_imported(licenses, actor)
        kept = sum(1 for row in rows if row.serial)
        batch = ImportBatch.objects.create(
            file=_keep_file(data),
            original_name=filename[:200],
            license_type=license_type,
            seal=seal,
            submitted_by=actor,
            status=ImportStatus.IMPORTED,
            rows=len(rows),
            report=[note.as_dict() for note in notes],
        )
        counts = {"rows": len(rows), "serials_kept": kept, "serials_allocated": len(rows) - kept}
        record_audit(
            "license.imported",
            actor=actor,
            target=f"ImportBatch:{batch.pk}",
            detail={"type": license_type.code, "seal": seal.key_id, "file": batch.file_id} | counts,
        )
        record_event("license.imported", batch=batch.pk, type=license_type.code, **counts)
    return batch


def import_licenses(
    *, data: bytes, filename: str, license_type: LicenseType, seal: Seal, actor: str
) -> ImportBatch:
    """存量转换 of one file: every row signed by `seal` as a license of `license_type`, or none.

    Returns the batch: IMPORTED with notes on allocated serials, or REFUSED with every
    problem found (row, column, reason). A file over MAX_BYTES is refused outright."""
    actor = (actor or "").strip()
    if not actor:
        raise DomainError.of("actor", "请填写导入人")
    if len(data) > MAX_BYTES:
        raise DomainError.of("file", f"文件超过 {MAX_BYTES // 1024 // 1024} MB，请分成多个文件")
    checked = check_file(data, license_type=license_type, seal=seal)
    refusal = {"data": data, "filename": filename, "license_type": license_type, "seal": seal}
    if checked.problems:
        return _refuse(**refusal, actor=actor, rows=checked.row_count, problems=checked.problems)
    rows = checked.rows
    try:
        return _import(data, filename, rows, license_type=license_type, seal=seal, actor=actor)
    except _Refused as refused:  # e.g. the seal revoked meanwhile
        return _refuse(**refusal, actor=actor, rows=len(rows), problems=refused.problems)
    except IntegrityError:  # another import took an identifier meanwhile
        problems = [Problem(None, "证照编号", "与同时进行的另一次导入重复，请稍后重新导入")]
        return _refuse(**refusal, actor=actor, rows=len(rows), problems=problems)


def report_lines(batch: ImportBatch) -> list[str]:
    """The batch's report as lines for a console or a page."""
    head = f"{batch.original_name}：{batch.get_status_display()}，{batch.rows}行"
    return [head] + [str(Problem(**entry)) for entry in batch.report]
