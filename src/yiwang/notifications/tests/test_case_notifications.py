import pytest

from yiwang.cases import services as cases
from yiwang.cases.tests.factories import open_task, submitted_case
from yiwang.core.events import Event, deliver_pending
from yiwang.core.models import SmsMessage
from yiwang.notifications import selectors, services

pytestmark = pytest.mark.django_db


def test_every_step_reaches_the_applicant_once_by_inbox_and_sms(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    cases.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    deliver_pending()
    inbox = list(selectors.inbox(applicant.account))
    assert [message.title for message in inbox] == ["食品经营许可：审查中", "食品经营许可：待受理"]
    assert all(message.sms_sent and case.number in message.body for message in inbox)
    texts = SmsMessage.objects.filter(text__contains=case.number).count()
    assert texts == 2
    Event.objects.update(delivered_at=None)  # the worker delivers again after a crash
    deliver_pending()
    assert selectors.inbox(applicant.account).count() == 2
    assert SmsMessage.objects.filter(text__contains=case.number).count() == 2


def test_only_the_recipient_marks_a_message_read(applicant, other_applicant, food_item):
    submitted_case(applicant, food_item)
    deliver_pending()
    message = selectors.inbox(applicant.account).get()
    with pytest.raises(Exception, match="消息"):
        services.mark_read(other_applicant.account, message.pk)
    assert selectors.unread_count(applicant.account) == 1
    services.mark_read(applicant.account, message.pk)
    assert selectors.unread_count(applicant.account) == 0
