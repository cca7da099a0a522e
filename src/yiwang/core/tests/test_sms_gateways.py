"""SMS gateway plugins: the outbox (embedded only) and the HTTP gateway, against a local server."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.core import sms
from yiwang.core.checks import sms_gateway_configured
from yiwang.core.errors import DomainError
from yiwang.core.keys import Sealer
from yiwang.core.models import SmsMessage

PHONE = "13800138000"


class FakeGateway(ThreadingHTTPServer):
    """Answers each POST with `status` and `answer`, after `delay` seconds; keeps the requests."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.received: list[dict] = []
        self.status, self.answer, self.delay, self.location = 200, b'{"message_id": "m-1"}', 0, ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/send"


class GatewayHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(
            {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
        )
        time.sleep(self.server.delay)
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", str(len(self.server.answer)))
        self.end_headers()
        self.wfile.write(self.server.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = FakeGateway()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    settings.SMS_GATEWAY = "http"
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_TOKEN = "token-123"
    settings.SMS_GATEWAY_TIMEOUT = 2
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_the_outbox_keeps_the_text_with_the_phone_sealed_indexed_and_masked():
    message_id = sms.gateways["outbox"].send(PHONE, "你好")
    message = SmsMessage.objects.get()
    assert message_id == f"outbox-{message.pk}"
    assert message.phone_masked == "138****8000" and message.text == "你好"
    assert PHONE not in message.phone_sealed
    sealer = Sealer("account.phone")
    assert sealer.open(message.phone_sealed) == PHONE
    assert message.phone_index == sealer.index(PHONE)


def test_the_outbox_is_refused_in_production(settings):
    settings.PROFILE = "production"
    with pytest.raises(ImproperlyConfigured, match="demo plugin 'outbox'"):
        sms.gateways.configured("outbox")
    errors = sms_gateway_configured()
    assert [error.id for error in errors] == ["yiwang.E001"]


def test_the_http_gateway_posts_json_with_the_bearer_token(gateway):
    assert sms.send_sms(PHONE, "【一网】您的验证码为123456") == "m-1"
    (request,) = gateway.received
    assert request["path"] == "/send"
    assert request["headers"]["Authorization"] == "Bearer token-123"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert request["body"] == {"phone": PHONE, "text": "【一网】您的验证码为123456", "sign": "一网"}


def test_a_2xx_without_a_message_id_is_still_a_sent_message(gateway):
    gateway.status, gateway.answer = 202, b"accepted"
    assert sms.gateways["http"].send(PHONE, "x") == ""


@pytest.mark.parametrize("status", [400, 401, 500, 503])
def test_a_non_2xx_answer_is_a_gateway_error(gateway, status):
    gateway.status = status
    with pytest.raises(sms.SmsGatewayError, match=f"HTTP {status}"):
        sms.gateways["http"].send(PHONE, "x")


def test_a_redirect_is_not_followed(gateway):
    gateway.status, gateway.location = 307, "http://127.0.0.1:9/elsewhere"
    with pytest.raises(sms.SmsGatewayError, match="HTTP 307"):
        sms.gateways["http"].send(PHONE, "x")
    assert len(gateway.received) == 1


def test_a_slow_gateway_times_out(gateway, settings):
    gateway.delay, settings.SMS_GATEWAY_TIMEOUT = 1.0, 0.2
    started = time.monotonic()
    with pytest.raises(sms.SmsGatewayError, match="unreachable"):
        sms.gateways["http"].send(PHONE, "x")
    assert time.monotonic() - started < 0.9


def test_an_unreachable_gateway_is_a_gateway_error(gateway, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/send"  # the discard port: nothing listens
    with pytest.raises(sms.SmsGatewayError, match="unreachable"):
        sms.gateways["http"].send(PHONE, "x")


def test_send_sms_turns_a_gateway_error_into_a_chinese_503(gateway, caplog):
    gateway.status = 500
    with pytest.raises(DomainError) as refused:
        sms.send_sms(PHONE, "x")
    assert refused.value.status == 503 and refused.value.detail == "短信发送失败，请稍后再试"
    assert "138****8000" in caplog.text and PHONE not in caplog.text


@pytest.mark.parametrize(
    ("url", "profile", "problem"),
    [
        ("", "embedded", "must be an http"),
        ("ftp://sms.example.cn/", "embedded", "must be an http"),
        ("http://sms.example.cn/send", "production", "https in production"),
    ],
)
def test_the_http_gateway_checks_its_url(settings, url, profile, problem):
    settings.SMS_GATEWAY, settings.SMS_GATEWAY_URL, settings.PROFILE = "http", url, profile
    with pytest.raises(ImproperlyConfigured, match=problem):
        sms.gateways.configured("http")
    assert problem in sms_gateway_configured()[0].msg


def test_an_https_gateway_passes_the_check_in_production(settings):
    settings.SMS_GATEWAY, settings.PROFILE = "http", "production"
    settings.SMS_GATEWAY_URL = "https://sms.example.cn/send"
    assert sms_gateway_configured() == []
