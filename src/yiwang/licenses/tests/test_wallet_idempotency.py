"""A holder's retried 亮证 or 授权用证 (same Idempotency-Key) gets the first answer again — the
same link, the same authorization and access code — and nothing is made twice; another key is
another request; a key is the account's own, so another account's request with the same key
is a request of its own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from yiwang.core import idempotency
from yiwang.core.models import AuditRecord
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import in_registry, registered
from yiwang.licenses import wallet
from yiwang.licenses.models import Authorization, Showing
from yiwang.licenses.tests.factories import LicenseTypeFactory, company_uscc, sign

pytestmark = pytest.mark.django_db

BANK_USCC = company_uscc(80000001)
HEALTH_DATA = {"occupation": "餐饮服务"}


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 93))


@pytest.fixture
def bob(world):
    return registered(in_registry("李建国", 94))


@pytest.fixture
def person_type(db):
    return LicenseTypeFactory(for_persons=True)


def _health_license(person_type, seal, person):
    return sign(
        person_type, seal, holder_id=person.id_number, holder_name=person.name, data=HEALTH_DATA
    )


@pytest.fixture
def alices_license(person_type, seal, alice):
    return _health_license(person_type, seal, alice)


@pytest.fixture
def bobs_license(person_type, seal, bob):
    return _health_license(person_type, seal, bob)


def _client_of(person) -> Client:
    client = Client()
    sign_in_as(client, person.account)
    return client


def _show(client, license, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/wallet/licenses/{license.identifier}/showings", **headers)


def _grant(client, license, key=None, purpose="开户"):
    start = timezone.now()  # in force at once, so the code given can be used
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/wallet/licenses/{license.identifier}/authorizations",
        {
            "grantee_kind": "third_party",
            "grantee_name": "长沙银行股份有限公司",
            "grantee_uscc": BANK_USCC,
            "purpose": purpose,
            "valid_from": start.isoformat(),
            "valid_until": (start + timedelta(days=1)).isoformat(),
        },
        content_type="application/json",
        **headers,
    )


# --- 亮证 ------------------------------------------------------------------------------------


def test_a_retried_showing_gives_the_same_link_and_makes_one_showing(alice, alices_license):
    client = _client_of(alice)
    first = _show(client, alices_license, "show-1")
    again = _show(client, alices_license, "show-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Showing.objects.count() == 1
    assert AuditRecord.objects.filter(action="license.shown").count() == 1
    token = first.json()["url"].rstrip("/").rsplit("/", 1)[-1]
    assert wallet.open_showing(token=token).license == alices_license  # the link works


def test_another_key_or_none_is_another_showing(alice, alices_license):
    client = _client_of(alice)
    urls = {
        _show(client, alices_license, "show-1").json()["url"],
        _show(client, alices_license, "show-2").json()["url"],
        _show(client, alices_license).json()["url"],
        _show(client, alices_license).json()["url"],
    }
    assert len(urls) == Showing.objects.count() == 4


def test_another_accounts_same_key_is_its_own_showing(alice, bob, alices_license, bobs_license):
    alices = _show(_client_of(alice), alices_license, "shared-key").json()
    bobs = _show(_client_of(bob), bobs_license, "shared-key")
    assert bobs.status_code == 201 and bobs.json()["url"] != alices["url"]
    token = bobs.json()["url"].rstrip("/").rsplit("/", 1)[-1]
    assert wallet.open_showing(token=token).license == bobs_license
    assert Showing.objects.filter(created_by=bob.account, license=bobs_license).count() == 1
    assert Showing.objects.count() == 2


def test_a_key_used_for_another_license_is_refused(alice, alices_license, person_type, seal):
    second = sign(
        person_type, seal, holder_id=alice.id_number, holder_name=alice.name, data=HEALTH_DATA
    )
    client = _client_of(alice)
    _show(client, alices_license, "show-1")
    refused = _show(client, second, "show-1")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Showing.objects.count() == 1


def test_an_overlong_key_is_refused_naming_the_header(alice, alices_license):
    refused = _show(_client_of(alice), alices_license, "k" * 65)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Showing.objects.exists()


def test_a_racing_retry_gets_the_showing_the_first_request_made(alice, alices_license):
    """The retry looked before the first one was written; the key's constraint refuses its
    row, and the first one's is the answer."""
    first, _ = wallet.show_license(
        license=alices_license, account=alice.account, idempotency_key="show-1"
    )
    lookups = []

    def earlier():
        lookups.append(1)
        return None if len(lookups) == 1 else Showing.objects.get(idempotency_key="show-1")

    def duplicate():
        return Showing.objects.create(
            license=alices_license,
            token_index="0" * 64,
            created_by=alice.account,
            expires_at=first.expires_at,
            idempotency_key="show-1",
        )

    assert idempotency.once("show-1", duplicate, earlier) == first
    assert Showing.objects.count() == 1
    with pytest.raises(IntegrityError):  # without a key a refused row is an error as before
        idempotency.once("", duplicate, earlier)


# --- 授权用证 ----------------------------------------------------------------------------------


def test_a_retried_grant_gives_the_same_authorization_and_code(alice, alices_license):
    client = _client_of(alice)
    first = _grant(client, alices_license, "grant-1")
    again = _grant(client, alices_license, "grant-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Authorization.objects.count() == 1
    assert AuditRecord.objects.filter(action="license.authorized").count() == 1
    read = wallet.read_with_access_code(
        code=first.json()["access_code"],
        grantee_uscc=BANK_USCC,
        identifier=alices_license.identifier,
    )
    assert read.license == alices_license  # the code given twice is the one that works


def test_another_key_is_another_grant(alice, alices_license):
    client = _client_of(alice)
    first = _grant(client, alices_license, "grant-1").json()
    second = _grant(client, alices_license, "grant-2").json()
    assert first["id"] != second["id"] and first["access_code"] != second["access_code"]
    assert Authorization.objects.count() == 2


def test_another_accounts_same_key_is_its_own_grant(alice, bob, alices_license, bobs_license):
    alices = _grant(_client_of(alice), alices_license, "shared-key").json()
    bobs = _grant(_client_of(bob), bobs_license, "shared-key")
    assert bobs.status_code == 201
    assert bobs.json()["id"] != alices["id"]
    assert bobs.json()["access_code"] != alices["access_code"]
    assert Authorization.objects.get(pk=bobs.json()["id"]).license == bobs_license
    assert Authorization.objects.get(pk=alices["id"]).license == alices_license


def test_a_refused_grant_keeps_no_key(alice, alices_license):
    """Nothing is written for a refused request, so its corrected retry is granted."""
    client = _client_of(alice)
    bad = _grant(client, alices_license, "grant-1", purpose="")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "purpose"
    assert _grant(client, alices_license, "grant-1").status_code == 201
    assert Authorization.objects.count() == 1
