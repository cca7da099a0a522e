"""SMS: the gateway plugins and the verification codes sent through them.

Gateways are plugins selected by SMS_GATEWAY: `outbox` keeps each text in the database (the
embedded profile's demo backend, refused in production; `latest_outbox_code` reads it in
tests) and `http` posts JSON to the operator's gateway.

A verification code is six random digits stored only as HMAC-SM3 (blind index under the
"sms.code" key), bound to the phone and the purpose. It is valid for SMS_CODE_TTL_SECONDS,
for one use, and for five wrong tries. Issuing is limited per phone and purpose (60 s), per
phone (10 a day) and per client address (SMS_CODES_PER_ADDRESS_HOUR). Wrong tries are
counted in the cache as well as in the row: a caller's transaction that rolls back after a
refusal would otherwise erase the count and allow endless guessing.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from yiwang.core.audit import record_audit
from yiwang.core.crypto import same_mac
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import mask
from yiwang.core.keys import Sealer
from yiwang.core.models import SmsMessage, VerificationCode
from yiwang.core.plugins import Plugin, Registry
from yiwang.core.ratelimit import RateLimited, cooldown, end_cooldown, hit

logger = logging.getLogger(__name__)

PHONE_PURPOSE = "account.phone"  # identity seals account phones under the same purpose
CODE_PURPOSE = "sms.code"
MAX_ATTEMPTS = 5
RESEND_SECONDS = 60
CODES_PER_PHONE_DAY = 10
RESEND = "sms.resend"
DAY_LIMIT = "该手机号今日获取验证码次数已达上限，请明天再试"
MOBILE = re.compile(r"^1[3-9]\d{9}$")
CODE = re.compile(r"^\d{6}$")
PURPOSE = re.compile(r"^[a-z][a-z0-9_.-]{0,29}$")
CODE_IN_TEXT = re.compile(r"验证码为(\d{6})")


class SmsGatewayError(Exception):
    """The gateway did not accept the message (unreachable, timed out, non-2xx answer)."""


class SmsGateway(Plugin):
    def send(self, phone: str, text: str) -> str:
        """Send `text` to `phone`; return the gateway's message id."""
        raise NotImplementedError


gateways: Registry[SmsGateway] = Registry("SMS gateways")


def validate_phone(value: str, *, field: str = "phone") -> str:
    """A mainland mobile number (11 digits, 1[3-9]…), spaces, dashes and +86 removed."""
    phone = re.sub(r"[\s-]", "", value or "")
    phone = re.sub(r"^(\+|00)?86(?=1\d{10}$)", "", phone)
    if not phone:
        raise DomainError.of(field, "请填写手机号")
    if not MOBILE.match(phone):
        raise DomainError.of(field, "手机号应为11位中国大陆手机号码")
    return phone


def mask_phone(phone: str) -> str:
    return mask(phone, head=3, tail=4)


def phone_index(phone: str) -> str:
    return Sealer(PHONE_PURPOSE).index(phone)


@gateways.register("outbox")
class OutboxGateway(SmsGateway):
    verbose_name = "站内发件箱（不发送，仅嵌入式部署与测试）"
    is_demo = True

    def send(self, phone: str, text: str) -> str:
        sealer = Sealer(PHONE_PURPOSE)
        message = SmsMessage.objects.create(
            phone_sealed=sealer.seal(phone),
            phone_index=sealer.index(phone),
            phone_masked=mask_phone(phone),
            text=text,
        )
        return f"outbox-{message.pk}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the token and the phone elsewhere: treat it as a failure."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


@gateways.register("http")
class HttpGateway(SmsGateway):
    verbose_name = "HTTP 短信网关（POST JSON）"

    def check_config(self) -> None:
        scheme = urlsplit(settings.SMS_GATEWAY_URL).scheme
        if scheme not in {"http", "https"}:
            raise ImproperlyConfigured("YIWANG_SMS_GATEWAY_URL must be an http(s) URL")
        if scheme != "https" and settings.PROFILE == "production":
            raise ImproperlyConfigured("YIWANG_SMS_GATEWAY_URL must use https in production")

    def send(self, phone: str, text: str) -> str:
        body = {"phone": phone, "text": text, "sign": settings.SMS_SIGN}
        request = urllib.request.Request(
            settings.SMS_GATEWAY_URL,
            data=json.dumps(body, ensure_ascii=False).encode(),
            headers=self._headers(),
            method="POST",
        )
        try:
            with _opener.open(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:
                return _message_id(response.read(65536))
        except urllib.error.HTTPError as error:
            error.close()
            raise SmsGatewayError(f"SMS gateway answered HTTP {error.code}") from error
        except (urllib.error.URLError, OSError) as error:
            raise SmsGatewayError(f"SMS gateway unreachable: {error}") from error

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if settings.SMS_GATEWAY_TOKEN:
            headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_TOKEN}"
        return headers


def _message_id(payload: bytes) -> str:
    """The id from a JSON answer ({"message_id": …} or {"id": …}); a 2xx without one was still
    accepted, so it is not an error."""
    try:
        answer = json.loads(payload or b"{}")
    except ValueError:
        return ""
    if not isinstance(answer, dict):
        return ""
    return str(answer.get("message_id") or answer.get("id") or "")


