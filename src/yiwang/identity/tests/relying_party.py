"""A department system that trusts Yiwang's single sign-on, for tests: a small WSGI app that
uses Authlib (code flow + PKCE), verifies ID tokens against the published JWKS with joserfc,
honours back-channel logout and starts RP-initiated logout.

It runs in a thread on its own port, so a browser (or a requests session) moves between two
real servers exactly as it would between Yiwang and a department's system.
"""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

COOKIE = "rp_session"
BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class RelyingPartyApp:
    issuer: str
    client_id: str
    client_secret: str
    base_url: str = ""
    scope: str = "openid profile"
    pending: dict[str, dict] = field(default_factory=dict)  # state -> verifier, nonce, browser
    sessions: dict[str, dict] = field(default_factory=dict)  # browser cookie -> claims, id token
    logout_tokens: list[dict] = field(default_factory=list)

    # --- provider metadata ------------------------------------------------------------

    def metadata(self) -> dict:
        return requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5).json()

    def keys(self) -> KeySet:
        return KeySet.import_key_set(requests.get(self.metadata()["jwks_uri"], timeout=5).json())

    def _oauth(self) -> OAuth2Session:
        return OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope,
            redirect_uri=f"{self.base_url}/callback",
            code_challenge_method="S256",
        )

    def verify(self, token: str, **expected) -> dict:
        """Signature by a published key, then issuer, audience and whatever else is expected."""
        claims = jwt.decode(token, self.keys()).claims
        checks = {"iss": self.issuer, "aud": self.client_id, **expected}
        registry = jwt.JWTClaimsRegistry(
            **{name: {"essential": True, "value": value} for name, value in checks.items()}
        )
        registry.validate(claims)
        return claims

    # --- pages ------------------------------------------------------------------------

    def login(self, browser: str) -> tuple[str, list]:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = self._oauth().create_authorization_url(
            self.metadata()["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        self.pending[state] = {"verifier": verifier, "nonce": nonce, "browser": browser}
        return "302 Found", [("Location", url)]

    def callback(self, query: str) -> tuple[str, list, str]:
        params = parse_qs(query)
        pending = self.pending.pop(params.get("state", [""])[0], None)
        if pending is None or "code" not in params:
            return "400 Bad Request", [], f"登录失败：{html.escape(query)}"
        token = self._oauth().fetch_token(
            self.metadata()["token_endpoint"],
            authorization_response=f"{self.base_url}/callback?{query}",
            code_verifier=pending["verifier"],
        )
        claims = self.verify(token["id_token"], nonce=pending["nonce"])
        self.sessions[pending["browser"]] = {"claims": claims, "token": token}
        return "302 Found", [("Location", f"{self.base_url}/")], ""

    def home(self, browser: str) -> str:
        session = self.sessions.get(browser)
        if session is None:
            return '<p id="status">未登录</p><a id="login" href="/login">使用一网账号登录</a>'
        claims = session["claims"]
        return (
            f'<p id="status">已登录：{html.escape(claims.get("name", ""))}</p>'
            f'<p id="level">实名等级 {claims.get("real_name_level")}</p>'
            '<a id="logout" href="/logout">退出</a>'
        )

    def logout(self, browser: str) -> tuple[str, list]:
        session = self.sessions.pop(browser, None)
        if session is None:
            return "302 Found", [("Location", f"{self.base_url}/")]
        params = {
            "id_token_hint": session["token"]["id_token"],
            "client_id": self.client_id,
            "post_logout_redirect_uri": f"{self.base_url}/",
        }
        return "302 Found", [
            ("Location", f"{self.metadata()['end_session_endpoint']}?{urlencode(params)}")
        ]

    def backchannel_logout(self, body: str) -> str:
        """OpenID Connect Back-Channel Logout 1.0 §2.6: verify, then end the sessions of sid."""
        token = parse_qs(body).get("logout_token", [""])[0]
        claims = self.verify(token)
        if BACKCHANNEL_EVENT not in claims.get("events", {}) or "nonce" in claims:
            return "400 Bad Request"
        self.logout_tokens.append(claims)
        for browser, session in list(self.sessions.items()):
            if session["claims"].get("sid") == claims.get("sid"):
                del self.sessions[browser]
        return "200 OK"

    # --- WSGI -------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        browser = cookie[COOKIE].value if COOKIE in cookie else secrets.token_hex(8)
        headers = [("Set-Cookie", f"{COOKIE}={browser}; Path=/; HttpOnly")]
        path, body = environ["PATH_INFO"], ""
        if path == "/login":
            status, extra = self.login(browser)
        elif path == "/callback":
            status, extra, body = self.callback(environ.get("QUERY_STRING", ""))
        elif path == "/logout":
            status, extra = self.logout(browser)
        elif path == "/backchannel-logout":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            status, extra = self.backchannel_logout(environ["wsgi.input"].read(length).decode()), []
        else:
            status, extra, body = "200 OK", [], self.home(browser)
        page = f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>部门</title>{body}'
        start_response(status, [("Content-Type", "text/html; charset=utf-8"), *headers, *extra])
        return [page.encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def serve(app: RelyingPartyApp, host: str = "127.0.0.1") -> tuple[str, WSGIServer]:
    """Start the app on a free port in a thread; returns its base URL and the server."""
    server = make_server(host, 0, app, server_class=_ThreadedServer, handler_class=_Quiet)
    app.base_url = f"http://{host}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return app.base_url, server
