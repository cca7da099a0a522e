"""存量转换: licenses issued before the platform, imported from CSV or xlsx with a report;
a single bad row imports nothing of the file."""

import io
from datetime import date, datetime

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from yiwang.core.models import AuditRecord, Event
from yiwang.licenses import selectors, services, stock
from yiwang.licenses.constants import (
    ImportStatus,
    LicenseSource,
    LifecycleAction,
    Verdict,
)
from yiwang.licenses.identifiers import parse_identifier
from yiwang.licenses.models import (
    ImportBatch,
    License,
    LicenseType,
    LifecycleRecord,
    SealUse,
    SerialCounter,
)
from yiwang.licenses.tests.factories import (
    ACTOR,
    LicenseTypeFactory,
    company_uscc,
    make_seal,
    sign,
)

pytestmark = pytest.mark.django_db
HEADER = ["持证主体证件号码", "持证主体名称", "发证日期", "有效期截止日期", "证照编号"]
HEADER += ["经营项目", "经营场所", "餐位数"]
TODAY = date(2026, 1, 5)


def good_row(n: int) -> list[str]:
    return [
        company_uscc(80000000 + n),
        f"长沙第{n}餐饮有限公司",
        "2023-05-10",
        "",
        f"JY1430102{n:06d}",
        "热食类食品制售",
        f"长沙市芙蓉区五一大道{n}号",
        str(n),
    ]