def send_sms(phone: str, text: str, *, registry: Registry[SmsGateway] = gateways) -> str:
    """Send through the configured gateway; the message id, or DomainError (503) on failure."""
    gateway = registry.configured(settings.SMS_GATEWAY)
    try:
        return gateway.send(phone, text)
    except SmsGatewayError as error:
        logger.error("SMS to %s failed through %s: %s", mask_phone(phone), gateway.id, error)
        raise DomainError.of(
            "", "短信发送失败，请稍后再试", status=503, title="短信服务暂不可用"
        ) from error


# --- verification codes ------------------------------------------------------------------


def code_text(code: str) -> str:
    minutes = max(1, settings.SMS_CODE_TTL_SECONDS // 60)
    return f"【{settings.SMS_SIGN}】您的验证码为{code}，{minutes}分钟内有效。请勿泄露。"


def _code_mac(index: str, purpose: str, code: str) -> str:
    return Sealer(CODE_PURPOSE).index(f"{index}:{purpose}:{code}")


def _checked_purpose(purpose: str) -> str:
    if not PURPOSE.match(purpose or ""):
        raise DomainError.of("purpose", "验证码用途无效")
    return purpose


def _resend_key(index: str, purpose: str) -> str:
    return f"{index}:{purpose}"


def _limit_issuing(index: str, purpose: str, address: str) -> None:
    """Per phone and purpose first (a double click costs no quota), then the counted limits;
    an attempt they refuse gives the cooldown back."""
    message = "验证码已发送，请稍后再重新获取"
    cooldown(RESEND, _resend_key(index, purpose), RESEND_SECONDS, field="phone", message=message)
    try:
        if address:
            hit("sms.address", address, f"{settings.SMS_CODES_PER_ADDRESS_HOUR}/h", field="phone")
        hit("sms.phone", index, f"{CODES_PER_PHONE_DAY}/d", field="phone", message=DAY_LIMIT)
    except RateLimited:
        end_cooldown(RESEND, _resend_key(index, purpose))
        raise


def issue_code(
    phone: str, purpose: str, *, address: str, registry: Registry[SmsGateway] = gateways
) -> None:
    """Send a fresh code for `purpose`; it supersedes earlier ones. Sent while the caller
    waits, inside the transaction: a failed send leaves no code behind and says so."""
    phone, purpose = validate_phone(phone), _checked_purpose(purpose)
    index = phone_index(phone)
    _limit_issuing(index, purpose, address)
    try:
        _store_and_send(phone, index, purpose, address, registry)
    except DomainError:
        end_cooldown(RESEND, _resend_key(index, purpose))
        raise


@transaction.atomic
def _store_and_send(
    phone: str, index: str, purpose: str, address: str, registry: Registry[SmsGateway]
) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    VerificationCode.objects.create(
        phone_index=index,
        purpose=purpose,
        code_mac=_code_mac(index, purpose, code),
        address=address[:45],
        created_at=now,
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    record_audit(
        "sms.code_issued", target=mask_phone(phone), address=address, detail={"purpose": purpose}
    )
    send_sms(phone, code_text(code), registry=registry)


def _failures_key(row: VerificationCode) -> str:
    return f"yiwang:sms-code-failures:{row.pk}:{row.code_mac[:16]}"


def _failures(row: VerificationCode) -> int:
    return max(row.attempts, cache.get(_failures_key(row), 0))


def _count_failure(row: VerificationCode) -> int:
    key = _failures_key(row)
    lifetime = (row.expires_at - timezone.now()).total_seconds()
    cache.add(key, row.attempts, max(60, int(lifetime) + 60))
    failures = max(cache.incr(key), row.attempts + 1)
    VerificationCode.objects.filter(pk=row.pk).update(attempts=failures)
    return failures


def _consume(index: str, purpose: str, code: str) -> str:
    """Mark the newest code used when `code` matches it; otherwise the reason it does not."""
    row = (
        VerificationCode.objects.select_for_update()
        .filter(phone_index=index, purpose=purpose)
        .order_by("-created_at", "-id")
        .first()
    )
    if row is None:
        return "请先获取验证码"
    if row.used_at is not None:
        return "验证码已使用，请重新获取"
    if _failures(row) >= MAX_ATTEMPTS:
        return "错误次数过多，请重新获取"
    if row.expires_at <= timezone.now():
        return "验证码已过期，请重新获取"
    if not same_mac(row.code_mac.encode(), _code_mac(index, purpose, code).encode()):
        left = MAX_ATTEMPTS - _count_failure(row)
        return f"验证码错误，还可再试{left}次" if left > 0 else "错误次数过多，请重新获取"
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    return ""


def check_code(phone: str, purpose: str, code: str) -> None:
    """Accept `code` once for `phone` and `purpose`, or raise DomainError naming "code"."""
    phone, purpose = validate_phone(phone), _checked_purpose(purpose)
    code = (code or "").strip()
    if not CODE.match(code):
        raise DomainError.of("code", "请输入6位数字验证码")
    with transaction.atomic():  # the row lock makes a replayed code wait, then fail
        refusal = _consume(phone_index(phone), purpose, code)
    if refusal:
        raise DomainError.of("code", refusal)


def latest_outbox_code(phone: str) -> str:
    """The code in the newest outbox text to `phone` (tests and the developer page only)."""
    message = SmsMessage.objects.filter(phone_index=phone_index(validate_phone(phone))).first()
    found = CODE_IN_TEXT.search(message.text) if message else None
    if found is None:
        raise LookupError("no verification code in the SMS outbox for this phone")
    return found.group(1)
