"""Staff log in with a password and then a TOTP code; the first login binds the authenticator."""

import re

import pyotp
import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.core.models import AuditRecord
from yiwang.identity.constants import Role
from yiwang.identity.models import SecondFactor
from yiwang.identity.testing import sign_in_as
from yiwang.workbench.tests.factories import PASSWORD, person, staff
from yiwang.workbench.views.signin import PENDING, PENDING_SECONDS

LOGIN = reverse("workbench:login")
SECOND_FACTOR = reverse("workbench:second_factor")
HOME = reverse("workbench:home")


def _password_step(client, username, password=PASSWORD, next_url=""):
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url})


def _enrollment_secret(client) -> str:
    page = client.get(SECOND_FACTOR).content.decode()
    assert "<svg" in page and "动态口令绑定二维码" in page
    return re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def _enroll(client, username, next_url=""):
    """Both steps of a first login; returns the authenticator, the code used and the answer."""
    assert _password_step(client, username, next_url=next_url)["Location"] == SECOND_FACTOR
    totp = pyotp.TOTP(_enrollment_secret(client))
    code = totp.now()
    return totp, code, client.post(SECOND_FACTOR, {"code": code})


def _unused_code(totp: pyotp.TOTP) -> str:
    now = timezone.now().timestamp()
    valid = {totp.at(now + drift * totp.interval) for drift in (-1, 0, 1)}
    return next(code for code in (f"{n:06d}" for n in range(1000)) if code not in valid)


@pytest.mark.django_db
def test_first_login_binds_the_authenticator_and_starts_the_session(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)

    response = _password_step(client, "zhangwei")
    assert response["Location"] == SECOND_FACTOR
    assert client.get(HOME)["Location"].startswith(LOGIN)  # not signed in after the password

    totp = pyotp.TOTP(_enrollment_secret(client))
    response = client.post(SECOND_FACTOR, {"code": totp.now()})

    assert response["Location"] == HOME
    page = client.get(HOME).content.decode()
    assert "审核人员" in page and "芙蓉区" in page
    assert SecondFactor.objects.get(account__username="zhangwei").confirmed_at is not None
    assert AuditRecord.objects.get(action="login.succeeded").detail["method"] == "password+totp"
    assert AuditRecord.objects.filter(action="mfa.enrolled", target="zhangwei").exists()


@pytest.mark.django_db
def test_a_mistyped_code_keeps_the_same_qr_code(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    _password_step(client, "zhangwei")
    secret = _enrollment_secret(client)

    response = client.post(SECOND_FACTOR, {"code": _unused_code(pyotp.TOTP(secret))})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="totp-code-error"' in page and "动态口令错误或已使用" in page
    assert " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
    assert client.post(SECOND_FACTOR, {"code": pyotp.TOTP(secret).now()})["Location"] == HOME


@pytest.mark.django_db
def test_a_bound_account_is_asked_for_its_code_only(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    _enroll(client, "zhangwei")
    client.post(reverse("portal:logout"))

    _password_step(client, "zhangwei")
    page = client.get(SECOND_FACTOR).content.decode()

    assert "<svg" not in page and "身份验证器应用上显示的 6 位动态口令" in page


@pytest.mark.django_db
def test_a_wrong_code_is_refused(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    totp, _, _ = _enroll(client, "zhangwei")
    client.post(reverse("portal:logout"))
    _password_step(client, "zhangwei")

    response = client.post(SECOND_FACTOR, {"code": _unused_code(totp)})

    assert response.status_code == 400
    assert "动态口令错误或已使用" in response.content.decode()
    assert client.get(HOME)["Location"].startswith(LOGIN)
    assert AuditRecord.objects.filter(action="login.failed", target="zhangwei").exists()


@pytest.mark.django_db
def test_a_code_is_accepted_once(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    _, used, _ = _enroll(client, "zhangwei")
    client.post(reverse("portal:logout"))
    _password_step(client, "zhangwei")

    response = client.post(SECOND_FACTOR, {"code": used})

    assert response.status_code == 400
    assert "动态口令错误或已使用" in response.content.decode()


@pytest.mark.django_db
def test_the_password_step_expires_after_five_minutes(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    _password_step(client, "zhangwei")
    session = client.session
    session[PENDING] = {**session[PENDING], "at": session[PENDING]["at"] - PENDING_SECONDS - 1}
    session.save()

    response = client.get(SECOND_FACTOR, follow=True)

    assert response.redirect_chain[-1][0] == LOGIN
    assert "登录已超时" in response.content.decode()


@pytest.mark.django_db
def test_the_second_factor_page_needs_the_password_first(client, db):
    assert client.post(SECOND_FACTOR, {"code": "123456"})["Location"] == LOGIN


@pytest.mark.django_db
def test_login_returns_to_the_page_asked_for_on_this_site_only(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    staff("lina", Role.REVIEWER, region=world.county)

    _, _, response = _enroll(client, "zhangwei", next_url="/workbench/audit/")
    assert response["Location"] == "/workbench/audit/"

    client.post(reverse("portal:logout"))
    _, _, response = _enroll(client, "lina", next_url="https://evil.example/phish")
    assert response["Location"] == HOME


@pytest.mark.django_db
def test_password_attempts_are_rate_limited_by_address(client, db):
    for _ in range(10):
        _password_step(client, "ghost", password="guess")

    response = _password_step(client, "ghost", password="guess")

    assert response.status_code == 429 and response["Retry-After"]
    assert "操作过于频繁，请稍后再试" in response.content.decode()


@pytest.mark.django_db
def test_code_attempts_are_rate_limited_by_address(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)
    _password_step(client, "zhangwei")
    for _ in range(10):
        client.post(SECOND_FACTOR, {"code": "000000"})

    response = client.post(SECOND_FACTOR, {"code": "000000"})

    assert response.status_code == 429
    assert "操作过于频繁，请稍后再试" in response.content.decode()


@pytest.mark.django_db
def test_a_person_cannot_use_the_staff_login(client, db):
    applicant = person()

    response = _password_step(client, applicant.username)

    assert response.status_code == 400
    assert "账号或密码错误" in response.content.decode()
    assert PENDING not in client.session


@pytest.mark.django_db
def test_login_errors_are_chinese_and_beside_the_field(client, world):
    staff("zhangwei", Role.REVIEWER, region=world.county)

    response = _password_step(client, "zhangwei", password="wrong-password")

    page = response.content.decode()
    assert response.status_code == 400
    assert '<html lang="zh-CN"' in page
    assert '<p class="field-error" id="login-password-error">账号或密码错误</p>' in page
    assert 'value="zhangwei"' in page and "wrong-password" not in page


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_staff_login(client, db):
    for name in ("workbench:home", "workbench:staff", "workbench:audit"):
        response = client.get(reverse(name))
        assert response["Location"] == f"{LOGIN}?next={reverse(name)}"


@pytest.mark.django_db
def test_a_signed_in_person_is_sent_to_the_portal(client, db):
    sign_in_as(client, person())

    assert client.get(HOME)["Location"] == reverse("portal:my_account")
