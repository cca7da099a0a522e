"""我的证照 as a service: whose licenses a person sees, their status and fields, 亮证 (a
time-limited token whose blind index alone is stored) and the log of every use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.cases.tests.factories import staff
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.models import AuditRecord
from yiwang.identity import services as identity
from yiwang.identity.constants import Role
from yiwang.identity.tests.factories import company, in_registry, registered
from yiwang.licenses import wallet
from yiwang.licenses.constants import LicenseStatus, UseKind, Verdict
from yiwang.licenses.models import License, LicenseUse, Showing
from yiwang.licenses.tests.factories import LicenseTypeFactory, sign

pytestmark = pytest.mark.django_db

HEALTH_DATA = {"occupation": "餐饮服务"}


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 81))


@pytest.fixture
def bob(world):
    return registered(in_registry("李建国", 82))


@pytest.fixture
def person_type(db):
    """健康证明: a person's license, one year."""
    return LicenseTypeFactory(for_persons=True)


@pytest.fixture
def alices_license(person_type, seal, alice):
    return sign(
        person_type, seal, holder_id=alice.id_number, holder_name=alice.name, data=HEALTH_DATA
    )


@pytest.fixture
def bobs_license(person_type, seal, bob):
    return sign(person_type, seal, holder_id=bob.id_number, holder_name=bob.name, data=HEALTH_DATA)


@pytest.fixture
def alices_company_license(food_type, seal, alice):
    """A license of the company Alice represents (claimed in the legal-person registry)."""
    uscc = company(alice, 71)
    identity.claim_organization(identity.Actor(alice.account), alice.account, uscc)
    return sign(food_type, seal, holder_id=uscc, holder_name="长沙湘江餐饮有限公司")


def test_a_person_sees_their_own_and_their_organizations_licenses(
    alice, bob, alices_license, bobs_license, alices_company_license
):
    assert set(wallet.wallet_licenses(alice.account)) == {alices_license, alices_company_license}
    assert list(wallet.wallet_licenses(bob.account)) == [bobs_license]


def test_an_organizations_licenses_go_when_the_membership_goes(alice, alices_company_license):
    alice.account.memberships.update(revoked_at=timezone.now())
    assert list(wallet.wallet_licenses(alice.account)) == []
    with pytest.raises(NotFound):
        wallet.access_license(alice.account, alices_company_license.identifier)


def test_staff_hold_nothing(world, alices_license):
    clerk = staff("clerk", Role.WINDOW_CLERK, world.county, world.county_agency)
    assert wallet.holder_indexes(clerk) == []
    assert list(wallet.wallet_licenses(clerk)) == []


def test_access_license_refuses_anothers_and_malformed_alike(alice, alices_license, bobs_license):
    assert wallet.access_license(alice.account, alices_license.identifier) == alices_license
    assert wallet.access_license(alice.account, f" {alices_license.identifier.lower()} ")
    for identifier in (bobs_license.identifier, "1.2.156.3005.2.x", "", "../../etc"):
        with pytest.raises(NotFound) as refused:
            wallet.access_license(alice.account, identifier)
        assert refused.value.status == 404


def test_status_counts_with_todays_date(alices_license):
    today = alices_license.valid_from
    assert wallet.license_state(alices_license, today) == Verdict.VALID
    assert wallet.license_state(alices_license, alices_license.valid_until) == Verdict.VALID
    after = alices_license.valid_until + timedelta(days=1)
    assert wallet.license_state(alices_license, after) == Verdict.EXPIRED
    before = today - timedelta(days=1)
    assert wallet.license_state(alices_license, before) == Verdict.NOT_YET_VALID
    alices_license.status = LicenseStatus.REVOKED
    assert wallet.license_state(alices_license, today) == Verdict.REVOKED
    alices_license.status = LicenseStatus.CANCELLED
    assert wallet.license_state(alices_license, after) == Verdict.CANCELLED


