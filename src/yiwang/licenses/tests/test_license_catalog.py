"""证照目录: license types as the back office enters them, their validity rule, and the
materials they satisfy."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from yiwang.licenses import selectors
from yiwang.licenses.constants import ValidityKind
from yiwang.licenses.models import LicenseMaterial
from yiwang.licenses.tests.factories import FOOD_SCHEMA, LicenseTypeFactory

pytestmark = pytest.mark.django_db


def refusal(**fields) -> dict:
    with pytest.raises(ValidationError) as refused:
        LicenseTypeFactory(**fields)
    return refused.value.message_dict


def test_a_type_code_is_a_definer_uscc_and_three_digits():
    assert "证照类型代码应为21位" in refusal(code="11100000000013338W01")["code"][0]
    assert "校验位不正确" in refusal(code="11100000000013338X011")["code"][0]
    assert LicenseTypeFactory(code="11100000000013338w011").code == "11100000000013338W011"


def test_every_data_field_needs_a_chinese_title():
    schema = {"type": "object", "properties": {"scope": {"type": "string"}}}
    assert refusal(data_schema=schema)["data_schema"] == ["证照数据项须有中文标题（title）：scope"]
    assert "不是有效的 JSON Schema" in refusal(data_schema={"type": "nope"})["data_schema"][0]
    assert refusal(data_schema={"type": "object"})["data_schema"] == [
        "证照数据项须是含字段（properties）的对象"
    ]


def test_display_hints_name_existing_fields():
    hints = {"order": ["premises", "owner"], "personal": ["operator", 7], "colour": "red"}
    assert refusal(display_hints=hints)["display_hints"] == [
        "版式提示不认识的键：colour",
        "版式提示的 order 引用了不存在的字段：owner",
        "版式提示的 personal 须是字段名的列表",
    ]


def test_the_validity_rule_is_years_or_permanent():
    assert refusal(validity_years=None)["validity_years"] == ["按年计算的有效期须填写年数"]
    problems = refusal(validity_kind=ValidityKind.PERMANENT, validity_years=3)
    assert problems["validity_years"] == ["长期有效的证照不填年数"]


def test_a_period_ends_the_day_before_its_anniversary():
    five_years = LicenseTypeFactory.build(validity_years=5)
    assert five_years.valid_until_for(date(2024, 5, 10)) == date(2029, 5, 9)
    # No 29 February in 2029: the anniversary is the month's last day (民法典 Art. 202).
    assert five_years.valid_until_for(date(2024, 2, 29)) == date(2029, 2, 27)
    assert LicenseTypeFactory.build(permanent=True).valid_until_for(date(2024, 5, 10)) is None


def test_a_material_of_a_catalog_item_lists_the_types_that_satisfy_it(world):
    business = LicenseTypeFactory(name="营业执照", permanent=True, data_schema=FOOD_SCHEMA)
    LicenseMaterial.objects.create(
        license_type=business, catalog_item=world.food, material_name="营业执照"
    )
    found = selectors.license_types_for_material(world.food, "营业执照")
    assert list(found) == [business]
    assert not selectors.license_types_for_material(world.food, "食品经营许可申请书").exists()
