"""SMS verification codes: issue, check once, expire, die after five wrong tries, rate limits."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from yiwang.core import sms
from yiwang.core.errors import DomainError
from yiwang.core.models import AuditRecord, SmsMessage, VerificationCode
from yiwang.core.plugins import Registry
from yiwang.core.ratelimit import RateLimited

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def issue(phone=PHONE, purpose="login", address="10.0.0.1") -> str:
    sms.issue_code(phone, purpose, address=address)
    return sms.latest_outbox_code(phone)


def refusal(phone, purpose, code) -> str:
    with pytest.raises(DomainError) as refused:
        sms.check_code(phone, purpose, code)
    assert refused.value.errors[0].field == "code"
    return refused.value.errors[0].message


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_sent_as_text_and_stored_only_as_a_mac():
    code = issue()
    message = SmsMessage.objects.get()
    assert message.text == f"【一网】您的验证码为{code}，5分钟内有效。请勿泄露。"
    row = VerificationCode.objects.get()
    assert code not in row.code_mac and len(row.code_mac) == 64
    assert row.expires_at - row.created_at == timedelta(minutes=5)
    assert row.phone_index == sms.phone_index(PHONE) and PHONE not in row.phone_index
    record = AuditRecord.objects.get(action="sms.code_issued")
    assert record.target == "138****8000" and record.address == "10.0.0.1"


def test_a_code_is_accepted_once_and_a_replay_is_refused():
    code = issue()
    sms.check_code(PHONE, "login", code)
    assert VerificationCode.objects.get().used_at is not None
    assert "已使用" in refusal(PHONE, "login", code)


def test_a_code_is_bound_to_its_phone_and_purpose():
    code = issue()
    assert refusal(PHONE, "register", code) == "请先获取验证码"
    assert refusal("13900139000", "login", code) == "请先获取验证码"
    sms.check_code(PHONE, "login", code)


def test_a_newer_code_supersedes_the_older_one(monkeypatch):
    codes = iter([111111, 222222])
    monkeypatch.setattr(sms.secrets, "randbelow", lambda _: next(codes))
    issue()
    cache.clear()  # past the resend cooldown
    issue()
    assert refusal(PHONE, "login", "111111") == "验证码错误，还可再试4次"
    sms.check_code(PHONE, "login", "222222")


def test_an_expired_code_is_refused_even_when_right():
    code = issue()
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refusal(PHONE, "login", code) == "验证码已过期，请重新获取"


def test_five_wrong_tries_kill_the_code():
    code = issue()
    messages = [refusal(PHONE, "login", wrong(code)) for _ in range(5)]
    assert messages[0] == "验证码错误，还可再试4次"
    assert messages[3] == "验证码错误，还可再试1次"
    assert messages[4] == "错误次数过多，请重新获取"
    assert refusal(PHONE, "login", code) == "错误次数过多，请重新获取"
    assert VerificationCode.objects.get().attempts == 5


def test_wrong_tries_still_count_when_the_callers_transaction_rolls_back():
    """register_person checks the code inside its own transaction; a refusal rolls it back."""
    code = issue()
    for _ in range(5):
        with pytest.raises(DomainError), transaction.atomic():
            sms.check_code(PHONE, "login", wrong(code))
    assert VerificationCode.objects.get().attempts == 0  # the rows' count was rolled back
    assert refusal(PHONE, "login", code) == "错误次数过多，请重新获取"


NOT_MOBILE = "手机号应为11位中国大陆手机号码"


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("", "请填写手机号"),
        ("1380013800", NOT_MOBILE),
        ("12800138000", NOT_MOBILE),
        ("1380013800a", NOT_MOBILE),
    ],
)
def test_phone_numbers_must_be_mainland_mobiles(phone, message):
    with pytest.raises(DomainError) as refused:
        sms.issue_code(phone, "login", address="10.0.0.1")
    assert (refused.value.errors[0].field, refused.value.errors[0].message) == ("phone", message)
    assert not VerificationCode.objects.exists()


def test_phone_numbers_are_normalized():
    assert sms.validate_phone("+86 138-0013-8000") == PHONE
    assert sms.validate_phone("8613800138000") == PHONE


def test_a_malformed_code_is_refused_without_counting():
    issue()
    assert refusal(PHONE, "login", "12345") == "请输入6位数字验证码"
    assert VerificationCode.objects.get().attempts == 0


def test_a_second_code_within_a_minute_is_refused_for_the_same_purpose_only():
    issue(purpose="login")
    with pytest.raises(RateLimited) as refused:
        sms.issue_code(PHONE, "login", address="10.0.0.1")
    assert refused.value.status == 429 and 0 < refused.value.retry_after <= 60
    assert refused.value.errors[0].field == "phone"
    issue(purpose="register")
    assert VerificationCode.objects.count() == 2


def test_at_most_ten_codes_per_phone_a_day():
    for number in range(10):
        sms.issue_code(PHONE, f"purpose{number}", address=f"10.0.1.{number}")
    with pytest.raises(RateLimited) as refused:
        sms.issue_code(PHONE, "purpose10", address="10.0.2.1")
    assert "今日" in refused.value.detail
    sms.issue_code("13900139000", "purpose10", address="10.0.2.1")


def test_at_most_twenty_codes_per_address_an_hour():
    for number in range(20):
        sms.issue_code(f"1390000{number:04d}", "login", address="10.0.0.7")
    with pytest.raises(RateLimited) as refused:
        sms.issue_code("13900009999", "login", address="10.0.0.7")
    assert refused.value.detail == "phone：操作过于频繁，请稍后再试"
    sms.issue_code("13900009999", "login", address="10.0.0.8")


def test_rate_limits_can_be_switched_off(settings):
    settings.RATELIMIT_ENABLE = False
    for _ in range(12):
        sms.issue_code(PHONE, "login", address="10.0.0.1")
    assert VerificationCode.objects.count() == 12


def test_a_failed_send_leaves_no_code_and_says_so():
    registry = Registry("failing gateways")

    @registry.register("outbox")
    class Failing(sms.SmsGateway):
        def send(self, phone, text):
            raise sms.SmsGatewayError("connection refused")

    with pytest.raises(DomainError) as refused:
        sms.issue_code(PHONE, "login", address="10.0.0.1", registry=registry)
    assert refused.value.status == 503 and "短信发送失败" in refused.value.detail
    assert not VerificationCode.objects.exists()
    assert not AuditRecord.objects.filter(action="sms.code_issued").exists()
    assert issue()  # the failed attempt did not start the resend cooldown


def test_latest_outbox_code_needs_a_message():
    with pytest.raises(LookupError):
        sms.latest_outbox_code(PHONE)
