import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from yiwang.core.audit import AuditRecord
from yiwang.core.events import Event
from yiwang.identity import services
from yiwang.identity.models import SessionRecord
from yiwang.identity.testing import sign_in_as

pytestmark = pytest.mark.django_db


def test_the_session_list_shows_ones_own_sessions_only(client, alice, bob):
    sign_in_as(client, alice.account, address="10.0.0.1")
    sign_in_as(type(client)(), bob.account, address="10.9.9.9")
    page = client.get(reverse("portal:my_sessions"))
    assert page.status_code == 200
    assert "10.0.0.1" in page.content.decode()
    assert "10.9.9.9" not in page.content.decode()


def test_ending_a_session_elsewhere_signs_that_browser_out(client, django_user_model, alice):
    laptop = sign_in_as(client, alice.account)
    phone = type(client)()
    sign_in_as(phone, alice.account)
    response = phone.post(reverse("portal:end_session", args=[laptop.sid]))
    assert response.status_code == 302
    laptop.refresh_from_db()
    assert laptop.end_reason == "signed_out"
    assert client.get(reverse("portal:my_account")).status_code == 302  # back to login
    assert phone.get(reverse("portal:my_account")).status_code == 200
    assert Event.objects.filter(topic="identity.session_ended").count() == 1


def test_nobody_ends_another_persons_session(client, alice, bob):
    bobs = sign_in_as(type(client)(), bob.account)
    sign_in_as(client, alice.account)
    response = client.post(reverse("portal:end_session", args=[bobs.sid]))
    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.ended_at is None


@override_settings(IDLE_TIMEOUT_SECONDS=60)
def test_an_idle_session_ends(client, alice):
    record = sign_in_as(client, alice.account)
    session = client.session
    session[services.SESSION_SEEN] = timezone.now().timestamp() - 61
    session.save()
    response = client.get(reverse("portal:my_account"))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.end_reason == "idle"
    assert AuditRecord.objects.filter(action="session.ended").exists()


def test_logout_ends_the_listed_session(client, alice):
    record = sign_in_as(client, alice.account)
    client.post(reverse("portal:logout"))
    record.refresh_from_db()
    assert record.end_reason == "logout"
    assert not SessionRecord.objects.filter(ended_at__isnull=True).exists()


def test_a_session_missing_from_the_list_is_refused(client, alice):
    Client.force_login(client, alice.account, backend=services.BACKEND)  # a session not listed
    assert client.get(reverse("portal:my_account")).status_code == 302


def test_the_login_page_names_the_system_that_asked(client, world):
    registration = services.register_client(
        services.Actor(None), name="税务业务系统", redirect_uris=["https://tax.example/cb"]
    )
    authorize = f"/o/authorize/?client_id={registration.application.client_id}&response_type=code"
    page = client.get(reverse("portal:login"), {"next": authorize}).content.decode()
    assert "“税务业务系统”请求使用您的一网账号登录" in page
    assert "请求使用" not in client.get(reverse("portal:login")).content.decode()