def csv_bytes(rows, header=HEADER, *, bom=True, encoding="utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(food_type, seal, data: bytes, name: str = "存量.csv") -> ImportBatch:
    return stock.import_licenses(
        data=data, filename=name, license_type=food_type, seal=seal, actor="导入员"
    )


def refused(batch: ImportBatch) -> list[tuple]:
    assert batch.status == ImportStatus.REFUSED
    assert not License.objects.exists() and not SealUse.objects.exists()
    return [(entry["row"], entry["column"], entry["reason"]) for entry in batch.report]


# --- good files ------------------------------------------------------------------------------


def test_a_good_csv_is_signed_as_imported_licenses_that_verify(agency, seal, food_type):
    batch = run_import(food_type, seal, csv_bytes([good_row(n) for n in range(1, 4)]))
    assert (batch.status, batch.rows, batch.report) == (ImportStatus.IMPORTED, 3, [])
    assert batch.file.extension == "csv" and batch.submitted_by == "导入员"
    licenses = License.objects.order_by("identifier")
    assert [lic.source for lic in licenses] == [LicenseSource.IMPORTED] * 3
    first = licenses[0]
    parsed = parse_identifier(first.identifier)
    assert (parsed.serial, parsed.version, parsed.issuer_uscc) == (
        "JY1430102000001",
        1,
        agency.uscc,
    )
    assert first.holder_name == "长沙第1餐饮有限公司"
    assert first.data == {
        "business_scope": "热食类食品制售",
        "premises": "长沙市芙蓉区五一大道1号",
        "seats": 1,
    }
    assert (first.issued_on, first.valid_from, first.valid_until) == (
        date(2023, 5, 10),
        date(2023, 5, 10),
        date(2028, 5, 9),  # the type's rule: five years
    )
    result = services.verify_license(selectors.license_by_identifier(first.identifier), today=TODAY)
    assert result.verdict == Verdict.VALID
    assert SealUse.objects.filter(seal=seal).count() == 3
    records = LifecycleRecord.objects.filter(action=LifecycleAction.IMPORTED)
    assert records.count() == 3 and {r.actor for r in records} == {"导入员"}
    audit = AuditRecord.objects.get(action="license.imported")
    assert audit.target == f"ImportBatch:{batch.pk}"
    assert audit.detail["rows"] == 3 and audit.detail["serials_kept"] == 3
    assert audit.detail["serials_allocated"] == 0 and audit.detail["file"] == batch.file_id
    assert Event.objects.get(topic="license.imported").payload["rows"] == 3


def test_a_good_xlsx_takes_date_and_number_cells(agency, seal, food_type):
    rows = [
        [
            company_uscc(81000001),
            "湘江餐饮",
            datetime(2024, 2, 29),
            None,
            "A001",
            "小餐饮",
            "一号",
            12,
        ],
        [
            company_uscc(81000002),
            "岳麓餐饮",
            "2024年3月1日",
            "2025/3/1",
            20240000007,
            "饮品",
            "二号",
            3.0,
        ],
    ]
    batch = run_import(food_type, seal, xlsx_bytes(rows), name="存量.xlsx")
    assert batch.status == ImportStatus.IMPORTED, batch.report
    assert batch.file.extension == "xlsx"
    leap, second = License.objects.order_by("issued_on")
    assert (leap.issued_on, leap.valid_until) == (date(2024, 2, 29), date(2029, 2, 27))
    assert leap.data["seats"] == 12 and isinstance(second.data["seats"], int)
    assert second.valid_until == date(2025, 3, 1)
    assert parse_identifier(second.identifier).serial == "20240000007"


def test_csv_without_bom_with_keys_aliases_and_a_required_marker(agency, seal, food_type):
    header = ["holder_id", "单位名称", "发证日期*", "有效期起始日期", "许可证编号"]
    header += ["business_scope", "ＰＲＥＭＩＳＥＳ"]  # a key, full-width and upper case
    row = [company_uscc(82000001), "芙蓉餐饮", "2023.6.1", "2023-07-01", "B7", "预包装食品", "三号"]
    batch = run_import(food_type, seal, csv_bytes([row], header, bom=False))
    assert batch.status == ImportStatus.IMPORTED, batch.report
    license = License.objects.get()
    assert (license.valid_from, license.valid_until) == (date(2023, 7, 1), date(2028, 6, 30))
    assert "seats" not in license.data


def test_a_persons_license_type_and_a_permanent_one(agency, seal):
    health = LicenseTypeFactory(for_persons=True, permanent=True)
    header = [
        "持证主体证件号码",
        "持证主体名称",
        "发证日期",
        "有效期截止日期",
        "证照编号",
        "从业类别",
    ]
    row = ["43010219850101000x", "王芳", "2022-01-10", "长期有效", "H1", "食品生产"]
    batch = run_import(health, seal, csv_bytes([row], header))
    assert batch.status == ImportStatus.IMPORTED, batch.report
    license = License.objects.get()
    assert license.valid_until is None and license.holder_id_masked.endswith("000X")


def test_a_template_is_accepted_as_a_header(agency, seal, food_type):
    template = stock.template_csv(food_type)
    assert template.startswith(b"\xef\xbb\xbf")
    holder_id, name, issued_on, _, serial, *fields = good_row(1)
    row = [holder_id, name, issued_on, "", "", serial, *fields]
    data = template + ",".join(row).encode() + b"\n"
    assert run_import(food_type, seal, data).status == ImportStatus.IMPORTED


# --- serials ---------------------------------------------------------------------------------


def test_an_unfitting_number_gets_a_serial_and_the_report_keeps_the_mapping(seal, food_type):
    odd, blank = good_row(1), good_row(2)
    odd[4], blank[4] = "湘食经字〔2023〕第001号", ""
    batch = run_import(food_type, seal, csv_bytes([odd, blank, good_row(3)]))
    assert batch.status == ImportStatus.IMPORTED
    serials = sorted(
        parse_identifier(i).serial for i in License.objects.values_list("identifier", flat=True)
    )
    assert serials == ["20230000001", "20230000002", "JY1430102000003"]
    (row2, row3) = batch.report
    assert (row2["row"], row2["column"]) == (2, "证照编号")
    assert "湘食经字〔2023〕第001号" in row2["reason"] and "20230000001" in row2["reason"]
    assert row3["row"] == 3 and "未填证照编号" in row3["reason"]
    assert AuditRecord.objects.get(action="license.imported").detail["serials_allocated"] == 2


def test_kept_numbers_of_the_platforms_shape_are_never_allocated_again(agency, seal, food_type):
    rows = [good_row(1), good_row(2)]
    rows[0][4], rows[1][4] = "20230000500", "20230000020"
    assert run_import(food_type, seal, csv_bytes(rows)).status == ImportStatus.IMPORTED
    counter = SerialCounter.objects.get(type_code=food_type.code, year=2023)
    assert counter.last == 500
    later = sign(food_type, seal, issued_on=date(2023, 8, 1), holder_id=company_uscc(83000001))
    assert parse_identifier(later.identifier).serial == "20230000501"
    # A counter already further on stays where it is.
    rows = [good_row(3)]
    rows[0][4] = "20230000100"
    assert run_import(food_type, seal, csv_bytes(rows)).status == ImportStatus.IMPORTED
    assert SerialCounter.objects.get(type_code=food_type.code, year=2023).last == 501


# --- bad rows --------------------------------------------------------------------------------

BAD_ROWS = [
    ("holder_id", "91430102MA4L0000X0", 0, "统一社会信用代码校验位不正确"),
    ("holder_id", "", 0, "必须填写"),
    ("holder_name", "", 1, "必须填写"),
    ("holder_name", "名" * 201, 1, "不能超过200个字"),
    ("issued_on", "2023-13-01", 2, "不是有效的日期"),
    ("issued_on", "去年", 2, "不是日期"),
    ("issued_on", "", 2, "必须填写"),
    ("issued_on", "2099-01-01", 2, "不能晚于今天"),
    ("issued_on", "1900-01-01", 2, "不能早于1949年10月1日"),
    ("valid_until", "2020-01-01", 3, "不能早于起始日期"),
    ("valid_until", "长期有效", 3, "该类证照有效期为5年，不能为长期有效"),
    ("valid_until", "明年", 3, "不是日期"),
    ("business_scope", "", 5, "必须填写"),
    ("business_scope", "营" * 201, 5, "不能超过200个字"),
    ("seats", "很多", 7, "应为数字"),
    ("seats", "2.5", 7, "应为整数"),
    ("seats", "-1", 7, "不能小于0"),
]


@pytest.mark.parametrize(("what", "value", "index", "reason"), BAD_ROWS)
def test_each_kind_of_bad_row_is_named_and_nothing_is_imported(
    seal, food_type, what, value, index, reason
):
    row = good_row(1)
    row[index] = value
    batch = run_import(food_type, seal, csv_bytes([row, good_row(2)]))
    (problem,) = refused(batch)
    assert problem[:2] == (2, HEADER[index])
    assert reason in problem[2]
    assert batch.rows == 2 and not SerialCounter.objects.exists()


def test_duplicates_within_the_file_and_against_stored_licenses(seal, food_type):
    stored = sign(food_type, seal, serial="JY1430102000002", issued_on=date(2023, 1, 1))
    rows = [good_row(1), good_row(2), good_row(3), good_row(1)]
    rows[3][4] = "jy1430102000001"  # lower case: the same serial
    batch = stock.import_licenses(
        data=csv_bytes(rows), filename="x.csv", license_type=food_type, seal=seal, actor=ACTOR
    )
    assert batch.status == ImportStatus.REFUSED
    assert License.objects.get() == stored
    problems = [(p["row"], p["column"], p["reason"]) for p in batch.report]
    assert problems[0] == (
        3,
        "证照编号",
        f"证照标识 {stored.identifier} 已存在（该证照已导入或已签发）",
    )
    assert problems[1] == (5, "证照编号", "与第2行的证照编号重复")


def test_importing_the_same_file_twice_is_refused_the_second_time(seal, food_type):
    data = csv_bytes([good_row(1), good_row(2)])
    assert run_import(food_type, seal, data).status == ImportStatus.IMPORTED
    second = run_import(food_type, seal, data)
    assert second.status == ImportStatus.REFUSED and len(second.report) == 2
    assert License.objects.count() == 2


def test_one_bad_row_among_many_imports_nothing_and_names_row_and_column(seal, food_type):
    rows = [good_row(n) for n in range(1, 41)]
    rows[16][6] = ""  # 经营场所 of the 17th data row: spreadsheet row 18
    batch = run_import(food_type, seal, csv_bytes(rows))
    assert refused(batch) == [(18, "经营场所", "必须填写")]
    assert batch.rows == 40 and batch.file.size > 0
    assert not LifecycleRecord.objects.exists() and not SerialCounter.objects.exists()
    audit = AuditRecord.objects.get(action="license.import_refused")
    assert audit.detail == {"type": food_type.code, "rows": 40, "problems": 1}
    assert not Event.objects.filter(topic="license.imported").exists()


def test_every_problem_of_every_row_is_reported_at_once(seal, food_type):
    first, second = good_row(1), good_row(2)
    first[0], first[7] = "123", "x"
    second[2] = "2023-02-30"
    problems = refused(run_import(food_type, seal, csv_bytes([first, second, good_row(3)])))
    assert [(row, column) for row, column, _ in problems] == [
        (2, "持证主体证件号码"),
        (2, "餐位数"),
        (3, "发证日期"),
    ]


def test_a_value_in_a_column_without_a_header_is_refused(seal, food_type):
    row = [*good_row(1), "", "多余的内容"]
    (problem,) = refused(run_import(food_type, seal, csv_bytes([row])))
    assert problem == (2, "第10列", "该列没有列名，无法识别")


def test_an_id_number_typed_as_a_number_in_excel_is_explained(seal):
    health = LicenseTypeFactory(for_persons=True)
    header = ["持证主体证件号码", "持证主体名称", "发证日期", "证照编号", "从业类别"]
    row = [430102198501010010, "王芳", "2025-01-10", "H1", "食品生产"]
    row[0] = float(row[0])
    (problem,) = refused(run_import(health, seal, xlsx_bytes([row], header), name="a.xlsx"))
    assert problem[:2] == (2, "持证主体证件号码") and "设为文本格式" in problem[2]


# --- bad files -------------------------------------------------------------------------------


def test_a_gbk_file_is_refused_with_the_encoding_named(seal, food_type):
    data = csv_bytes([good_row(1)], bom=False, encoding="gbk")
    (problem,) = refused(run_import(food_type, seal, data))
    assert problem[0] == 1 and "UTF-8" in problem[2]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "文件为空"),
        (b"\xef\xbb\xbf\r\n", "文件为空"),
        (("\ufeff" + ",".join(HEADER) + "\n,,,\n").encode(), "只有列名"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "不支持 Excel 97-2003"),
        (b"PK\x03\x04" + b"\0" * 100, "压缩包"),
        (b'a,b\n"quoted"then,more\n', "CSV 格式不正确"),
    ],
)
def test_unreadable_files_are_refused_whole(seal, food_type, data, reason):
    (problem,) = refused(run_import(food_type, seal, data))
    assert reason in problem[2]


