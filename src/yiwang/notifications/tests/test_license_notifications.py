"""A license issued on completion reaches its holder by inbox and SMS, once; a license of an
organization reaches the people who act for it, and nobody else."""

from datetime import date

import pytest

from yiwang.core.events import Event, deliver_pending
from yiwang.core.models import SmsMessage
from yiwang.identity import services as identity
from yiwang.identity.tests.factories import company
from yiwang.licenses import issuance
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
