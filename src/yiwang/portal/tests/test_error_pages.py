from django.template.loader import render_to_string


def test_unknown_page_is_the_chinese_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and '<html lang="zh-CN"' in page


def test_500_page_renders_without_a_request_or_database():
    page = render_to_string("500.html")
    assert "服务暂不可用" in page and "12345" in page


def test_400_page_renders_without_a_request():
    # Django's own bad_request handler renders it with no context at all.
    assert "请求无效" in render_to_string("400.html")
