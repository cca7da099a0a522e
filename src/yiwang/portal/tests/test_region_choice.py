import pytest

from yiwang.portal.visitor import REGION_COOKIE


def test_choosing_a_region_sets_the_cookie_and_returns(client, world):
    response = client.get("/region/", {"code": "430102000000", "next": "/search/?q=食品"})

    assert response.status_code == 302
    assert response["Location"] == "/search/?q=%E9%A3%9F%E5%93%81"
    cookie = response.cookies[REGION_COOKIE]
    assert cookie.value == "430102000000"
    assert cookie["samesite"] == "Lax" and cookie["max-age"] > 0


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "search/",
        "",
    ],
)
def test_redirects_only_to_same_site_paths(client, world, target):
    response = client.get("/region/", {"code": "430102000000", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    ("code", "reason"),
    [("", "请选择地区"), ("4301", "区划代码应为12位数字"), ("439999000000", "不存在")],
)
def test_bad_region_code_is_400(client, world, code, reason):
    response = client.get("/region/", {"code": code})
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert REGION_COOKIE not in response.cookies


def test_chooser_shows_the_path_and_the_children(client, world):
    response = client.get("/region/choose/", {"code": "430100000000", "next": "/search/"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "湖南省" in page and 'aria-current="location">长沙市' in page
    assert "/region/choose/?code=430102000000&amp;next=/search/" in page  # 芙蓉区
    assert "/region/choose/?code=430103000000" in page  # 天心区
    assert "/region/?code=430100000000&amp;next=/search/" in page
    assert "设为当前地区：长沙市" in page


def test_chooser_starts_at_the_current_region(client, world):
    client.cookies[REGION_COOKIE] = "430102000000"
    page = client.get("/region/choose/").content.decode()
    assert "文艺路街道" in page  # a child of 芙蓉区


def test_chooser_at_the_lowest_level_says_so(client, world):
    page = client.get("/region/choose/", {"code": "430102001000"}).content.decode()
    assert "已是最末一级地区" in page


def test_chooser_refuses_a_foreign_next(client, world):
    page = client.get("/region/choose/", {"next": "https://evil.example/"}).content.decode()
    assert 'href="/region/?code=430000000000&amp;next=/"' in page


def test_chooser_with_bad_code_is_400(client, world):
    assert client.get("/region/choose/", {"code": "abc"}).status_code == 400
