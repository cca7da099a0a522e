import pytest

from yiwang.catalog import services
from yiwang.catalog.checks import region_report
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import ServiceItem
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import FOOD_GUIDE, food_guide
from yiwang.core.errors import DomainError
from yiwang.regions.constants import Level

pytestmark = pytest.mark.django_db


def submit(world, guide):
    version = world.implement(world.county_agency, guide, publish=False)
    with pytest.raises(DomainError) as raised:
        services.submit_version(actor=SYSTEM, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    return raised.value


def material(name, **fields):
    return {
        "name": name,
        "basis": "《食品经营许可和备案管理办法》第十二条",
        "medium": "electronic",
        **fields,
    }


def test_promised_limit_may_not_exceed_statutory(world):
    error = submit(world, food_guide(promised_limit=25))
    assert error.title == "自动检查未通过"
    assert "承诺办结时限（25个工作日）不得超过法定办结时限（20个工作日）" in error.detail


@pytest.mark.parametrize("name", ["其他材料", "相关材料复印件", "身份证明等", "其它材料"])
def test_vague_materials_are_refused(world, name):
    error = submit(world, food_guide(materials=[material(name)]))
    assert f"“{name}”是模糊兜底表述" in error.detail


def test_every_material_needs_a_basis(world):
    error = submit(world, food_guide(materials=[material("场所平面图", basis="")]))
    assert error.errors[0].field == "materials.0.basis"
    assert "缺少设定依据" in error.detail


def test_fully_online_needs_every_material_electronic(world):
    paper = material("场所平面图", medium="paper")
    error = submit(world, food_guide(materials=[paper]))
    assert "全程网办要求全部材料可电子提交" in error.detail and "场所平面图" in error.detail
    # The same material is fine when a visit is part of the process.
    version = world.implement(world.city_agency, food_guide(materials=[paper], visits=1))
    assert version.status == VersionStatus.PUBLISHED


def test_all_faults_are_named_at_once(world):
    error = submit(world, food_guide(promised_limit=30, materials=[material("其他材料", basis="")]))
    fields = {e.field for e in error.errors}
    assert {"promised_limit", "materials.0.name", "materials.0.basis"} <= fields


def test_tampered_implementation_code_is_reported(world):
    version = world.implement(world.county_agency, publish=False)
    code = version.service_item.implementation_code
    ServiceItem.objects.filter(pk=version.service_item_id).update(
        implementation_code=code[:-1] + ("0" if code[-1] != "0" else "1")
    )
    version.refresh_from_db()
    with pytest.raises(DomainError, match="校验位不正确"):
        services.submit_version(actor=SYSTEM, version=version)


def test_malformed_guides_are_refused_naming_fields(world):
    guide = food_guide(statutory_limit="二十", audience=[])
    guide["materials"][2].pop("condition", None)
    with pytest.raises(DomainError) as raised:
        world.implement(world.county_agency, guide, publish=False)
    messages = raised.value.detail
    assert "法定办结时限应为整数" in messages
    assert "服务对象至少填写一项" in messages
    assert "非必要材料须写明提交条件" in messages
    assert not ServiceItem.objects.exists()


def test_three_levels_eight_same_report_finds_deviations(world):
    world.implement(world.province_agency)
    world.implement(world.city_agency)
    deviating = food_guide(
        materials=[*FOOD_GUIDE["materials"], material("卫生许可证明")],
        fees=[{"name": "工本费", "amount_fen": 1000, "basis": "无"}],
    )
    county = world.implement(world.county_agency, deviating)

    report = region_report(world.county.code, level=Level.COUNTY)

    uniformity = [f for f in report.findings if f.rule == "uniformity"]
    assert {(f.implementation_code, f.field) for f in uniformity} == {
        (county.service_item.implementation_code, "materials"),
        (county.service_item.implementation_code, "fees"),
    }
    assert all("湖南省" in f.message for f in uniformity)
    assert report.errors == []


def test_region_report_flags_stale_elements_after_a_catalog_change(world):
    world.implement(world.county_agency)
    services.change_catalog_item(
        actor=SYSTEM, item=world.food, keywords=["餐饮"], name="食品经营许可证"
    )
    report = region_report(world.city.code, level=Level.CITY)
    assert [f.rule for f in report.findings] == ["stale_elements"]