def test_a_damaged_xlsx_is_refused(seal, food_type):
    good = xlsx_bytes([good_row(1)])
    (problem,) = refused(run_import(food_type, seal, good[: len(good) // 2] + b"\0" * 10))
    assert "xlsx" in problem[2] or "压缩包" in problem[2]


def test_wrong_headers_are_named_before_any_row(seal, food_type):
    header = ["持证主体证件号码", "证件号码", "持证主体名称", "证照编号", "经营项目", "备注"]
    problems = refused(run_import(food_type, seal, csv_bytes([["x"] * 6], header)))
    assert problems == [
        (1, "证件号码", "与“持证主体证件号码”是同一列，重复了"),
        (1, "备注", "不是该类证照的列，请对照导入模板"),
        (1, "发证日期", "缺少该列"),
        (1, "经营场所", "缺少该列"),
    ]


def test_a_revoked_seal_imports_nothing(seal, food_type):
    services.revoke_seal(seal=seal, actor="admin", reason="印章更换")
    problems = refused(run_import(food_type, seal, csv_bytes([good_row(1)])))
    assert problems == [(None, "转换用章", "印章“行政审批专用章”已注销，不能再用章")]


def test_a_seal_of_another_sector_imports_nothing(world, food_type):
    other = make_seal(world.province_agency)
    world.province_agency.sector = "民政"
    world.province_agency.save()
    problems = refused(run_import(food_type, other, csv_bytes([good_row(1)])))
    assert problems[0][:2] == (None, "转换用章") and "不属于市场监管领域" in problems[0][2]


def test_the_report_is_capped_and_says_how_much_more(seal, food_type, monkeypatch):
    monkeypatch.setattr(stock, "REPORT_LIMIT", 3)
    rows = [good_row(n) for n in range(1, 6)]
    for row in rows:
        row[1] = ""
    problems = refused(run_import(food_type, seal, csv_bytes(rows)))
    assert len(problems) == 4 and problems[-1] == (None, "", "另有2处问题未列出")


def test_an_oversized_file_is_refused_outright(seal, food_type, monkeypatch):
    monkeypatch.setattr(stock, "MAX_BYTES", 10)
    with pytest.raises(stock.DomainError) as refusal:
        run_import(food_type, seal, csv_bytes([good_row(1)]))
    assert refusal.value.errors[0].field == "file"
    assert not ImportBatch.objects.exists()


# --- the command -----------------------------------------------------------------------------


def test_the_command_imports_a_file_and_prints_the_report(tmp_path, seal, food_type, capsys):
    path = tmp_path / "存量.csv"
    odd = good_row(2)
    odd[4] = "湘食经字〔2023〕第2号"
    path.write_bytes(csv_bytes([good_row(1), odd]))
    out = io.StringIO()
    args = ["--type", food_type.code, "--seal", seal.key_id, "--actor", "导入员"]
    call_command("licenses_import", str(path), *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "存量.csv：已导入，2行"
    assert lines[1].startswith("第3行“证照编号”：原证照编号“湘食经字〔2023〕第2号”")
    assert License.objects.count() == 2


def test_the_command_prints_the_problems_and_fails(tmp_path, seal, food_type):
    path = tmp_path / "bad.csv"
    bad = good_row(2)
    bad[0] = "123"
    path.write_bytes(csv_bytes([good_row(1), bad]))
    out = io.StringIO()
    args = ["--type", food_type.code, "--seal", seal.key_id, "--actor", "导入员"]
    with pytest.raises(CommandError, match="未导入任何证照"):
        call_command("licenses_import", str(path), *args, stdout=out)
    assert "第3行“持证主体证件号码”：统一社会信用代码长度应为18位" in out.getvalue()
    assert not License.objects.exists()


@pytest.mark.parametrize(
    ("file", "type_code", "key_id", "message"),
    [
        ("missing.csv", None, None, "文件不存在"),
        ("ok.csv", "11100000000013338W999", None, "证照类型 11100000000013338W999 不存在"),
        ("ok.csv", None, "0" * 64, "印章"),
    ],
)
def test_the_command_refuses_unknown_arguments(
    tmp_path, seal, food_type, file, type_code, key_id, message
):
    (tmp_path / "ok.csv").write_bytes(csv_bytes([good_row(1)]))
    args = ["--type", type_code or food_type.code, "--seal", key_id or seal.key_id, "--actor", "x"]
    with pytest.raises(CommandError, match=message):
        call_command("licenses_import", str(tmp_path / file), *args, stdout=io.StringIO())
    assert not ImportBatch.objects.exists() and LicenseType.objects.count() == 1
