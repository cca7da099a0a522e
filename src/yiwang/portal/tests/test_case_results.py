"""After the decision, on the applicant's case page: the notices as issued, the fees paid
through the payment provider's page (simulated in development, behind DEBUG), and the
choice of how the result is delivered; none of it reachable by anyone else."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus, FeeStatus
from yiwang.cases.tests.factories import approved_case, open_task, submitted_case
from yiwang.core import files
from yiwang.core.models import SmsMessage
from yiwang.identity.testing import sign_in_as

pytestmark = pytest.mark.django_db


def _detail(client, case) -> str:
    response = client.get(reverse("portal:case_detail", args=[case.uid]))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, anchor: str) -> str:
    match = re.search(rf'<section class="case-section" id="{anchor}".*?</section>', page, re.S)
    assert match, f"#{anchor} not on the page"
    return match.group(0)


# --- notices --------------------------------------------------------------------------------


def test_the_notices_issued_download_for_the_applicant(client, applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    document = case.documents.get()
    sign_in_as(client, applicant.account)

    notices = _section(_detail(client, case), "documents")
    url = reverse("portal:case_document", args=[case.uid, document.pk])
    assert url in notices and "受理通知书" in notices

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == files.read(document.file)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    # 受理通知书-<number>.pdf, RFC 6266 / 8187
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E5%8F%97%E7%90%86%E9%80%9A%E7%9F%A5%E4%B9%A6-"
        f"{case.number}.pdf"
    )
    missing = reverse("portal:case_document", args=[case.uid, document.pk + 1000])
    assert client.get(missing).status_code == 404


def test_nobody_else_gets_the_notices(client, applicant, other_applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    url = reverse("portal:case_document", args=[case.uid, case.documents.get().pk])

    sign_in_as(client, other_applicant.account)
    assert client.get(url).status_code == 404
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))


# --- delivery --------------------------------------------------------------------------------


def test_delivery_by_mail_shows_the_tracking_number(client, applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    sign_in_as(client, applicant.account)
    choice = _section(_detail(client, case), "delivery")
    assert "窗口领取" in choice and "邮寄送达" in choice and "电子送达" in choice

    url = reverse("portal:case_delivery", args=[case.uid])
    address = "湖南省长沙市芙蓉区五一大道 1 号"
    response = client.post(url, {"delivery_method": "express", "address": address})

    assert response.status_code == 302 and response["Location"].endswith("#delivery")
    case.refresh_from_db()
    assert case.delivery_method == "express" and case.tracking_number
    delivery = _section(_detail(client, case), "delivery")
    assert "邮寄送达" in delivery and case.tracking_number in delivery and address in delivery
    assert 'name="delivery_method"' not in delivery  # chosen once


def test_a_short_address_is_refused_beside_the_field(client, applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    sign_in_as(client, applicant.account)
    url = reverse("portal:case_delivery", args=[case.uid])

    response = client.post(url, {"delivery_method": "express", "address": "长沙"})

    assert response.status_code == 400
    delivery = _section(response.content.decode(), "delivery")
    assert re.search(r'id="delivery-address-error">请填写完整的邮寄地址<', delivery)
    assert re.search(r'value="express" checked', delivery)  # the choice stays
    no_choice = client.post(url, {})
    assert "送达方式应为窗口领取、邮寄送达或电子送达" in _section(
        no_choice.content.decode(), "delivery"
    )
    case.refresh_from_db()
    assert not case.delivery_method


def test_window_pickup_says_the_code_went_by_sms(client, applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    sign_in_as(client, applicant.account)

    client.post(reverse("portal:case_delivery", args=[case.uid]), {"delivery_method": "window"})

    delivery = _section(_detail(client, case), "delivery")
    assert "窗口领取" in delivery and "取件码已通过短信发送" in delivery
    assert "尚未送达" in delivery
    text = SmsMessage.objects.order_by("-id").first().text
    assert re.search(r"取件码\d{6}", text)
    assert not re.search(r"\d{6}", delivery.replace(case.number, ""))  # the code is not shown


def test_nobody_else_chooses_the_delivery(client, applicant, other_applicant, food_item, office):
    case = approved_case(applicant, food_item, office)
    sign_in_as(client, other_applicant.account)
    response = client.post(
        reverse("portal:case_delivery", args=[case.uid]), {"delivery_method": "electronic"}
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert not case.delivery_method and case.delivered_at is None


def test_no_delivery_choice_before_the_decision(client, applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    sign_in_as(client, applicant.account)
    assert 'id="delivery"' not in _detail(client, case)
    response = client.post(
        reverse("portal:case_delivery", args=[case.uid]), {"delivery_method": "electronic"}
    )
    assert response.status_code == 409 and "尚未作出准予决定" in response.content.decode()


# --- fees --------------------------------------------------------------------------------------


def test_the_fee_is_paid_through_the_payment_page(client, applicant, paid_item, office):
    case = approved_case(applicant, paid_item, office)
    order = case.fee_orders.get()
    sign_in_as(client, applicant.account)
    pay_url = reverse("portal:dev_pay", args=[order.order_no])

    fees = _section(_detail(client, case), "fees")
    assert "10.00 元" in fees and "待缴费" in fees and order.order_no in fees
    assert f'href="{pay_url}"' in fees and "去缴费" in fees

    with override_settings(DEBUG=True):
        page = client.get(pay_url).content.decode()
        assert "模拟支付成功" in page and "10.00 元" in page and order.order_no in page
        response = client.post(pay_url)
        again = client.post(pay_url)  # a second press changes nothing

    detail = reverse("portal:case_detail", args=[case.uid])
    assert response.status_code == again.status_code == 302
    assert response["Location"] == f"{detail}#fees"
    order.refresh_from_db()
    assert order.status == FeeStatus.PAID and order.provider_txn.startswith("SIM")
    assert case.events.filter(action="fee_paid").count() == 1
    fees = _section(_detail(client, case), "fees")
    assert "已缴费" in fees and "去缴费" not in fees
    assert services.reconcile(order.paid_at.date()).clean  # the provider's ledger agrees
    services.complete(office.approver, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED


def test_the_payment_page_does_not_exist_without_debug(client, applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    pay_url = reverse("portal:dev_pay", args=[order.order_no])

    assert client.get(pay_url).status_code == 404  # not even a login redirect
    sign_in_as(client, applicant.account)
    assert client.get(pay_url).status_code == 404
    assert client.post(pay_url).status_code == 404
    order.refresh_from_db()
    assert order.status == FeeStatus.PENDING


def test_nobody_pays_someone_elses_order(client, applicant, other_applicant, paid_item, office):
    order = approved_case(applicant, paid_item, office).fee_orders.get()
    sign_in_as(client, other_applicant.account)

    with override_settings(DEBUG=True):
        pay_url = reverse("portal:dev_pay", args=[order.order_no])
        assert client.get(pay_url).status_code == 404
        assert client.post(pay_url).status_code == 404
        unknown = client.get(reverse("portal:dev_pay", args=["19990101X000000001F01"]))
        assert unknown.status_code == 404

    order.refresh_from_db()
    assert order.status == FeeStatus.PENDING
