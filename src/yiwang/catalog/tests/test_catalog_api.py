import pytest
from django.test import override_settings

from yiwang.catalog import services
from yiwang.catalog.models import ServiceItem
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import FOOD_GUIDE, food_guide

pytestmark = pytest.mark.django_db


def test_search_api_returns_count_and_results_with_fields(client, world):
    version = world.implement(world.county_agency)
    body = client.get("/api/catalog/search", {"q": "食品经营", "region": "430102000000"}).json()
    assert body["count"] == 1
    result = body["results"][0]
    assert result["implementation_code"] == version.service_item.implementation_code
    assert result["agency"] == "芙蓉区市场监督管理局"
    assert result["region_code"] == "430102000000"
    assert result["online_depth"] == 4 and result["visits"] == 0


def test_region_filter_shows_that_region_and_the_levels_above(client, world):
    world.implement(world.province_agency)
    world.implement(world.county_agency)
    world.implement(world.other_county_agency)
    regions = {
        r["region_code"]
        for r in client.get("/api/catalog/search", {"q": "食品", "region": "430102000000"}).json()[
            "results"
        ]
    }
    assert regions == {"430000000000", "430102000000"}
    results = client.get("/api/catalog/search", {"q": "食品", "region": "430102000000"}).json()[
        "results"
    ]
    assert results[0]["region_code"] == "430102000000"  # the nearest office first


@pytest.mark.parametrize(
    "q",
    [
        "",
        "食品' OR 1=1 --",
        "🍜开饭店🍜",
        "shipin 经营",
        "SELECT * FROM catalog_catalogitem",
        "％＠＃",
        " " * 40,
    ],
)
def test_odd_queries_answer_200(client, world, q):
    world.implement(world.county_agency)
    response = client.get("/api/catalog/search", {"q": q})
    assert response.status_code == 200
    assert response.json()["count"] >= 0


def test_overlong_query_and_bad_filters_are_400_with_reasons(client, world):
    long = client.get("/api/catalog/search", {"q": "食" * 51})
    assert long.status_code == 400 and "最多50个字" in long.json()["detail"]
    region = client.get("/api/catalog/search", {"q": "食品", "region": "4301"})
    assert region.status_code == 400 and "12位" in region.json()["detail"]
    unknown = client.get("/api/catalog/search", {"q": "食品", "region": "439999000000"})
    assert unknown.status_code == 400 and "不存在" in unknown.json()["detail"]
    audience = client.get("/api/catalog/search", {"q": "食品", "audience": "alien"})
    assert audience.status_code == 400 and audience.json()["errors"][0]["field"] == "audience"


def test_guide_api_shows_the_published_version(client, world):
    version = world.implement(world.county_agency)
    code = version.service_item.implementation_code
    body = client.get(f"/api/catalog/service-items/{code}").json()
    assert body["elements"]["basic_code"] == "XK00012000"
    assert body["guide"]["materials"][0]["name"] == FOOD_GUIDE["materials"][0]["name"]
    assert client.get("/api/catalog/service-items/NOPE").status_code == 404


def test_drafts_are_invisible_to_the_public(client, world):
    version = world.implement(world.county_agency, publish=False)
    code = version.service_item.implementation_code
    assert client.get(f"/api/catalog/service-items/{code}").status_code == 404
    assert client.get(f"/api/catalog/service-items/{code}/versions").json() == []
    assert client.get(f"/api/catalog/service-items/{code}/versions/1/changes").status_code == 404


def test_writes_need_login_and_scope(client, world):
    payload = {
        "basic_code": "XK00012000",
        "agency_uscc": world.county_agency.uscc,
        "guide": food_guide(),
    }
    assert (
        client.post(
            "/api/catalog/service-items", payload, content_type="application/json"
        ).status_code
        == 401
    )
    client.force_login(world.editor(world.other_county))
    response = client.post("/api/catalog/service-items", payload, content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_editor_creates_and_submits_through_the_api(client, world):
    client.force_login(world.editor(world.county, world.county_agency))
    payload = {
        "basic_code": "XK00012000",
        "agency_uscc": world.county_agency.uscc,
        "guide": food_guide(),
    }
    created = client.post("/api/catalog/service-items", payload, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    assert client.get("/api/catalog/search", {"q": "食品"}).json()["count"] == 0  # not public yet
    bad = food_guide(promised_limit=99)
    item = ServiceItem.objects.get()
    response = client.put(
        f"/api/catalog/service-items/{item.implementation_code}/versions/1",
        {"guide": bad},
        content_type="application/json",
    )
    assert response.status_code == 200
    refused = client.post(
        f"/api/catalog/service-items/{item.implementation_code}/versions/1/submit"
    )
    assert refused.status_code == 400
    assert "承诺办结时限（99个工作日）不得超过法定办结时限" in refused.json()["detail"]


def test_region_report_api(client, world):
    world.implement(world.county_agency)
    body = client.get("/api/catalog/report", {"region": "430100000000"}).json()
    assert body["service_items"] == 1 and body["errors"] == 0


def test_pages_follow_result_order_across_items_and_counts_stay_exact(client, world):
    sub = services.create_catalog_item(
        actor=SYSTEM,
        basic_code="XK00012001",
        item_type="XK",
        name="食品经营许可（新办）",
        legal_basis=[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
        levels=[1, 2, 3],
        sector="市场监管",
        audience=["organization"],
    )
    agencies = (
        world.province_agency,
        world.city_agency,
        world.county_agency,
        world.other_county_agency,
    )
    for agency in agencies:
        world.implement(agency)
        world.implement(agency, item=sub)

    def search(**params):
        return client.get("/api/catalog/search", {"q": "食品经营许可", **params}).json()

    def codes(**params):
        body = search(**params)
        return body["count"], [r["implementation_code"] for r in body["results"]]

    total, everything = codes(size=50)
    assert total == 8 and len(everything) == 8
    pages = [code for n in (1, 2, 3) for code in codes(size=3, page=n)[1]]
    assert pages == everything
    assert codes(size=3, page=4) == (8, [])
    levels = [r["level"] for r in search()["results"][:4]]
    assert levels == sorted(levels, reverse=True)  # the nearest office first within an item
    assert codes(region="430102000000", size=50)[0] == 6  # province, city, 芙蓉区, both items
    county_item = world.county_agency.service_items.first()
    services.revoke_service_item(actor=SYSTEM, service_item=county_item, reason="调整")
    assert codes(size=50)[0] == 7


def test_basic_catalog_listing_filters_by_type(client, world):
    body = client.get("/api/catalog/items", {"type": "XK"}).json()
    assert body["count"] == 1 and body["results"][0]["basic_code"] == "XK00012000"
    assert client.get("/api/catalog/items", {"type": "QR"}).json()["count"] == 0
    assert client.get("/api/catalog/items", {"type": "ZZ"}).status_code == 400


@override_settings(LOOKUP_RATE="3/m")
def test_public_lookups_are_rate_limited_per_address(client, world):
    world.implement(world.county_agency)
    for _ in range(3):
        assert client.get("/api/catalog/search", {"q": "食品"}).status_code == 200
    refused = client.get("/api/catalog/search", {"q": "食品"})
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert int(refused["Retry-After"]) > 0
    other = client.get("/api/catalog/search", {"q": "食品"}, REMOTE_ADDR="10.1.2.3")
    assert other.status_code == 200
