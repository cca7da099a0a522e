from django.test import Client

from yiwang.portal.visitor import LARGE_TEXT_COOKIE


def test_toggle_sets_the_cookie_and_goes_back(client, db):
    response = client.post("/preferences/large-text/", {"large_text": "1", "next": "/search/?q=a"})

    assert response.status_code == 302
    assert response["Location"] == "/search/?q=a"
    assert response.cookies[LARGE_TEXT_COOKIE].value == "1"

    page = client.get("/").content.decode()
    assert '<html lang="zh-CN" class="large-text">' in page
    assert 'aria-pressed="true"' in page


def test_toggle_off_removes_the_cookie(client, db):
    client.cookies[LARGE_TEXT_COOKIE] = "1"

    response = client.post("/preferences/large-text/", {"large_text": "0", "next": "/"})

    assert response.cookies[LARGE_TEXT_COOKIE].value == ""
    assert response.cookies[LARGE_TEXT_COOKIE]["max-age"] == 0


def test_toggle_refuses_a_foreign_next(client, db):
    response = client.post(
        "/preferences/large-text/", {"large_text": "1", "next": "//evil.example"}
    )
    assert response["Location"] == "/"


def test_toggle_is_a_form_post_protected_by_csrf(db):
    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/preferences/large-text/").status_code == 405
    assert strict.post("/preferences/large-text/", {"large_text": "1"}).status_code == 403
