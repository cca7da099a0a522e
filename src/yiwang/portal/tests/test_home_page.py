from yiwang.catalog.tests.factories import food_guide


def test_home_offers_every_way_in(client, world):
    world.implement(world.province_agency, food_guide())

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-CN"' in page
    assert "一网 · 湖南政务服务" in page
    assert 'href="#main"' in page and 'id="main"' in page
    assert 'role="search"' in page and '<label for="header-q"' in page
    for heading in ("热门事项", "主题服务", "人生事件 / 企业事件", "部门服务", "按层级办理"):
        assert heading in page
    assert "食品经营许可" in page  # popular
    assert "/browse/theme/%E5%BC%80%E5%8A%9E%E4%BC%81%E4%B8%9A/" in page  # 开办企业
    assert "/browse/event/%E5%BC%80%E9%A5%AD%E5%BA%97/" in page  # 开饭店
    assert "/browse/audience/person/" in page and "/browse/audience/organization/" in page
    assert "个人办事" in page and "法人办事" in page
    assert all(f"/browse/level/{n}/" in page for n in range(1, 6))


def test_every_page_shows_the_current_region(client, world):
    assert "湖南省" in client.get("/").content.decode()

    client.cookies["yiwang_region"] = "430102000000"
    for url in ("/", "/search/?q=x", "/region/choose/"):
        response = client.get(url)
        assert [r.name for r in response.context["region_path"]] == ["湖南省", "长沙市", "芙蓉区"]
        header = (
            response.content.decode().split('id="current-region"')[1].split("</span></span>")[0]
        )
        assert "湖南省" in header and "长沙市" in header and "芙蓉区" in header


def test_unknown_region_cookie_falls_back_to_the_province(client, world):
    client.cookies["yiwang_region"] = "999999999999"
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["current_region"].code == "430000000000"


def test_home_works_on_an_empty_database(client, db):
    response = client.get("/")
    assert response.status_code == 200
    assert "暂无事项" in response.content.decode()
