import pytest

from yiwang.catalog.tests.factories import food_guide
from yiwang.portal import views


def test_search_lists_the_items_carried_out_for_the_region(in_furong, world):
    county = world.implement(world.county_agency).service_item
    world.implement(world.other_county_agency)

    response = in_furong.get("/search/", {"q": "食品经营"})

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/guide/{county.implementation_code}/"' in page
    assert "芙蓉区市场监督管理局" in page
    assert "天元区市场监督管理局" not in page  # another county's implementation
    assert "全程网办" in page and "零跑动" in page
    assert "共找到 <strong>1</strong> 个事项" in page


def test_result_shows_region_name_depth_and_visits(in_furong, world):
    world.implement(world.city_agency, food_guide(online_stages=[1], visits=2))

    page = in_furong.get("/search/", {"q": "spjyxk"}).content.decode()

    assert "长沙市市场监督管理局" in page
    assert "<dd>长沙市</dd>" in page
    assert "网上咨询（信息公开）" in page and "最多跑2次" in page


def test_filters_narrow_the_results(in_furong, world):
    world.implement(world.county_agency, food_guide(audience=["organization"]))

    assert "共找到 <strong>1</strong>" in in_furong.get("/search/", {"q": "食品"}).content.decode()
    for params in ({"audience": "person"}, {"department": "公安"}, {"depth": "4", "q": "x"}):
        page = in_furong.get("/search/", {"q": "食品", **params}).content.decode()
        assert "没有找到" in page
    page = in_furong.get("/search/", {"q": "食品", "department": "市场监管"}).content.decode()
    assert '<option value="市场监管" selected>' in page


def test_empty_result_explains_what_to_try(in_furong, world):
    page = in_furong.get("/search/", {"q": "宇宙飞船"}).content.decode()
    assert "没有找到与“宇宙飞船”相关的事项" in page
    assert "拼音首字母" in page and "12345" in page


def test_overlong_query_is_refused_with_the_reason(in_furong, world):
    response = in_furong.get("/search/", {"q": "食" * 51})

    assert response.status_code == 400
    page = response.content.decode()
    assert "搜索词过长，最多50个字" in page
    assert 'aria-invalid="true"' in page  # the field it names is marked


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"audience": "martian"}, "服务对象应为"),
        ({"depth": "9"}, "网上办理深度应为0到4之间的整数"),
        ({"depth": "abc"}, "网上办理深度应为0到4之间的整数"),
        ({"page": "0"}, "页码应为1到500之间的整数"),
        ({"page": "501"}, "页码应为1到500之间的整数"),
    ],
)
def test_bad_parameters_get_400_with_chinese_reason(in_furong, params, reason):
    response = in_furong.get("/search/", {"q": "食品", **params})
    assert response.status_code == 400
    assert reason in response.content.decode()


@pytest.mark.parametrize(
    "query", ["😀🍜", "'; DROP TABLE catalog_searchentry; --", "<script>alert(1)</script>", "%_"]
)
def test_odd_queries_are_answered_not_failed(in_furong, world, query):
    world.implement(world.county_agency)
    response = in_furong.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_results_are_paginated(in_furong, world):
    world.implement(world.county_agency)
    page = in_furong.get("/search/", {"q": "食品", "page": "2"}).content.decode()
    assert "该页没有结果" in page


def test_pagination_links_keep_the_filters(in_furong, world, monkeypatch):
    monkeypatch.setattr(views, "RESULTS_PER_PAGE", 1)
    world.implement(world.county_agency)
    world.implement(world.city_agency)

    page = in_furong.get("/search/", {"q": "食品", "audience": "person"}).content.decode()

    assert 'aria-label="分页"' in page
    assert "?q=%E9%A3%9F%E5%93%81&amp;audience=person&amp;page=2" in page


@pytest.mark.parametrize("params", [{"q": "\x00"}, {"q": "", "department": "市\x00场"}])
def test_nul_characters_are_refused_not_sent_to_the_database(in_furong, world, params):
    world.implement(world.county_agency)
    response = in_furong.get("/search/", params)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_search_page_reads_few_rows(in_furong, world, django_assert_max_num_queries):
    world.implement(world.county_agency)
    world.implement(world.city_agency)
    in_furong.get("/search/", {"q": "食品"})  # the first request teaches the segmenter

    with django_assert_max_num_queries(10):
        assert in_furong.get("/search/", {"q": "食品"}).status_code == 200
