from io import BytesIO

import pytest
from openpyxl import load_workbook

from yiwang.catalog.forms import blank_form_workbook
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.errors import NotFound


def _sheet(data: bytes):
    return load_workbook(BytesIO(data)).active


def _labels(sheet) -> list[str]:
    return [row[0] for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True) if row[0]]


def test_form_carries_the_guide_and_blank_applicant_fields(world):
    version = world.implement(world.county_agency)
    item = version.service_item

    sheet = _sheet(blank_form_workbook(item, version, 1))

    assert sheet["A1"].value == "食品经营许可申请书"
    labels = _labels(sheet)
    for label in ("事项名称", "实施机构", "实施编码", "申请人姓名/名称", "证件号码", "联系电话"):
        assert label in labels
    assert {"联系地址", "申请日期", "申请人（签字或盖章）：", "填写说明"} <= set(labels)
    values = {row[0]: row[1] for row in sheet.iter_rows(max_col=2, values_only=True) if row[0]}
    assert values["事项名称"] == "食品经营许可"
    assert values["实施机构"] == "芙蓉区市场监督管理局"
    assert values["实施编码"] == item.implementation_code
    assert values["申请人姓名/名称"] is None


def test_applicant_cells_are_fillable_and_labels_are_protected(world):
    version = world.implement(world.county_agency)
    sheet = _sheet(blank_form_workbook(version.service_item, version, 1))

    rows = {row[0].value: row for row in sheet.iter_rows(max_col=2) if row[0].value}
    assert sheet.protection.sheet
    assert not rows["证件号码"][1].protection.locked
    assert rows["实施编码"][1].protection.locked


def test_material_notes_are_printed_as_filling_instructions(world):
    guide = food_guide()
    guide["materials"][0]["notes"] = "经营场所面积以平方米为单位填写"
    version = world.implement(world.county_agency, guide)

    sheet = _sheet(blank_form_workbook(version.service_item, version, 1))

    assert "经营场所面积以平方米为单位填写" in [c for row in sheet.values for c in row]


@pytest.mark.parametrize("index", [0, 4, -1])
def test_index_outside_the_materials_is_not_found(world, index):
    version = world.implement(world.county_agency)
    with pytest.raises(NotFound, match="申请材料"):
        blank_form_workbook(version.service_item, version, index)


def test_material_without_a_blank_form_is_not_found(world):
    version = world.implement(world.county_agency)
    with pytest.raises(NotFound, match="营业执照"):
        blank_form_workbook(version.service_item, version, 2)
