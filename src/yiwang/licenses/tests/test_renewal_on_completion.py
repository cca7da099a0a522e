"""延续 on completion: a completed case of an item that an issuance rule names as its renewal
item renews the applicant's own license of the rule's type — a new version signed by the
issuing agency's seal, the old one superseded — once, however often the event comes. An
applicant without such a license is audited and nothing else happens; nobody else's license is
ever renewed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.cases.tests import conftest as case_fixtures
from yiwang.catalog import services as catalog
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.events import Event, deliver_pending
from yiwang.core.models import AuditRecord
from yiwang.identity import services as identity
from yiwang.identity.tests.factories import company
from yiwang.licenses import issuance, lifecycle, services
from yiwang.licenses.constants import LicenseStatus, LifecycleAction, Verdict
from yiwang.licenses.identifiers import parse_identifier
from yiwang.licenses.models import License, LifecycleRecord
from yiwang.licenses.tests.factories import FOOD_DATA, LicenseTypeFactory, make_seal, sign
from yiwang.licenses.tests.issuance_setup import (
    COMPANY_SOURCES,
    FORM,
    completed_case,
    issuing_item,
    rule,
    trader_type,
)

pytestmark = pytest.mark.django_db
applicant, other_applicant = case_fixtures.applicant, case_fixtures.other_applicant
office = case_fixtures.office


@pytest.fixture
def trader(db):
    return trader_type()


@pytest.fixture
def seal(world):
    return make_seal(world.county_agency)


@pytest.fixture
def renewal(world):
    """食品经营许可延续, implemented by the county agency like the issuing item."""
    item = catalog.create_catalog_item(
        actor=SYSTEM,
        basic_code="XK00012004",
        item_type="XK",
        name="食品经营许可延续",
        legal_basis=[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
        levels=[3],
        sector="市场监管",
        audience=["organization", "person"],
    )
    guide = food_guide(form=FORM)
    del guide["materials"][1]
    return world.implement(world.county_agency, guide, item=item).service_item


@pytest.fixture
def renews_trader(world, trader, renewal):
    """食品经营许可 issues the trader's license; 食品经营许可延续 renews it."""
    return rule(issuing_item(world), trader, renewal_item=renewal.catalog_item)


def held(license_type, seal, person, *, days_left: int = 20) -> License:
    """The person's license, running out in `days_left` days."""
    today = timezone.localdate()
    data = {"operator": person.name, "premises": "长沙市芙蓉区五一大道1号", "kind": "个体"}
    data.update(authority="芙蓉区市场监督管理局", case_number="1")
    return sign(
        license_type,
        seal,
        holder_id=person.id_number,
        holder_name=person.name,
        data=data,
        issued_on=today - timedelta(days=1800),
        valid_until=today + timedelta(days=days_left),
    )


def _skipped() -> AuditRecord:
    return AuditRecord.objects.get(action="license.renewal_skipped")


@pytest.mark.usefixtures("renews_trader")
def test_a_completed_renewal_case_renews_the_applicants_license(
    trader, seal, renewal, applicant, office
):
    old = held(trader, seal, applicant)
    case = completed_case(applicant.account, renewal, office)
    deliver_pending()

    new = License.objects.get(case_number=case.number)
    old.refresh_from_db()
    assert new.previous == old and new.version == 2
    assert parse_identifier(new.identifier).serial == parse_identifier(old.identifier).serial
    assert new.holder_id_index == old.holder_id_index == applicant.account.id_number_index
    assert new.data == old.data and new.seal == seal and new.issuer == old.issuer
    assert new.valid_from == timezone.localdate()
    assert new.valid_until == trader.valid_until_for(old.valid_until + timedelta(days=1))
    assert (old.status, old.status_reason) == (LicenseStatus.CANCELLED, "已延续为第2版")
    assert services.verify_license(new).verdict == Verdict.VALID
    assert services.verify_license(old).verdict == Verdict.CANCELLED

    steps = LifecycleRecord.objects.select_related("license", "seal").order_by("pk")
    assert [(step.license, step.action, step.reason) for step in steps] == [
        (old, LifecycleAction.CANCELLED, "已延续为第2版"),
        (new, LifecycleAction.RENEWED, f"办件{case.number}办结"),
    ]
    assert all(step.seal == seal and lifecycle.verify_lifecycle_record(step) for step in steps)
    audit = AuditRecord.objects.get(action="license.renewed")
    assert audit.actor == issuance.RENEWAL_ACTOR and audit.detail["previous"] == old.identifier
    event = Event.objects.get(topic="license.renewed")
    assert event.payload["identifier"] == new.identifier
    assert event.payload["accounts"] == [applicant.account.pk]
    assert not AuditRecord.objects.filter(action="license.renewal_skipped").exists()


