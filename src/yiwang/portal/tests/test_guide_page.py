from yiwang.catalog import services
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import food_guide

FULL_GUIDE = food_guide(
    fees=[
        {"name": "工本费", "amount_fen": 1250, "basis": "湘价费〔2020〕1号", "waiver": "低保户免收"}
    ],
    visits=1,
    online_stages=[1, 2, 3, 4],
    locations=[
        {
            "name": "芙蓉区政务服务中心",
            "address": "长沙市芙蓉区某路1号",
            "hours": "工作日 9:00—17:00",
            "phone": "0731-12345678",
        }
    ],
    consultation="0731-12345678",
    complaint="12345 政务服务便民热线",
    intermediary_services=["场所平面图绘制"],
    faq=[{"q": "可以网上办理吗？", "a": "可以，在一网提交申请。"}],
    policies=[{"title": "食品经营许可和备案管理办法", "ref": "市场监管总局令第78号"}],
)


def test_guide_shows_every_part_of_the_published_version(client, world):
    version = world.implement(world.county_agency, FULL_GUIDE)
    code = version.service_item.implementation_code

    response = client.get(f"/guide/{code}/")

    assert response.status_code == 200
    page = response.content.decode()
    expected = [
        "食品经营许可",
        "XK00012000",  # basic code
        code,
        "行政许可",  # item type label
        "《中华人民共和国食品安全法》第三十五条",  # legal basis
        "芙蓉区市场监督管理局",
        "湖南省长沙市芙蓉区",
        "法人、自然人",  # audience labels
        "承诺件",
        "具有与经营的食品品种、数量相适应的经营场所",  # conditions
        "申请材料",
        "食品经营许可申请书",
        "《食品经营许可和备案管理办法》第十二条",
        "电子证照",  # source label
        "证照类型：营业执照",
        "纸质或电子",  # medium label
        "非必要",
        "委托他人办理的提供",  # condition
        f"/guide/{code}/forms/1/",  # blank form
        "办理流程",
        "审查",
        "20 个工作日",
        "10 个工作日",
        "工本费",
        "12.50 元",
        "低保户免收",
        "网上受理",  # derived depth
        "咨询、收件、预审、受理",  # stage labels
        "最多跑1次",
        "工作日 9:00—17:00",
        "0731-12345678",
        "12345 政务服务便民热线",
        "场所平面图绘制",
        "可以网上办理吗？",
        "市场监管总局令第78号",
        "第 1 版",
        f"/guide/{code}/changes/",
        f"/api/catalog/service-items/{code}/versions/1/changes",
        "打印办事指南",
    ]
    missing = [text for text in expected if text not in page]
    assert not missing


def test_guide_without_fees_says_free(client, world):
    version = world.implement(world.county_agency)
    page = client.get(f"/guide/{version.service_item.implementation_code}/").content.decode()
    assert "不收费" in page
    assert "零跑动" in page and "全程网办" in page


def test_guide_lists_the_item_in_other_regions(client, world):
    county = world.implement(world.county_agency).service_item
    city = world.implement(world.city_agency).service_item

    page = client.get(f"/guide/{county.implementation_code}/").content.decode()

    assert "其他地区办理" in page
    assert f'href="/guide/{city.implementation_code}/"' in page
    assert "长沙市市场监督管理局" in page


def test_unknown_or_unpublished_item_is_404_in_chinese(client, world):
    draft = world.implement(world.county_agency, publish=False).service_item

    for code in ("NO-SUCH-CODE", draft.implementation_code):
        response = client.get(f"/guide/{code}/")
        assert response.status_code == 404
        assert "不存在" in response.content.decode()
        assert '<html lang="zh-CN"' in response.content.decode()


def test_first_version_has_nothing_to_compare(client, world):
    code = world.implement(world.county_agency).service_item.implementation_code
    response = client.get(f"/guide/{code}/changes/")
    assert response.status_code == 200
    assert "首次发布的版本" in response.content.decode()


def test_changes_page_lists_what_the_new_version_changed(client, world):
    first = world.implement(world.county_agency)
    draft = services.start_revision(actor=SYSTEM, service_item=first.service_item)
    services.edit_draft(
        actor=SYSTEM, version=draft, guide=food_guide(promised_limit=5), change_note="压缩时限"
    )
    services.submit_version(actor=SYSTEM, version=draft)
    services.publish_version(actor=SYSTEM, version=draft)
    code = first.service_item.implementation_code

    response = client.get(f"/guide/{code}/changes/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "第 2 版的变化" in page and "与第 1 版相比，共 1 处变化" in page
    row = page.split("承诺办结时限")[1].split("</tr>")[0]
    assert "修改" in row and '<td data-label="原内容">10</td>' in row and ">5</td>" in row
    assert "压缩时限" in page
    assert "第 2 版" in client.get(f"/guide/{code}/").content.decode()


def test_unknown_item_changes_is_404(client, db):
    assert client.get("/guide/NOPE/changes/").status_code == 404


def test_guide_page_reads_few_rows(in_furong, world, django_assert_max_num_queries):
    code = world.implement(world.county_agency).service_item.implementation_code
    world.implement(world.city_agency)
    world.implement(world.province_agency)
    in_furong.get(f"/guide/{code}/")  # the first request teaches the segmenter

    with django_assert_max_num_queries(8):
        assert in_furong.get(f"/guide/{code}/").status_code == 200
