import re

import pytest
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus, FeeStatus
from yiwang.cases.plugins import payment_providers
from yiwang.cases.tests.factories import approved_case
from yiwang.core import sms
from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.core.models import SmsMessage

pytestmark = pytest.mark.django_db
PAY = payment_providers["simulated-pay"]


def _latest_text(phone: str) -> str:
    return SmsMessage.objects.filter(phone_index=sms.phone_index(phone)).first().text


def test_a_case_with_unpaid_fees_cannot_complete(applicant, paid_item, office):
    case = approved_case(applicant, paid_item, office)
    order = case.fee_orders.get()
    assert order.amount_fen == 1000 and order.status == FeeStatus.PENDING
    with pytest.raises(DomainError, match=r"10\.00 元"):
        services.complete(office.approver, case)
    payload = PAY.settle(order, timezone.localdate())
    services.payment_callback("simulated-pay", payload, PAY.sign(payload))
    services.payment_callback("simulated-pay", payload, PAY.sign(payload))  # a retry: no change
    order.refresh_from_db()
    assert order.status == FeeStatus.PAID and case.events.filter(action="fee_paid").count() == 1
    services.complete(office.approver, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_forged_or_altered_callbacks_are_refused_and_audited(applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    payload = {"order_no": order.order_no, "amount_fen": 1000, "txn": "T1"}
    with pytest.raises(DomainError, match="签名无效"):
        services.payment_callback("simulated-pay", payload, "00" * 32)
    altered = {**payload, "amount_fen": 1}
    with pytest.raises(DomainError, match="签名无效"):
        services.payment_callback("simulated-pay", altered, PAY.sign(payload))
    with pytest.raises(DomainError, match="金额"):
        services.payment_callback("simulated-pay", altered, PAY.sign(altered))
    order.refresh_from_db()
    assert order.status == FeeStatus.PENDING
    assert AuditRecord.objects.filter(action="payment.callback_refused").count() == 2


def test_the_daily_reconciliation_names_every_difference(applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    today = timezone.localdate()
    payload = PAY.settle(order, today)
    assert services.reconcile(today).missing_here == [order.order_no]  # paid there, not here
    services.payment_callback("simulated-pay", payload, PAY.sign(payload))
    report = services.reconcile(today)
    assert report.clean and report.matched == 1


def test_window_pickup_against_the_code_sent_by_sms(applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    services.complete(office.approver, case)
    services.arrange_delivery(applicant.account, case, "window")
    code = re.search(r"取件码(\d{6})", _latest_text(applicant.phone)).group(1)
    with pytest.raises(DomainError, match="取件码不正确"):
        services.hand_over(office.clerk, case, f"{(int(code) + 1) % 10**6:06d}")
    services.hand_over(office.clerk, case, code)
    case.refresh_from_db()
    assert case.delivered_at is not None
    with pytest.raises(DomainError, match="没有待领取"):
        services.hand_over(office.clerk, case, code)


def test_express_delivery_gets_a_tracking_number(applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    with pytest.raises(DomainError, match="邮寄地址"):
        services.arrange_delivery(applicant.account, case, "express", address="长沙")
    case = services.arrange_delivery(
        applicant.account, case, "express", address="湖南省长沙市芙蓉区五一大道 1 号"
    )
    assert case.tracking_number.startswith("SIM") and case.delivery_method == "express"


def test_the_callback_endpoint_checks_the_signature(client, applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    payload = {"order_no": order.order_no, "amount_fen": 1000, "txn": "T9"}
    url = "/api/payments/simulated-pay/callback"
    forged = client.post(url, payload, content_type="application/json", HTTP_X_SIGNATURE="ab")
    assert forged.status_code == 403
    signed = client.post(
        url, payload, content_type="application/json", HTTP_X_SIGNATURE=PAY.sign(payload)
    )
    assert signed.status_code == 200 and signed.json()["status"] == "paid"
    unknown = client.post("/api/payments/nobody/callback", payload, content_type="application/json")
    assert unknown.status_code == 404


def test_delivery_waits_for_the_fees_and_is_chosen_once(applicant, paid_item, office):
    case = approved_case(applicant, paid_item, office)
    with pytest.raises(DomainError, match=r"10\.00 元"):
        services.arrange_delivery(applicant.account, case, "electronic")
    order = case.fee_orders.get()
    payload = PAY.settle(order, timezone.localdate())
    services.payment_callback("simulated-pay", payload, PAY.sign(payload))
    services.arrange_delivery(applicant.account, case, "window")
    with pytest.raises(DomainError, match="已选择送达方式"):
        services.arrange_delivery(applicant.account, case, "electronic")


def test_a_callback_with_a_malformed_amount_is_refused_not_crashed(applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    payload = {"order_no": order.order_no, "amount_fen": "ten", "txn": "T"}
    with pytest.raises(DomainError, match="金额"):
        services.payment_callback("simulated-pay", payload, PAY.sign(payload))
