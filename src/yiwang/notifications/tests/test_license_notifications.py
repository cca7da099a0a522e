"""A license issued on completion reaches its holder by inbox and SMS, once; a license of an
organization reaches the people who act for it, and nobody else; so do its renewal, change,
cancellation and revocation by the issuing authority."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from yiwang.cases.tests.factories import staff
from yiwang.core.events import Event, deliver_pending
from yiwang.core.models import SmsMessage
from yiwang.identity import services as identity
from yiwang.identity.constants import Role
from yiwang.identity.tests.factories import company
from yiwang.licenses import issuance, lifecycle
from yiwang.licenses.signing import chinese_date
from yiwang.licenses.tests.factories import LicenseTypeFactory, make_seal, sign
from yiwang.licenses.tests.issuance_setup import (
    COMPANY_SOURCES,
    asking_item,
    completed_case,
    issuing_item,
    rule,
    trader_type,
)
from yiwang.notifications import selectors

pytestmark = pytest.mark.django_db
TITLE = "电子证照已签发：食品经营许可证（个体）"


def test_the_holder_hears_of_the_issued_license_once(world, applicant, other_applicant, office):
    item = issuing_item(world)
    make_seal(world.county_agency)
    rule(item, trader_type())
    case = completed_case(applicant.account, item, office)
    deliver_pending()
    deliver_pending()  # license.issued is recorded while case.completed is delivered
    message = selectors.inbox(applicant.account).get(title=TITLE)
    assert case.number in message.body and message.link == "/my/licenses/" and message.sms_sent
    assert SmsMessage.objects.filter(text__contains="已签发").count() == 1
    assert not selectors.inbox(other_applicant.account).exists()
    Event.objects.update(delivered_at=None)
    deliver_pending()
    deliver_pending()
    assert selectors.inbox(applicant.account).filter(title=TITLE).count() == 1
    assert SmsMessage.objects.filter(text__contains="已签发").count() == 1


def test_an_organizations_license_reaches_its_representative(world, applicant, office):
    item = issuing_item(world)
    make_seal(world.county_agency)
    uscc = company(applicant, 70000021)
    identity.claim_organization(identity.Actor(applicant.account), applicant.account, uscc)
    rule(item, LicenseTypeFactory(), field_sources=dict(COMPANY_SOURCES))
    completed_case(applicant.account, item, office, organization_uscc=uscc)
    deliver_pending()
    deliver_pending()
    assert (
        selectors.inbox(applicant.account).filter(title="电子证照已签发：食品经营许可证").exists()
    )


def test_an_expiry_reminder_links_the_renewal_guide(world, applicant):
    license_type = trader_type()
    renewal = asking_item(world, basic_code="XK00012003")
    rule(issuing_item(world), license_type, renewal_item=renewal.catalog_item)
    data = {"operator": "张丽华", "premises": "长沙市芙蓉区五一大道1号", "kind": "个体"}
    data.update(authority="芙蓉区市场监督管理局", case_number="1")
    sign(
        license_type,
        make_seal(world.county_agency),
        holder_id=applicant.id_number,
        holder_name=applicant.name,
        data=data,
        issued_on=date(2021, 6, 1),
        valid_until=date(2026, 7, 1),
    )
    assert issuance.remind_expiring(today=date(2026, 6, 20)) == 1
    deliver_pending()
    message = selectors.inbox(applicant.account).get()
    assert message.title == "证照即将到期：食品经营许可证（个体）"
    assert "2026年7月1日到期" in message.body and "“食品小经营许可”" in message.body
    assert message.link == f"/guide/{renewal.implementation_code}/" and message.sms_sent
    assert SmsMessage.objects.filter(text__contains="2026年7月1日到期").count() == 1


@pytest.fixture
def held(world, applicant):
    """A person's license issued by the county agency, valid a while yet."""
    data = {"operator": "张丽华", "premises": "长沙市芙蓉区五一大道1号", "kind": "个体"}
    data.update(authority="芙蓉区市场监督管理局", case_number="1")
    today = timezone.localdate()
    return sign(
        trader_type(),
        make_seal(world.county_agency),
        holder_id=applicant.id_number,
        holder_name=applicant.name,
        data=data,
        issued_on=today - timedelta(days=300),
        valid_until=today + timedelta(days=60),
    )


@pytest.fixture
def approver(world):
    return staff("approver", Role.APPROVER, world.county, world.county_agency)


def test_a_revocation_reaches_the_holder_with_its_reason(
    held, approver, applicant, other_applicant
):
    lifecycle.revoke_license(actor=approver, license=held, reason="以欺骗手段取得许可")
    deliver_pending()
    message = selectors.inbox(applicant.account).get()
    assert message.title == "电子证照已撤销：食品经营许可证（个体）"
    assert "原因：以欺骗手段取得许可" in message.body and "行政复议" in message.body
    assert message.link == "/my/licenses/" and message.sms_sent
    assert not selectors.inbox(other_applicant.account).exists()


def test_a_renewal_and_a_change_tell_the_holder_of_the_new_license(held, approver, applicant):
    renewed = lifecycle.renew_license(actor=approver, license=held)
    deliver_pending()
    message = selectors.inbox(applicant.account).get(title__startswith="电子证照已延续")
    assert f"有效期至{chinese_date(renewed.valid_until)}" in message.body
    premises = {"premises": "长沙市芙蓉区五一大道2号"}
    lifecycle.change_license(
        actor=approver, license=renewed, reason="经营场所门牌调整", changes=premises
    )
    deliver_pending()
    changed = selectors.inbox(applicant.account).get(title__startswith="电子证照已变更")
    assert "（经营场所门牌调整）" in changed.body and "原证照同时失效" in changed.body
    assert selectors.inbox(applicant.account).count() == 2  # the replaced versions say nothing
