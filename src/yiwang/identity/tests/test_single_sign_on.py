"""Single sign-on, end to end: a live Yiwang, two department systems built on Authlib, and a
browser (a requests session with cookies) moving between them."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc.errors import BadSignatureError

from yiwang.core.audit import AuditRecord
from yiwang.core.events import deliver_pending
from yiwang.identity import services
from yiwang.identity.models import SessionRecord
from yiwang.identity.tests.factories import PASSWORD
from yiwang.identity.tests.relying_party import RelyingPartyApp, serve

SYSTEM = services.Actor(None)


def _csrf(page: requests.Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def _log_in(browser: requests.Session, page: requests.Response, person) -> requests.Response:
    """Fill in the Yiwang login page the browser was sent to."""
    assert urlsplit(page.url).path == "/login/", page.url
    next_url = parse_qs(urlsplit(page.url).query)["next"][0]
    return browser.post(
        page.url,
        data={
            "csrfmiddlewaretoken": _csrf(page),
            "method": "password",
            "id_number": person.id_number,
            "password": PASSWORD,
            "next": next_url,
        },
        headers={"Referer": page.url},
    )


def _department(live_server, name: str, **options) -> tuple[RelyingPartyApp, object]:
    app = RelyingPartyApp(issuer=live_server.url, client_id="", client_secret="")
    base, server = serve(app)
    registration = services.register_client(
        SYSTEM,
        name=name,
        redirect_uris=[f"{base}/callback"],
        post_logout_redirect_uris=[f"{base}/"],
        backchannel_logout_uri=f"{base}/backchannel-logout",
        **options,
    )
    app.client_id = registration.application.client_id
    app.client_secret = registration.client_secret
    return app, server


@pytest.fixture
def departments(live_server, world):
    market, market_server = _department(live_server, "市场监管业务系统")
    tax, tax_server = _department(live_server, "税务业务系统")
    yield market, tax
    market_server.shutdown()
    tax_server.shutdown()


def test_discovery_and_keys_are_published(live_server):
    metadata = requests.get(f"{live_server.url}/.well-known/openid-configuration").json()
    assert metadata["issuer"] == live_server.url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["end_session_endpoint"].endswith("/o/logout/")
    keys = requests.get(metadata["jwks_uri"]).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_log_in_once_enter_everywhere_log_out_everywhere(live_server, departments, alice):
    market, tax = departments
    browser = requests.Session()

    page = browser.get(f"{market.base_url}/login")  # the department sends us to Yiwang
    home = _log_in(browser, page, alice)
    assert "已登录：张丽华" in home.text
    claims = next(iter(market.sessions.values()))["claims"]
    assert claims["sub"] == str(alice.account.uid)
    assert claims["account_kind"] == "person"
    assert claims["real_name_level"] == 2
    assert claims["id_number_masked"] == alice.account.id_number_masked
    assert "id_number" not in claims
    sid = SessionRecord.objects.get(account=alice.account).sid
    assert claims["sid"] == sid

    # the second system and the portal open without a password prompt
    tax_home = browser.get(f"{tax.base_url}/login")
    assert "已登录：张丽华" in tax_home.text
    assert all(urlsplit(step.url).path != "/login/" for step in tax_home.history)
    portal = browser.get(f"{live_server.url}/my/")
    assert portal.status_code == 200 and alice.account.id_number_masked in portal.text

    # logging out at the portal ends the session in both systems (back-channel logout)
    browser.post(
        f"{live_server.url}/logout/",
        data={"csrfmiddlewaretoken": _csrf(portal)},
        headers={"Referer": portal.url},
    )
    deliver_pending()
    assert {token["sid"] for token in market.logout_tokens + tax.logout_tokens} == {sid}
    assert "未登录" in browser.get(f"{market.base_url}/").text
    assert "未登录" in browser.get(f"{tax.base_url}/").text
    assert browser.get(f"{live_server.url}/my/").url.startswith(f"{live_server.url}/login/")


def test_rp_initiated_logout_reaches_the_other_system(live_server, departments, alice):
    market, tax = departments
    browser = requests.Session()
    _log_in(browser, browser.get(f"{market.base_url}/login"), alice)
    browser.get(f"{tax.base_url}/login")
    back = browser.get(f"{market.base_url}/logout")  # via Yiwang's end-session endpoint
    assert back.url == f"{market.base_url}/" and "未登录" in back.text
    deliver_pending()
    assert "未登录" in browser.get(f"{tax.base_url}/").text
    assert SessionRecord.objects.get(account=alice.account).end_reason == "logout"


def _authorize_url(app: RelyingPartyApp, **changes) -> str:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": f"{app.base_url}/callback",
        "scope": "openid profile",
        "state": "s1",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        **changes,
    }
    return f"{app.issuer}/o/authorize/?{urlencode(params)}"


def _signed_in(live_server, person) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{live_server.url}/login/?next=/my/")
    _log_in(browser, page, person)
    return browser


def test_a_foreign_redirect_uri_is_refused_and_logged(live_server, departments, alice):
    market, _ = departments
    browser = _signed_in(live_server, alice)
    page = browser.get(_authorize_url(market, redirect_uri="https://evil.example/cb"))
    assert page.status_code == 400 and "无法完成授权" in page.text
    assert all("evil.example" not in step.headers.get("Location", "") for step in page.history)
    assert AuditRecord.objects.filter(action="oidc.refused").exists()


def test_pkce_is_required_and_must_match(live_server, departments, alice):
    market, _ = departments
    browser = _signed_in(live_server, alice)
    missing = browser.get(_authorize_url(market, code_challenge="", code_challenge_method=""))
    assert "code=" not in missing.url
    answered = browser.get(_authorize_url(market), allow_redirects=False)
    code = parse_qs(urlsplit(answered.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{live_server.url}/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{market.base_url}/callback",
            "code_verifier": "not-the-verifier-" + "x" * 30,
        },
        auth=(market.client_id, market.client_secret),
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"
    refusal = AuditRecord.objects.filter(action="oidc.refused").latest("sequence")
    assert refusal.target == market.client_id
    assert refusal.detail == {"endpoint": "/o/token/", "error": "invalid_grant"}


def test_a_tampered_id_token_fails_verification(live_server, departments, alice):
    market, _ = departments
    browser = requests.Session()
    _log_in(browser, browser.get(f"{market.base_url}/login"), alice)
    id_token = next(iter(market.sessions.values()))["token"]["id_token"]
    header, payload, signature = id_token.split(".")
    forged = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    with pytest.raises((BadSignatureError, ValueError)):
        market.verify(forged)


def test_refresh_rotates_and_a_reused_refresh_token_is_refused(live_server, departments, alice):
    market, _ = departments
    browser = requests.Session()
    _log_in(browser, browser.get(f"{market.base_url}/login"), alice)
    first = next(iter(market.sessions.values()))["token"]["refresh_token"]

    def refresh(token: str) -> requests.Response:
        return requests.post(
            f"{live_server.url}/o/token/",
            data={"grant_type": "refresh_token", "refresh_token": token},
            auth=(market.client_id, market.client_secret),
        )

    renewed = refresh(first)
    assert renewed.status_code == 200 and renewed.json()["refresh_token"] != first
    assert refresh(first).status_code == 400


def test_the_full_id_number_only_for_a_client_granted_it(live_server, departments, alice):
    market, _ = departments
    browser = _signed_in(live_server, alice)
    refused = browser.get(_authorize_url(market, scope="openid id_number"), allow_redirects=False)
    assert "error=invalid_scope" in refused.headers.get("Location", "")

    registry, server = _department(live_server, "户籍业务系统", may_read_id_number=True)
    registry.scope = "openid profile id_number"
    try:
        page = browser.get(f"{registry.base_url}/login")
        assert "已登录" in page.text
        claims = next(iter(registry.sessions.values()))["claims"]
        assert claims["id_number"] == alice.id_number
        release = AuditRecord.objects.get(action="pii.released")
        assert alice.id_number not in release.target + str(release.detail)
    finally:
        server.shutdown()
