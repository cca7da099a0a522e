"""Import and export of the catalog (xlsx and JSON): lossless round trips, all or nothing,
every fault named by sheet, row, column and reason."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from yiwang.catalog import services, transfer
from yiwang.catalog.constants import PendingChangeStatus, ScopeRole, VersionStatus
from yiwang.catalog.guide import Guide
from yiwang.catalog.models import (
    CatalogItem,
    CatalogItemChange,
    CatalogScope,
    PendingChange,
    SearchEntry,
    ServiceItem,
    ServiceItemVersion,
)
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.plugins.codes import code_schemes
from yiwang.catalog.tests.factories import UserFactory, food_guide, organization
from yiwang.catalog.transfer import layout
from yiwang.core.errors import DomainError, FieldError, Forbidden
from yiwang.core.identifiers import make_uscc
from yiwang.core.models import Event
from yiwang.regions.models import Region

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

RICH_GUIDE = food_guide(
    conditions=["具有与经营的食品品种、数量相适应的经营场所", "有食品安全管理人员"],
    fees=[
        {"name": "工本费", "amount_fen": 1050, "basis": "《收费标准》", "waiver": "小微企业免收"}
    ],
    locations=[{"name": "市政务服务中心", "address": "长沙市岳麓区", "hours": "工作日 9:00-17:00"}],
    faq=[{"q": "需要多久？", "a": "=10个工作日内办结（以等号开头也不是公式）"}],
    policies=[{"title": "食品经营许可和备案管理办法", "ref": "市场监管总局令第78号"}],
    intermediary_services=["场所平面图绘制"],
    consultation="0731-12345",
    complaint="12345",
    handling_kind="joint",
    visits=0,
)


@pytest.fixture
def catalog(world):
    """Food licensing at county and city level, and a main item with one sub item."""
    for code, name in (
        ("XK00013000", "建设工程规划许可"),
        ("XK00013001", "建设工程规划许可（新建）"),
    ):
        services.create_catalog_item(
            actor=SYSTEM,
            basic_code=code,
            item_type="XK",
            name=name,
            legal_basis=[
                {"law": "《中华人民共和国城乡规划法》", "article": "第四十条"},
                {"law": "《湖南省实施〈城乡规划法〉办法》（省人大常委会公告）", "article": ""},
                {"law": "城乡规划条例", "article": "（一）项"},
            ],
            levels=[2, 3],
            sector="自然资源",
            audience=["organization"],
        )
    world.implement(world.county_agency)
    world.implement(world.city_agency, RICH_GUIDE)
    return world


def export(file_format: str, **options) -> bytes:
    return transfer.export_file(file_format=file_format, **options).content


def import_file(data: bytes, file_format: str, actor=SYSTEM) -> transfer.ImportSummary:
    return transfer.import_catalog(data, filename=f"catalog.{file_format}", actor=actor)


def wipe() -> None:
    ServiceItem.objects.all().delete()
    CatalogItem.objects.filter(main_item__isnull=False).delete()
    CatalogItem.objects.all().delete()


def counts() -> dict[str, int]:
    models = (
        CatalogItem,
        CatalogItemChange,
        ServiceItem,
        ServiceItemVersion,
        PendingChange,
        SearchEntry,
        Event,
    )
    return {model.__name__: model.objects.count() for model in models}


def sheets(data: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}


def edit_cell(data: bytes, title: str, row: int, key: str, value) -> tuple[bytes, str]:
    """Change one cell of an exported workbook; returns the file and the cell's reference."""
    workbook = load_workbook(io.BytesIO(data))
    worksheet = workbook[title]
    column = next(cell.column_letter for cell in worksheet[2] if cell.value == key)
    worksheet[f"{column}{row}"] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), f"{title}!{column}{row}"


