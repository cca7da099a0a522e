"""Single sign-on in a real Chromium: a live Yiwang (demo data and demo identities) and a
department system (an Authlib relying party on localhost) that trusts it.

The department runs on "localhost" and Yiwang on 127.0.0.1, so the browser keeps two cookie
jars, as it would for two real sites. Screenshots land in test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect

from yiwang.catalog.demo import DEMO_PASSWORD
from yiwang.core.identifiers import mask
from yiwang.identity.demo import DEMO_PEOPLE, DEMO_TOTP_SECRET
from yiwang.identity.tests.relying_party import RelyingPartyApp, serve
from yiwang.portal.tests.test_browser_guide import (  # noqa: F401 (browser is a fixture)
    ARTIFACTS,
    DESKTOP,
    browser,
    open_page,
)

pytestmark = pytest.mark.browser

ZHANG = DEMO_PEOPLE[0]  # 张丽华, real-name level 2
STAFF_USERNAME, STAFF_NAME = "changsha", "长沙市审核员"
BACKCHANNEL_SECONDS = 10
CLIENT_LINE = re.compile(r"^client_id: (\S+)$", re.MULTILINE)
SECRET_LINE = re.compile(r"^client_secret \(shown once\): (\S+)$", re.MULTILINE)


def _register_client(env: dict[str, str], rp: str) -> tuple[str, str]:
    """`yiwang identity client` against the live server's database: (client_id, secret)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiwang.manage",
            "identity",
            "client",
            "--name",
            "市场监管业务系统",
            "--redirect-uri",
            f"{rp}/callback",
            "--post-logout-uri",
            f"{rp}/",
            "--backchannel-logout-uri",
            f"{rp}/backchannel-logout",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    client_id, secret = CLIENT_LINE.search(result.stdout), SECRET_LINE.search(result.stdout)
    assert client_id and secret, result.stdout
    return client_id.group(1), secret.group(1)


@pytest.fixture(scope="module")
def department(live_portal_server) -> Iterator[RelyingPartyApp]:
    """市场监管业务系统: a relying party registered with back-channel and RP-initiated logout."""
    app = RelyingPartyApp(issuer=live_portal_server.url, client_id="", client_secret="")
    base_url, server = serve(app, host="localhost")
    app.client_id, app.client_secret = _register_client(live_portal_server.env, base_url)
    yield app
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, live_portal) -> Iterator[Page]:  # noqa: F811 (browser is a fixture)
    page = open_page(browser, live_portal, DESKTOP)
    yield page
    page.context.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"sso-{name}.png", full_page=True)


def path_of(url: str) -> str:
    return urlsplit(url).path


def _poll(page: Page, url: str, done: Callable[[], bool], seconds: float) -> bool:
    """Reload `url` until `done()` holds (something happens in the background) or time is up."""
    deadline = time.monotonic() + seconds
    while True:
        page.goto(url)
        if done():
            return True
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(300)


def _server_log_tail(live_portal_server, lines: int = 60) -> str:
    return "\n".join(live_portal_server.log.read_text().splitlines()[-lines:])


