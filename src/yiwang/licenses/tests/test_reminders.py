"""主动服务: a valid license running out within its rule's window is announced once, with the
renewal item's guide; the holder gets an inbox message and a text."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from yiwang.cases.tests import conftest as case_fixtures
from yiwang.core.events import Event
from yiwang.licenses import issuance
from yiwang.licenses.constants import LicenseStatus
from yiwang.licenses.models import IssuanceRule, License
from yiwang.licenses.tests.factories import make_seal, sign
from yiwang.licenses.tests.issuance_setup import asking_item, issuing_item, rule, trader_type

pytestmark = pytest.mark.django_db
applicant = case_fixtures.applicant
TODAY = date(2026, 6, 1)


@pytest.fixture
def trader(db):
    return trader_type()


@pytest.fixture
def seal(world):
    return make_seal(world.county_agency)


def expiring(license_type, seal, person, until: date) -> License:
    data = {"operator": person.name, "premises": "长沙市芙蓉区五一大道1号", "kind": "个体"}
    data.update(authority="芙蓉区市场监督管理局", case_number="1")
    return sign(
        license_type,
        seal,
        holder_id=person.id_number,
        holder_name=person.name,
        data=data,
        issued_on=date(2021, 6, 1),
        valid_until=until,
    )


def _reminders():
    return list(Event.objects.filter(topic="license.expiring").order_by("pk"))


def test_a_license_in_its_window_is_reminded_once_with_the_renewal_guide(
    world, trader, seal, applicant
):
    renewal = asking_item(world, basic_code="XK00012003")
    rule(issuing_item(world), trader, remind_days_before=30, renewal_item=renewal.catalog_item)
    license = expiring(trader, seal, applicant, TODAY + timedelta(days=30))

    assert issuance.remind_expiring(today=TODAY) == 1
    license.refresh_from_db()
    assert license.reminded_on == TODAY
    (event,) = _reminders()
    assert event.payload == {
        "identifier": license.identifier,
        "type_name": trader.name,
        "valid_until": "2026-07-01",
        "account": applicant.account.pk,
        "accounts": [applicant.account.pk],
        "renewal_item": "食品小经营许可",
        "renewal_code": renewal.implementation_code,
        "renewal_link": f"/guide/{renewal.implementation_code}/",
    }
    assert issuance.remind_expiring(today=TODAY) == 0
    assert issuance.remind_expiring(today=TODAY + timedelta(days=5)) == 0
    assert len(_reminders()) == 1


def test_the_rules_window_decides(world, trader, seal, applicant):
    rule(issuing_item(world), trader, remind_days_before=10)
    later = expiring(trader, seal, applicant, TODAY + timedelta(days=11))
    assert issuance.remind_expiring(today=TODAY) == 0
    assert issuance.remind_expiring(today=TODAY + timedelta(days=1)) == 1
    later.refresh_from_db()
    assert later.reminded_on == TODAY + timedelta(days=1)
    assert _reminders()[0].payload["renewal_code"] == ""


def test_without_a_rule_the_setting_decides(world, trader, seal, applicant, settings):
    settings.LICENSE_REMIND_DAYS = 60
    expiring(trader, seal, applicant, TODAY + timedelta(days=60))
    expiring(trader, seal, applicant, TODAY + timedelta(days=61))
    assert issuance.remind_expiring(today=TODAY) == 1
    assert _reminders()[0].payload["valid_until"] == "2026-07-31"


def test_ended_expired_and_permanent_licenses_are_not_reminded(world, trader, seal, applicant):
    rule(issuing_item(world), trader, remind_days_before=30)
    cancelled = expiring(trader, seal, applicant, TODAY + timedelta(days=3))
    License.objects.filter(pk=cancelled.pk).update(status=LicenseStatus.CANCELLED)
    expiring(trader, seal, applicant, TODAY - timedelta(days=1))  # already expired
    permanent = trader_type(name="长期证照", validity_kind="permanent", validity_years=None)
    sign(
        permanent,
        seal,
        holder_id=applicant.id_number,
        holder_name=applicant.name,
        data={
            "operator": "张丽华",
            "premises": "长沙市芙蓉区五一大道1号",
            "kind": "个体",
            "authority": "芙蓉区市场监督管理局",
            "case_number": "1",
        },
    )
    assert issuance.remind_expiring(today=TODAY) == 0
    assert not _reminders()


def test_the_longest_window_of_a_types_rules_counts(world, trader, seal, applicant):
    rule(issuing_item(world), trader, remind_days_before=10)
    IssuanceRule.objects.create(
        catalog_item=asking_item(world).catalog_item,
        license_type=trader,
        field_sources={},
        remind_days_before=45,
    )
    expiring(trader, seal, applicant, TODAY + timedelta(days=45))
    assert issuance.remind_expiring(today=TODAY) == 1


def test_the_command_reminds(world, trader, seal, applicant):
    expiring(trader, seal, applicant, timezone.localdate() + timedelta(days=2))
    out = StringIO()
    call_command("licenses", "remind", stdout=out)
    assert "reminded 1 license(s)" in out.getvalue()
    out = StringIO()
    call_command("licenses", "remind", "--today", timezone.localdate().isoformat(), stdout=out)
    assert "reminded 0 license(s)" in out.getvalue()