def refusal(data: bytes, file_format: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        import_file(data, file_format)
    return caught.value


# Round trips --------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["xlsx", "json"])
def test_export_wipe_import_export_gives_the_same_data(catalog, file_format):
    document, first = transfer.export_document(), export(file_format)
    wipe()
    summary = import_file(first, file_format)
    assert summary.as_dict() == {
        "catalog_items": {"created": 3, "changed": 0, "unchanged": 0},
        "service_items": {"created": 2, "changed": 0, "unchanged": 0},
    }
    assert transfer.export_document() == document
    content = sheets if file_format == "xlsx" else bytes
    assert content(export(file_format)) == content(first)


def test_imported_items_are_published_with_their_sub_item_under_the_main_item(catalog):
    data = export("xlsx")
    wipe()
    import_file(data, "xlsx")
    assert CatalogItem.objects.get(basic_code="XK00013001").main_item.basic_code == "XK00013000"
    assert set(ServiceItemVersion.objects.values_list("status", flat=True)) == {
        VersionStatus.PUBLISHED
    }


@pytest.mark.parametrize("file_format", ["xlsx", "json"])
def test_reimporting_the_same_file_changes_nothing(catalog, file_format):
    data, before = export(file_format), counts()
    summary = import_file(data, file_format)
    assert summary.as_dict() == {
        "catalog_items": {"created": 0, "changed": 0, "unchanged": 3},
        "service_items": {"created": 0, "changed": 0, "unchanged": 2},
    }
    assert counts() == before


def test_the_layout_covers_every_field_of_the_guide():
    guide_columns = {c.key for c in layout.SERVICE.columns if c.in_guide}
    assert guide_columns | set(layout.ENTRY_SHEET_OF) == set(Guide.model_fields)
    for collection, sheet in layout.ENTRY_SHEET_OF.items():
        entry_model = Guide.model_fields[collection].annotation.__args__[0]
        assert {c.key for c in sheet.entry_columns} == set(entry_model.model_fields)


def test_a_workbook_without_the_key_row_is_read_by_its_chinese_headers(catalog):
    workbook = load_workbook(io.BytesIO(export("xlsx")))
    for title in ("基本目录", "实施清单"):
        workbook[title].delete_rows(2)
    buffer = io.BytesIO()
    workbook.save(buffer)
    summary = import_file(buffer.getvalue(), "xlsx")
    assert (summary.catalog_items.unchanged, summary.service_items.unchanged) == (3, 2)


def test_legal_bases_are_written_as_one_line_each_and_read_back_exactly(catalog):
    rows = sheets(export("xlsx"))["基本目录"]
    main = next(row for row in rows if row[0] == "XK00013000")
    assert main[rows[1].index("legal_basis")].splitlines() == [
        "《中华人民共和国城乡规划法》第四十条",
        "《湖南省实施〈城乡规划法〉办法》（省人大常委会公告）",
        "城乡规划条例｜（一）项",
    ]


def test_the_workbook_is_readable_by_people_and_exact_for_machines(catalog):
    workbook = load_workbook(io.BytesIO(export("xlsx")))
    assert workbook.sheetnames == [s.title for s in layout.SHEETS] + ["填写说明"]
    services_sheet = workbook["实施清单"]
    assert services_sheet.row_dimensions[2].hidden
    rows = list(services_sheet.iter_rows(min_row=1, max_row=3, values_only=True))
    headers, keys, first = rows
    assert headers[keys.index("promised_limit")] == "承诺办结时限"
    assert first[keys.index("online_stages")] == "1^2^3^4^5^6"
    catalog_rows = list(workbook["基本目录"].iter_rows(min_row=2, max_row=3, values_only=True))
    assert catalog_rows[1][catalog_rows[0].index("legal_basis")] == (
        "《中华人民共和国食品安全法》第三十五条"
    )
    faq = workbook["常见问题"]
    assert faq["D3"].data_type == "s"  # text starting with = is never a formula


# All or nothing -----------------------------------------------------------------------------


def test_one_bad_row_among_good_rows_writes_nothing(catalog):
    data = export("xlsx")
    wipe()
    before = counts()
    rows = sheets(data)["实施清单"]
    row = 3 + next(i for i, r in enumerate(rows[2:]) if r[0].startswith(catalog.city_agency.uscc))
    data, cell = edit_cell(data, "实施清单", row, "promised_limit", 30)
    error = refusal(data, "xlsx")
    assert error.errors == [
        FieldError(
            field=cell,
            message=f"工作表“实施清单”第{row}行“承诺办结时限”列："
            "承诺办结时限（30个工作日）不得超过法定办结时限（20个工作日）",
        )
    ]
    assert counts() == before


def test_a_service_refusing_a_record_midway_rolls_everything_back(catalog):
    township = Region.objects.get(code="430102001000")
    agency = organization(township, "文艺路街道办事处", 10000009)
    document = transfer.export_document()
    extra = dict(document["service_items"][0])
    extra.update(
        agency_uscc=agency.uscc,
        agency_name=agency.name,
        region_code=township.code,
        implementation_code=code_schemes["yiwang"].make(
            uscc=agency.uscc, division_code=township.code, basic_code=extra["basic_code"]
        ),
    )
    document["service_items"].append(extra)
    wipe()
    before = counts()
    error = refusal(json.dumps(document).encode(), "json")
    assert [(e.field, e.message) for e in error.errors] == [
        (
            "service_items[2].agency_uscc",
            "实施清单第3项“实施机构统一社会信用代码”（agency_uscc）："
            "“食品经营许可”只能由省级、市级、县级机构实施",
        )
    ]
    assert counts() == before


def test_an_actor_without_basic_catalog_rights_is_refused_and_nothing_is_written(catalog):
    editor = catalog.editor(catalog.county)
    document = transfer.export_document()
    document["catalog_items"][0]["keywords"] = ["新关键词"]
    before = counts()
    with pytest.raises(Forbidden) as caught:
        import_file(json.dumps(document).encode(), "json", actor=editor)
    assert "基本目录" in caught.value.detail and "第1项" in caught.value.detail
    assert counts() == before


# Each kind of bad input ---------------------------------------------------------------------

CITY_USCC = make_uscc(authority="1", kind="1", division6="430100", organization8="10000002")
BAD_CHECK_USCC = CITY_USCC[:-1] + ("0" if CITY_USCC[-1] != "0" else "1")
UNKNOWN_USCC = make_uscc(authority="1", kind="1", division6="430100", organization8="99999999")

BAD_CELLS = [
    ("基本目录", 3, "basic_code", "XK0001200", "基本编码应为事项类型字母"),
    ("基本目录", 3, "name", None, "“事项名称”列：不能为空"),
    ("基本目录", 3, "item_type", None, "“事项类型”列：不能为空"),
    ("基本目录", 3, "legal_basis", None, "“设定依据”列：不能为空"),
    ("基本目录", 3, "legal_basis", "食品安全法第三十五条", "每行应写成《法律法规名称》条款"),
    (
        "基本目录",
        3,
        "item_type",
        "行政确认",
        "事项类型“行政确认”与基本编码 XK00012000 的类型字母 XK 不一致",
    ),
    (
        "基本目录",
        4,
        "basic_code",
        "XK00012000",
        "基本编码 XK00012000 重复，工作表“基本目录”第3行已有",
    ),
    (
        "基本目录",
        3,
        "levels",
        "省级\n地级",
        "“地级”不是允许的取值，应为省级、市级、县级、乡级、村级 之一",
    ),
    ("基本目录", 3, "popularity", "很多", "应为整数，“很多”不是整数"),
    ("实施清单", 3, "implementation_code", "43ABC", "实施编码应为41位"),
    ("实施清单", 3, "agency_uscc", BAD_CHECK_USCC, "统一社会信用代码校验位不正确"),
    (
        "实施清单",
        3,
        "agency_uscc",
        UNKNOWN_USCC,
        f"没有统一社会信用代码为 {UNKNOWN_USCC} 的实施机构",
    ),
    (
        "实施清单",
        3,
        "handling_kind",
        "特急件",
        "“特急件”不是允许的取值，应为即办件、承诺件、联办件 之一",
    ),
    ("实施清单", 3, "statutory_limit", 2.5, "应为整数，“2.5”不是整数"),
    ("实施清单", 3, "online_stages", "1^2^9", "“9”不是允许的取值"),
    ("申请材料", 3, "name", "其他相关材料", "申请材料第1项“其他相关材料”是模糊兜底表述"),
    ("申请材料", 3, "basis", None, "申请材料第1项“食品经营许可申请书”缺少设定依据"),
    ("申请材料", 3, "required", "可能", "应填“是”或“否”，不能是“可能”"),
    ("申请材料", 3, "copies", "两份", "应为整数，“两份”不是整数"),
    ("申请材料", 3, "copies", 50, "数值过大"),
    ("申请材料", 3, "implementation_code", "X" * 41, "实施清单中没有实施编码为"),
    ("申请材料", 4, "sequence", 1, "序号 1 与同一事项的另一行重复"),
]


@pytest.mark.parametrize(("title", "row", "key", "value", "reason"), BAD_CELLS)
def test_each_bad_cell_is_named_by_sheet_row_column_and_reason(
    catalog, title, row, key, value, reason
):
    data, cell = edit_cell(export("xlsx"), title, row, key, value)
    before = counts()
    error = refusal(data, "xlsx")
    located = [e for e in error.errors if reason in e.message]
    assert located, [e.message for e in error.errors]
    assert located[0].message.startswith(f"工作表“{title}”第{row}行")
    assert located[0].field in (cell, f"{title}!{row}:{row}")
    assert counts() == before


def test_a_sub_item_whose_main_item_is_missing_is_named(catalog):
    data, _ = edit_cell(export("xlsx"), "基本目录", 5, "main_code", None)
    data, cell = edit_cell(data, "基本目录", 5, "basic_code", "XK00099001")
    assert [(e.field, e.message) for e in refusal(data, "xlsx").errors] == [
        (
            cell,
            "工作表“基本目录”第5行“基本编码”列："
            "子项 XK00099001 的主项 XK00099000 不存在：请在“基本目录”中同时列出主项",
        )
    ]


def test_fully_online_with_a_paper_only_material_is_named_on_the_online_stages(catalog):
    data, _ = edit_cell(export("xlsx"), "申请材料", 3, "medium", "纸质")
    error = refusal(data, "xlsx")
    assert [e.message for e in error.errors] == [
        "工作表“实施清单”第3行“网上办理环节”列："
        "全程网办要求全部材料可电子提交，以下材料仅限纸质：食品经营许可申请书"
    ]


def test_the_wrong_agency_name_and_region_are_named(catalog):
    data, _ = edit_cell(export("xlsx"), "实施清单", 3, "agency_name", "某某局")
    data, _ = edit_cell(data, "实施清单", 3, "region_code", "430103000000")
    messages = [e.message for e in refusal(data, "xlsx").errors]
    assert any("“实施机构”列：与统一社会信用代码对应的机构" in m for m in messages)
    assert any("“实施区划代码”列：应为实施机构所在区划的代码" in m for m in messages)


def test_a_missing_column_is_named(catalog):
    workbook = load_workbook(io.BytesIO(export("xlsx")))
    workbook["办理流程"].delete_cols(4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    messages = [e.message for e in refusal(buffer.getvalue(), "xlsx").errors]
    assert messages == ["工作表“办理流程”缺少“办理说明”列"]


BAD_JSON = [
    (
        lambda d: d["service_items"][0]["guide"].update(handling_kind="urgent"),
        "“urgent”不是允许的取值",
    ),
    (
        lambda d: d["service_items"][0]["guide"]["materials"][0].update(original="是"),
        "应为 true 或 false",
    ),
    (lambda d: d["catalog_items"][0].update(levels=[1, 9]), "“9”不是允许的取值"),
    (lambda d: d["catalog_items"][0].update(colour="红"), "“colour”不是可导入的字段"),
    (lambda d: d["service_items"][0].pop("guide"), "缺少办事指南“guide”"),
]


@pytest.mark.parametrize(("spoil", "reason"), BAD_JSON)
def test_bad_json_values_are_named_by_path(catalog, spoil, reason):
    document = transfer.export_document()
    spoil(document)
    messages = [e.message for e in refusal(json.dumps(document).encode(), "json").errors]
    assert any(reason in m for m in messages), messages


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("catalog.xlsx", b"basic_code,name\nXK00012000,x", "不是 Excel 工作簿"),
        ("catalog.xlsx", b"PK\x03\x04 not really a zip", "无法读取 Excel 文件"),
        ("catalog.json", b"{not json", "不是有效的 JSON"),
        ("catalog.json", b'{"format": "other"}', "不是一网事项目录文件"),
        ("catalog.csv", b"a,b", "只能导入 .xlsx 或 .json 文件"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(catalog, filename, content, reason):
    with pytest.raises(DomainError) as caught:
        transfer.import_catalog(content, filename=filename, actor=SYSTEM)
    assert reason in caught.value.detail


# Changes go through the services ------------------------------------------------------------


def test_a_changed_catalog_item_is_recorded_as_a_change_pending_on_its_implementations(catalog):
    document = transfer.export_document()
    food = next(i for i in document["catalog_items"] if i["basic_code"] == "XK00012000")
    food["name"] = "食品经营许可（含小餐饮）"
    summary = import_file(json.dumps(document).encode(), "json")
    assert summary.catalog_items.changed == 1 and summary.catalog_items.unchanged == 2
    change = CatalogItemChange.objects.get(catalog_item__basic_code="XK00012000")
    assert change.diff == [
        {
            "path": "name",
            "label": "名称",
            "kind": "changed",
            "old": "食品经营许可",
            "new": "食品经营许可（含小餐饮）",
        }
    ]
    pending = PendingChange.objects.filter(change=change)
    assert pending.count() == 2
    assert {p.status for p in pending} == {PendingChangeStatus.OPEN}


def test_a_changed_guide_is_published_as_a_new_version(catalog):
    document = transfer.export_document()
    document["service_items"][0]["guide"]["promised_limit"] = 5
    summary = import_file(json.dumps(document).encode(), "json")
    assert summary.service_items.changed == 1 and summary.service_items.unchanged == 1
    code = document["service_items"][0]["implementation_code"]
    versions = ServiceItemVersion.objects.filter(service_item__implementation_code=code)
    assert dict(versions.values_list("number", "status")) == {
        1: VersionStatus.SUPERSEDED,
        2: VersionStatus.PUBLISHED,
    }
    assert versions.get(number=2).guide["promised_limit"] == 5


def test_export_can_be_limited_to_a_region(catalog):
    county_only = transfer.export_document(region=catalog.county.code)
    assert [s["region_code"] for s in county_only["service_items"]] == [catalog.county.code]
    assert len(county_only["catalog_items"]) == 3
    assert len(transfer.export_document(region="4301")["service_items"]) == 2


# Commands -------------------------------------------------------------------------------------


def test_commands_export_and_import(catalog, tmp_path, capsys):
    path = tmp_path / "catalog.xlsx"
    call_command("catalog_export", str(path), "--format", "xlsx")
    assert path.read_bytes().startswith(b"PK\x03\x04")
    call_command("catalog_import", str(path))
    assert "实施清单：新增0、变更0、未变2" in capsys.readouterr().out


def test_import_command_prints_every_error_and_fails(catalog, tmp_path, capsys):
    data, _ = edit_cell(export("xlsx"), "申请材料", 3, "copies", "两份")
    data, _ = edit_cell(data, "基本目录", 3, "name", None)
    path = tmp_path / "catalog.xlsx"
    path.write_bytes(data)
    with pytest.raises(CommandError):
        call_command("catalog_import", str(path))
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [
        "工作表“基本目录”第3行“事项名称”列：不能为空",
        "工作表“申请材料”第3行“份数”列：应为整数，“两份”不是整数",
    ]


# API ------------------------------------------------------------------------------------------


def upload(client, data: bytes, name: str = "catalog.xlsx"):
    return client.post("/api/catalog/import", {"file": SimpleUploadedFile(name, data, XLSX)})


@pytest.fixture
def catalog_admin(catalog):
    user = UserFactory()
    for role in (ScopeRole.EDITOR, ScopeRole.REVIEWER):
        CatalogScope.objects.create(user=user, role=role, region=catalog.province)
    return user


def test_api_exports_xlsx_and_json(client, catalog):
    response = client.get("/api/catalog/export", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"PK\x03\x04")
    document = client.get("/api/catalog/export", {"format": "json", "region": "430102"}).json()
    assert document["format"] == "yiwang-catalog" and len(document["service_items"]) == 1


def test_api_import_by_an_authorized_user(client, catalog, catalog_admin):
    data, _ = edit_cell(export("xlsx"), "实施清单", 3, "visits", 1)
    client.force_login(catalog_admin)
    response = upload(client, data)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "catalog_items": {"created": 0, "changed": 0, "unchanged": 3},
        "service_items": {"created": 0, "changed": 1, "unchanged": 1},
    }


def test_api_import_needs_a_login(client, catalog):
    response = upload(client, export("xlsx"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_api_import_needs_a_catalog_scope(client, catalog):
    client.force_login(UserFactory())
    response = upload(client, export("xlsx"))
    assert response.status_code == 403
    assert response.json()["detail"] == "您没有目录管理权限，不能导入事项目录"


def test_api_refuses_a_file_that_is_not_xlsx(client, catalog, catalog_admin):
    client.force_login(catalog_admin)
    response = upload(client, "基本编码,事项名称\n".encode() * 10)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "不是 Excel 工作簿" in response.json()["detail"]


def test_api_refuses_a_file_over_the_size_limit(client, catalog, catalog_admin, monkeypatch):
    monkeypatch.setattr("yiwang.catalog.transfer.reading.MAX_FILE_BYTES", 100)
    client.force_login(catalog_admin)
    response = upload(client, export("xlsx"))
    assert response.status_code == 413
    assert "文件过大" in response.json()["detail"]


def test_api_names_every_fault_of_a_bad_file(client, catalog, catalog_admin):
    data, cell = edit_cell(export("xlsx"), "收费标准", 3, "amount_fen", "十元")
    client.force_login(catalog_admin)
    response = upload(client, data)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == [
        {"field": cell, "message": "工作表“收费标准”第3行“金额（分）”列：应为整数，“十元”不是整数"}
    ]
