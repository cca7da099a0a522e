from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from yiwang.core import sms
from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.identity import services
from yiwang.identity.constants import CodePurpose
from yiwang.identity.models import LoginThrottle
from yiwang.identity.tests.factories import PASSWORD, id_number

pytestmark = pytest.mark.django_db


def _fail(identifier: str, password: str = "wrong-Password-1") -> DomainError:
    with pytest.raises(DomainError) as refused:
        services.authenticate_person(identifier, password, address="10.0.0.9")
    return refused.value


def test_id_number_and_password_log_in(alice):
    account = services.authenticate_person(alice.id_number, PASSWORD, address="10.0.0.9")
    assert account == alice.account


def test_lowercase_check_character_is_accepted(world):
    number = next(id_number(n) for n in range(100, 200) if id_number(n).endswith("X"))
    with pytest.raises(DomainError) as refused:
        services.authenticate_person(number.lower(), "x", address="1.1.1.1")
    assert refused.value.errors[0].field == "password"  # parsed, then refused as unknown


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=600)
def test_repeated_failures_lock_the_account_even_for_the_right_password(alice):
    for _ in range(3):
        assert _fail(alice.id_number).errors[0].message == "账号或密码错误"
    locked = _fail(alice.id_number, PASSWORD)
    assert "锁定" in locked.detail
    actions = list(AuditRecord.objects.values_list("action", flat=True))
    assert actions.count("login.failed") == 3
    assert "login.locked" in actions and "login.locked_attempt" in actions
    assert not any(alice.id_number in str(r.detail) + r.target for r in AuditRecord.objects.all())


@override_settings(LOGIN_LOCKOUT_FAILURES=3, LOGIN_LOCKOUT_SECONDS=600)
def test_the_lock_lifts_when_it_expires(alice):
    for _ in range(3):
        _fail(alice.id_number)
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert services.authenticate_person(alice.id_number, PASSWORD, address="x") == alice.account


@override_settings(LOGIN_LOCKOUT_FAILURES=2)
def test_unknown_id_numbers_lock_out_like_known_ones(world):
    stranger = id_number(77)
    assert _fail(stranger).errors[0].message == "账号或密码错误"
    _fail(stranger)
    assert "锁定" in _fail(stranger).detail


def test_sms_login_with_the_bound_phone(alice):
    services.request_code(alice.phone, CodePurpose.LOGIN, address="10.0.0.9")
    code = sms.latest_outbox_code(alice.phone)
    assert services.authenticate_by_sms(alice.phone, code, address="x") == alice.account
    with pytest.raises(DomainError):
        services.authenticate_by_sms(alice.phone, code, address="x")  # one use only


def test_sms_login_for_an_unbound_phone_is_refused(world):
    with pytest.raises(DomainError) as refused:
        services.authenticate_by_sms("13700000000", "123456", address="x")
    assert refused.value.errors[0].field == "phone"
