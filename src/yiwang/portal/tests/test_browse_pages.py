import pytest

from yiwang.catalog.tests.factories import food_guide


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/browse/theme/开办企业/", "主题：开办企业"),
        ("/browse/event/开饭店/", "人生/企业事件：开饭店"),
        ("/browse/sector/市场监管/", "部门：市场监管"),
        ("/browse/audience/organization/", "法人办事"),
        ("/browse/level/3/", "县级事项"),
    ],
)
def test_browsing_lists_the_matching_items(in_furong, world, url, heading):
    county = world.implement(world.county_agency).service_item

    response = in_furong.get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert heading in page
    assert f'href="/guide/{county.implementation_code}/"' in page


def test_browsing_by_audience_excludes_other_audiences(in_furong, world):
    world.implement(world.county_agency, food_guide(audience=["organization"]))
    page = in_furong.get("/browse/audience/person/").content.decode()
    assert "个人办事" in page and "这里暂时没有可办理的事项" in page


def test_browsing_a_level_below_the_chosen_region_suggests_choosing_one(client, world):
    world.implement(world.county_agency)
    page = client.get("/browse/level/3/").content.decode()  # the visitor is at 湖南省
    assert "这里暂时没有可办理的事项" in page and "/region/choose/" in page


def test_unknown_facet_value_is_an_empty_listing(in_furong, world):
    response = in_furong.get("/browse/theme/不存在的主题/")
    assert response.status_code == 200
    assert "共 <strong>0</strong> 个事项" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("/browse/colour/红/", "浏览方式应为 theme、event 或 sector"),
        ("/browse/audience/alien/", "服务对象应为"),
        ("/browse/level/9/", "层级应为1（省级）到5（村级）之间的整数"),
        ("/browse/level/x/", "层级应为1（省级）到5（村级）之间的整数"),
        ("/browse/theme/开办企业/?page=x", "页码应为1到500之间的整数"),
    ],
)
def test_bad_browse_values_are_400_with_the_reason(client, db, url, reason):
    response = client.get(url)
    assert response.status_code == 400
    assert reason in response.content.decode()


@pytest.mark.parametrize(
    "url",
    ["/browse/theme/%00/", "/browse/sector/a%00b/", "/guide/%00/", "/guide/a%00/changes/"],
)
def test_nul_in_the_path_is_400_not_a_database_error(client, db, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