def test_fields_follow_the_display_hints_then_the_schema(alices_company_license):
    alices_company_license.license_type.display_hints = {
        "title": "食品经营许可证",
        "order": ["premises"],
    }
    fields = wallet.license_fields(alices_company_license)
    assert fields == [
        ("经营场所", "长沙市芙蓉区五一大道1号"),
        ("经营项目", "热食类食品制售"),
        ("餐位数", "40"),
    ]
    assert wallet.display_title(alices_company_license) == "食品经营许可证"


# --- 亮证 ------------------------------------------------------------------------------------


def test_showing_stores_only_the_tokens_blind_index(alice, alices_license, settings):
    settings.LICENSE_SHOW_SECONDS = 120
    showing, token = wallet.show_license(license=alices_license, account=alice.account)
    assert len(token) == 32
    assert token not in showing.token_index and showing.token_index != token
    assert timedelta(seconds=119) < showing.expires_at - timezone.now() <= timedelta(seconds=120)
    assert wallet.shown_url(token) == f"{settings.PUBLIC_BASE_URL}/licenses/shown/{token}/"
    assert AuditRecord.objects.filter(action="license.shown").exists()


def test_a_verifier_sees_the_license_and_each_view_is_logged(alice, alices_license):
    _, token = wallet.show_license(license=alices_license, account=alice.account)
    shown = wallet.open_showing(token=token, address="10.0.0.8")
    assert shown.license == alices_license
    assert shown.verification.verdict == Verdict.VALID
    wallet.open_showing(token=token, address="10.0.0.9")
    uses = list(wallet.uses_of(alices_license))
    assert [(use.kind, use.address) for use in uses] == [
        (UseKind.SHOWN, "10.0.0.9"),
        (UseKind.SHOWN, "10.0.0.8"),
    ]
    assert uses[0].detail["verdict"] == "valid"


def test_a_revoked_license_shows_as_revoked(alice, alices_license):
    License.objects.filter(pk=alices_license.pk).update(
        status=LicenseStatus.REVOKED, status_changed_at=timezone.now(), status_reason="依法撤销"
    )
    _, token = wallet.show_license(license=alices_license, account=alice.account)
    assert wallet.open_showing(token=token).verification.verdict == Verdict.REVOKED


def test_an_expired_token_is_refused_and_logged_as_refused(alice, alices_license):
    showing, token = wallet.show_license(license=alices_license, account=alice.account)
    Showing.objects.filter(pk=showing.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(DomainError) as refused:
        wallet.open_showing(token=token, address="10.0.0.8")
    assert refused.value.status == 410 and "已过期" in refused.value.detail
    assert not LicenseUse.objects.exists()
    record = AuditRecord.objects.get(action="license.showing_refused")
    assert record.target == alices_license.identifier and record.address == "10.0.0.8"


@pytest.mark.parametrize(
    "token",
    ["", "x", "A" * 32, "A" * 31 + "!", "' OR 1=1 --" + "A" * 21, "A" * 33, "\x00" * 32],
)
def test_a_forged_token_is_refused(alice, alices_license, token):
    wallet.show_license(license=alices_license, account=alice.account)
    with pytest.raises(DomainError) as refused:
        wallet.open_showing(token=token)
    assert refused.value.status == 404 and "无效" in refused.value.detail
    assert not LicenseUse.objects.exists()
    assert AuditRecord.objects.filter(action="license.showing_refused").count() == 1


def test_a_token_of_one_showing_opens_only_its_license(
    alice, alices_license, alices_company_license
):
    _, first = wallet.show_license(license=alices_license, account=alice.account)
    _, second = wallet.show_license(license=alices_company_license, account=alice.account)
    assert wallet.open_showing(token=first).license == alices_license
    assert wallet.open_showing(token=second).license == alices_company_license


def test_downloads_are_logged(alice, alices_license):
    wallet.record_download(license=alices_license, account=alice.account, form="pdf")
    use = LicenseUse.objects.get()
    assert use.kind == UseKind.DOWNLOADED and use.detail == {"format": "pdf"}
    assert alice.name in use.user