def test_citizen_logs_in_at_the_department_and_logs_out_at_the_portal(
    page: Page, department: RelyingPartyApp, live_portal: str, live_portal_server
):
    rp = department.base_url
    page.goto(f"{rp}/")
    expect(page.locator("#status")).to_have_text("未登录")

    page.locator("#login").click()  # the department sends the browser to Yiwang
    page.wait_for_url(re.compile(re.escape(f"{live_portal}/login/?next=/o/authorize/")))
    expect(page.get_by_role("heading", name="登录一网")).to_be_visible()
    shot(page, "portal-login")
    form = page.locator("#password-login")
    form.locator("#login-id").fill(ZHANG.id_number)
    form.locator("#login-password").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{rp}/")  # authorize, callback with a code, tokens, back home
    expect(page.locator("#status")).to_have_text("已登录：张丽华")
    expect(page.locator("#level")).to_have_text("实名等级 2")
    shot(page, "rp-signed-in")
    (session,) = department.sessions.values()
    sid = session["claims"]["sid"]
    assert session["claims"]["id_number_masked"] == mask(ZHANG.id_number)
    assert "id_number" not in session["claims"]

    # the portal knows the person already: 我的账号 without a login prompt
    page.goto("/my/")
    assert path_of(page.url) == "/my/", page.url
    expect(page.get_by_role("heading", name="我的账号")).to_be_visible()
    expect(page.locator("#masked-id")).to_have_text(mask(ZHANG.id_number))
    assert ZHANG.id_number not in page.content()
    expect(page.locator("#account-links")).to_contain_text("张丽华")
    shot(page, "portal")

    # a person is not staff: the workbench sends them to their own account page
    page.goto("/workbench/")
    assert path_of(page.url) == "/my/", page.url

    # logging out at the portal ends the department's session too (back-channel logout)
    page.locator("#account-links").get_by_role("button", name="退出").click()
    page.wait_for_url(f"{live_portal}/")
    expect(page.locator("#account-links").get_by_role("link", name="登录")).to_be_visible()
    signed_out = _poll(
        page,
        f"{rp}/",
        lambda: page.locator("#status").inner_text() == "未登录",
        BACKCHANNEL_SECONDS,
    )
    assert signed_out, (
        f"the department still shows {page.locator('#status').inner_text()!r} "
        f"{BACKCHANNEL_SECONDS}s after the portal logout; logout tokens received: "
        f"{department.logout_tokens}\n{_server_log_tail(live_portal_server)}"
    )
    shot(page, "logged-out")
    assert sid in {token["sid"] for token in department.logout_tokens}

    page.goto("/my/")
    assert path_of(page.url) == "/login/", page.url


def _staff_login(page: Page, username: str) -> None:
    page.goto("/workbench/login/")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/workbench/login/second-factor/")
    page.locator("#totp-code").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_url("**/workbench/")


def test_staff_member_signed_in_at_the_workbench_enters_the_department_without_a_password(
    page: Page, department: RelyingPartyApp, live_portal: str
):
    _staff_login(page, STAFF_USERNAME)
    expect(page.get_by_role("heading", name=f"您好，{STAFF_NAME}")).to_be_visible()
    shot(page, "workbench")

    visited: list[str] = []  # every URL the tab asked for, redirects included
    page.on(
        "request", lambda request: request.is_navigation_request() and visited.append(request.url)
    )
    page.goto(f"{department.base_url}/")
    page.locator("#login").click()
    page.wait_for_url(f"{department.base_url}/")
    expect(page.locator("#status")).to_have_text(f"已登录：{STAFF_NAME}")
    shot(page, "rp-staff-signed-in")
    paths = [path_of(url) for url in visited if url.startswith(live_portal)]
    assert "/o/authorize/" in paths, visited
    assert not {"/login/", "/workbench/login/", "/workbench/login/second-factor/"} & set(paths), (
        visited
    )
    claims = next(
        s["claims"] for s in department.sessions.values() if s["claims"]["name"] == STAFF_NAME
    )
    assert claims["account_kind"] != "person"

    # RP-initiated logout: through Yiwang's end-session endpoint and back to the department
    visited.clear()
    page.locator("#logout").click()
    page.wait_for_url(f"{department.base_url}/")
    expect(page.locator("#status")).to_have_text("未登录")
    assert "/o/logout/" in [path_of(url) for url in visited], visited
    shot(page, "rp-staff-logged-out")

    page.goto("/workbench/")
    assert path_of(page.url) == "/workbench/login/", page.url
    expect(page.get_by_role("heading", name="工作人员登录")).to_be_visible()


def test_a_wrong_password_is_refused_next_to_the_field(page: Page, live_portal: str):
    page.goto("/login/")
    form = page.locator("#password-login")
    form.locator("#login-id").fill(ZHANG.id_number)
    form.locator("#login-password").fill("not-the-password")
    with page.expect_response(
        lambda response: response.request.method == "POST" and path_of(response.url) == "/login/"
    ) as answer:
        form.get_by_role("button", name="登录").click()
    assert 400 <= answer.value.status < 500, answer.value.status

    expect(page.locator("#login-password-error")).to_have_text("账号或密码错误")
    expect(form.locator("#login-password")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#login-password")).to_have_value("")  # a password is never sent back
    expect(form.locator("#login-id")).to_have_value(ZHANG.id_number)
    expect(page.get_by_role("alert")).to_contain_text("账号或密码错误")
    shot(page, "wrong-password")
    page.goto("/my/")
    assert path_of(page.url) == "/login/", page.url