@pytest.mark.usefixtures("renews_trader")
def test_a_redelivered_event_renews_nothing_more(trader, seal, renewal, applicant, office):
    held(trader, seal, applicant)
    case = completed_case(applicant.account, renewal, office)
    deliver_pending()
    Event.objects.update(delivered_at=None)  # the worker delivers again after a crash
    deliver_pending()
    assert issuance.issue_license_for_case(case_uid=str(case.uid)) is None

    assert License.objects.count() == 2
    assert License.objects.get(status=LicenseStatus.VALID).case_number == case.number
    assert Event.objects.filter(topic="license.renewed").count() == 1
    assert LifecycleRecord.objects.filter(action=LifecycleAction.RENEWED).count() == 1
    assert not AuditRecord.objects.filter(action="license.renewal_skipped").exists()


@pytest.mark.usefixtures("renews_trader")
def test_without_a_license_the_reason_is_audited_and_nothing_else_happens(
    renewal, applicant, office
):
    case = completed_case(applicant.account, renewal, office)
    deliver_pending()

    assert not License.objects.exists() and not LifecycleRecord.objects.exists()
    assert _skipped().target == case.number
    assert "未持有在有效期内可延续的食品经营许可证（个体）" in _skipped().detail["reason"]
    # Nothing to retry: the event is delivered and the other consumers ran.
    assert Event.objects.get(topic="case.completed", payload__number=case.number).delivered_at
    assert not Event.objects.filter(topic=issuance.RETRY_TOPIC).exists()
    assert not AuditRecord.objects.filter(action="license.issuance_failed").exists()


@pytest.mark.usefixtures("renews_trader")
def test_another_persons_license_is_never_renewed(
    trader, seal, renewal, applicant, other_applicant, office
):
    others = held(trader, seal, other_applicant)
    completed_case(applicant.account, renewal, office)
    deliver_pending()

    others.refresh_from_db()
    assert (others.status, others.version) == (LicenseStatus.VALID, 1)
    assert License.objects.count() == 1 and not LifecycleRecord.objects.exists()
    assert "未持有" in _skipped().detail["reason"]


@pytest.mark.usefixtures("renews_trader")
def test_an_expired_license_is_not_renewed(trader, seal, renewal, applicant, office):
    expired = held(trader, seal, applicant, days_left=-1)
    completed_case(applicant.account, renewal, office)
    deliver_pending()
    expired.refresh_from_db()
    assert License.objects.get() == expired and expired.status == LicenseStatus.VALID
    assert "未持有在有效期内" in _skipped().detail["reason"]


@pytest.mark.usefixtures("renews_trader")
def test_with_several_licenses_of_the_type_none_is_guessed(
    trader, seal, renewal, applicant, office
):
    held(trader, seal, applicant)
    held(trader, seal, applicant, days_left=40)
    completed_case(applicant.account, renewal, office)
    deliver_pending()
    assert License.objects.filter(status=LicenseStatus.VALID).count() == 2
    assert not LifecycleRecord.objects.exists()
    assert "持有多张有效的" in _skipped().detail["reason"]


@pytest.mark.usefixtures("renews_trader")
def test_a_license_issued_in_another_region_is_not_renewed_here(
    world, trader, seal, renewal, applicant, office
):
    elsewhere = held(trader, make_seal(world.other_county_agency), applicant)
    completed_case(applicant.account, renewal, office)
    deliver_pending()
    elsewhere.refresh_from_db()
    assert elsewhere.status == LicenseStatus.VALID and License.objects.count() == 1
    assert "天元区市场监督管理局签发" in _skipped().detail["reason"]


def test_an_organizations_case_renews_the_organizations_license(
    world, seal, renewal, applicant, office
):
    uscc = company(applicant, 70000009)
    identity.claim_organization(identity.Actor(applicant.account), applicant.account, uscc)
    food = LicenseTypeFactory()  # 食品经营许可证 of an organization
    rule(
        issuing_item(world),
        food,
        field_sources=dict(COMPANY_SOURCES),
        renewal_item=renewal.catalog_item,
    )
    today = timezone.localdate()
    old = sign(
        food,
        seal,
        holder_id=uscc,
        holder_name="长沙湘江餐饮有限公司",
        data=dict(FOOD_DATA),
        issued_on=today - timedelta(days=1800),
        valid_until=today + timedelta(days=10),
    )
    case = completed_case(applicant.account, renewal, office, organization_uscc=uscc)
    deliver_pending()
    new = License.objects.get(case_number=case.number)
    assert new.previous == old and new.holder_id_index == old.holder_id_index
    assert services.signed_license_of(new).payload["holder_id"] == uscc


@pytest.mark.usefixtures("renews_trader")
def test_without_a_seal_the_renewal_is_retried_until_one_exists(
    world, trader, seal, renewal, applicant, office
):
    old = held(trader, seal, applicant)
    services.revoke_seal(seal=seal, actor="test", reason="印章遗失")
    case = completed_case(applicant.account, renewal, office)
    deliver_pending()
    assert not License.objects.filter(case_number=case.number).exists()
    failed = AuditRecord.objects.get(action="license.issuance_failed")
    assert "没有有效的电子印章" in failed.detail["reason"]

    make_seal(world.county_agency)
    retry = Event.objects.get(topic=issuance.RETRY_TOPIC)
    Event.objects.filter(pk=retry.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    deliver_pending()
    assert License.objects.get(case_number=case.number).previous == old
