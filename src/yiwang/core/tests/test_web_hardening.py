"""Web hardening: the CSP header, templates CSP can allow, the DEBUG-only developer page, and
the production profile passing Django's deployment checks."""

import importlib
import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as live_settings
from django.http import Http404
from django.test import RequestFactory
from django.urls import clear_url_caches

from yiwang.core import sms
from yiwang.core.views import dev_sms_outbox

PHONE = "13800138000"
SOURCE = Path(__file__).resolve().parents[2]  # src/yiwang: every context's templates
TEMPLATES = sorted(SOURCE.glob("*/templates/**/*.html"))
INLINE = {
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    ),
    "style block": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.django_db
def test_pages_carry_a_csp_without_inline_script_or_style(client):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: "/".join(path.parts[-3:]))
def test_templates_have_nothing_inline_the_csp_would_block(template):
    text = template.read_text()
    found = [kind for kind, pattern in INLINE.items() if pattern.search(text)]
    assert found == [], f"{template}: move the {', '.join(found)} into a static file"


def test_the_template_check_sees_templates_and_would_catch_inline_code():
    assert len(TEMPLATES) > 20
    samples = ["<script>go()</script>", '<p style="color:red">', '<a onclick="x()">', "<style>"]
    assert all(any(p.search(s) for p in INLINE.values()) for s in samples)
    assert not any(p.search('<script src="/static/a.js" defer></script>') for p in INLINE.values())


@pytest.mark.django_db
def test_the_developer_outbox_page_is_404_without_debug(client):
    sms.issue_code(PHONE, "login", address="10.0.0.1")
    assert client.get("/dev/sms/").status_code == 404  # not wired
    with pytest.raises(Http404):  # and the view refuses on its own
        dev_sms_outbox(RequestFactory().get("/dev/sms/"))


@pytest.fixture
def debug_urls(settings):
    """The root URLconf as a DEBUG process builds it; restored afterwards."""
    root = importlib.import_module(settings.ROOT_URLCONF)
    settings.DEBUG = True
    importlib.reload(root)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(root)
    clear_url_caches()


@pytest.mark.django_db
def test_the_developer_outbox_page_lists_masked_texts_newest_first(client, debug_urls):
    sms.issue_code(PHONE, "login", address="10.0.0.1")
    sms.issue_code("13900139000", "login", address="10.0.0.1")
    response = client.get("/dev/sms/")
    assert response.status_code == 200
    page = response.content.decode()
    assert PHONE not in page and "138****8000" in page
    assert page.index("139****9000") < page.index("138****8000")
    assert f"验证码为{sms.latest_outbox_code(PHONE)}" in page


def _production(*args: str, tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    """`yiwang <args>` under the production settings. Nothing here needs a live database or
    Redis: settings load and checks run without connecting."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "YIWANG_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": "postgres://yiwang@127.0.0.1:5432/yiwang",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "ALLOWED_HOSTS": "zwfw.example.gov.cn",
        "YIWANG_OIDC_KEY_FILE": str(live_settings.OIDC_SIGNING_KEY_FILE),
        "YIWANG_SMS_GATEWAY_URL": "https://sms.example.gov.cn/send",
        **overrides,
    }
    command = [sys.executable, "-m", "yiwang.manage", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_production_passes_djangos_deployment_checks(tmp_path):
    result = _production("check", "--deploy", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "security." not in result.stdout + result.stderr  # HSTS, SSL, cookies, secret key


def test_production_cookies_are_secure_and_host_only(tmp_path):
    names = [
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_DOMAIN",
        "CSRF_COOKIE_NAME",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SMS_GATEWAY",
    ]
    script = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {names!r}}}))"
    )
    result = _production("shell", "-c", script, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "SESSION_COOKIE_NAME": "__Host-yiwang-session",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_DOMAIN": None,
        "CSRF_COOKIE_NAME": "__Host-yiwang-csrf",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_PRELOAD": True,
        "SMS_GATEWAY": "http",
    }


def test_production_refuses_the_demo_sms_outbox(tmp_path):
    result = _production("check", tmp_path=tmp_path, YIWANG_SMS_GATEWAY="outbox")
    assert result.returncode == 1
    assert "yiwang.E001" in result.stderr and "demo plugin 'outbox'" in result.stderr
