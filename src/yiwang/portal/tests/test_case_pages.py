"""An applicant's online application through the pages: apply from the guide, upload, submit
once however often the button is pressed, follow the case, answer a correction, withdraw;
and nobody else reaching any of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.constants import AcceptanceMode, CaseStatus
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import PDF, open_task, submitted_case
from yiwang.catalog.tests.factories import food_guide
from yiwang.identity import services as identity
from yiwang.identity.testing import sign_in_as
from yiwang.identity.tests.factories import company, in_registry, registered
from yiwang.portal import cases as case_pages

pytestmark = pytest.mark.django_db
APPLICATION_FORM = "食品经营许可申请书"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def _signed_in(client, person):
    sign_in_as(client, person.account)
    return client


def _page(response) -> str:
    return response.content.decode()


def _material_row(page: str, number: int) -> str:
    """The <li> of one material on the edit page."""
    pattern = rf'<li class="material-row[^"]*" id="material-{number}">(.*?)</li>'
    match = re.search(pattern, page, re.S)
    assert match, f"material {number} not on the page"
    return match.group(1)


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page).group(1)


def _draft(client, food_item) -> Case:
    code = food_item.implementation_code
    response = client.post(reverse("portal:apply", args=[code]), {"organization": ""})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_edit", args=[case.uid])
    return case


def _upload(client, case, name=APPLICATION_FORM, data=PDF, filename="申请书.pdf"):
    return client.post(
        reverse("portal:case_upload", args=[case.uid]),
        {"material": name, "file": SimpleUploadedFile(filename, data)},
    )


def test_a_full_online_application_through_the_pages(client, applicant, food_item):
    _signed_in(client, applicant)
    code = food_item.implementation_code
    guide = _page(client.get(reverse("portal:guide", args=[code])))
    assert reverse("portal:apply", args=[code]) in guide and "在线申请" in guide
    assert "开始申请" in _page(client.get(reverse("portal:apply", args=[code])))

    case = _draft(client, food_item)
    edit = _page(client.get(reverse("portal:case_edit", args=[case.uid])))
    assert "张丽华" in edit and applicant.account.id_number_masked in edit  # prefilled, read-only
    assert 'name="applicant_name"' not in edit
    assert "必需" in _material_row(edit, 1) and "可选" in _material_row(edit, 2)

    response = _upload(client, case)
    assert response.status_code == 302 and response["Location"].endswith("#material-1")
    edit = _page(client.get(reverse("portal:case_edit", args=[case.uid])))
    assert "申请书.pdf" in _material_row(edit, 1) and "第 1 轮" in _material_row(edit, 1)

    submission = {
        "idempotency_key": _key(edit),
        "description": "申请开办小餐馆",
        "contact_address": "长沙市芙蓉区五一大道1号",
    }
    first = client.post(reverse("portal:case_submit", args=[case.uid]), submission)
    again = client.post(reverse("portal:case_submit", args=[case.uid]), submission)

    detail = reverse("portal:case_detail", args=[case.uid])
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == detail
    case = Case.objects.get()  # one case, however often the button was pressed
    assert case.status == CaseStatus.SUBMITTED and case.number
    assert case.form["description"] == "申请开办小餐馆"
    assert case.form["applicant_name"] == "张丽华"
    listing = _page(client.get(reverse("portal:my_cases")))
    assert case.number in listing and "待受理" in listing and "食品经营许可" in listing
    assert "芙蓉区市场监督管理局" in listing


def test_submitting_without_the_required_material_says_which(client, applicant, food_item):
    case = _draft(_signed_in(client, applicant), food_item)
    response = client.post(
        reverse("portal:case_submit", args=[case.uid]), {"idempotency_key": "k-1"}
    )
    assert response.status_code == 400
    assert f"请提交以下必需材料：{APPLICATION_FORM}" in _page(response)
    assert Case.objects.get().status == CaseStatus.DRAFT


def test_a_renamed_executable_is_refused_beside_its_material(client, applicant, food_item):
    case = _draft(_signed_in(client, applicant), food_item)

    response = _upload(client, case, data=EXE, filename="申请书.pdf")

    assert response.status_code == 400
    row = _material_row(_page(response), 1)
    assert "文件类型不受支持，请上传 PDF、JPG、PNG 或 OFD 文件" in row
    assert 'aria-invalid="true"' in row
    assert "文件类型不受支持" not in _material_row(_page(response), 2)
    assert not case.materials.exists()


def test_an_upload_without_a_file_is_refused_in_chinese(client, applicant, food_item):
    case = _draft(_signed_in(client, applicant), food_item)
    response = client.post(
        reverse("portal:case_upload", args=[case.uid]), {"material": APPLICATION_FORM}
    )
    assert response.status_code == 400
    assert "请选择要上传的文件" in _material_row(_page(response), 1)


def test_another_person_reaches_none_of_it(client, applicant, other_applicant, food_item):
    case = submitted_case(applicant, food_item)
    material = case.materials.get()
    _signed_in(client, other_applicant)
    for url in (
        reverse("portal:case_detail", args=[case.uid]),
        reverse("portal:case_edit", args=[case.uid]),
        reverse("portal:case_material", args=[case.uid, material.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert _upload(client, case).status_code == 404
    withdraw = client.post(reverse("portal:case_withdraw", args=[case.uid]))
    assert withdraw.status_code == 404
    assert case.number not in _page(client.get(reverse("portal:my_cases")))
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.materials.count() == 1


def test_anonymous_visitors_are_sent_to_log_in_and_back(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    for url in (
        reverse("portal:my_cases"),
        reverse("portal:case_detail", args=[case.uid]),
        reverse("portal:case_edit", args=[case.uid]),
        reverse("portal:apply", args=[food_item.implementation_code]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_ones_own_material_downloads_as_an_attachment(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    material = case.materials.get()
    _signed_in(client, applicant)

    response = client.get(reverse("portal:case_material", args=[case.uid, material.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf" in disposition  # 申请书.pdf
    assert response["Cache-Control"] == "private, no-store"
    missing = reverse("portal:case_material", args=[case.uid, material.pk + 1000])
    assert client.get(missing).status_code == 404


def test_the_applicant_answers_a_correction(client, applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    faults = [
        {"material": APPLICATION_FORM, "reason": "缺少经营场所面积"},
        {"material": "", "reason": "联系电话无法接通"},
    ]
    services.request_correction(office.clerk, open_task(case, "accept"), faults)
    _signed_in(client, applicant)

    detail = _page(client.get(reverse("portal:case_detail", args=[case.uid])))
    assert "补正告知" in detail and "缺少经营场所面积" in detail and "待补正" in detail
    assert reverse("portal:case_edit", args=[case.uid]) in detail
    edit = _page(client.get(reverse("portal:case_edit", args=[case.uid])))
    assert "联系电话无法接通" in edit
    assert "需补正：缺少经营场所面积" in _material_row(edit, 1)
    assert "重新提交" in edit

    assert _upload(client, case, data=PDF + b"v2", filename="申请书-修改.pdf").status_code == 302
    response = client.post(reverse("portal:case_resubmit", args=[case.uid]), {})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not case.paused
    assert case.materials.get(current=True).round == 2
    detail = _page(client.get(reverse("portal:case_detail", args=[case.uid])))
    assert "待受理" in detail and "补正后重新提交" in detail
    trail = re.search(r'<ol class="trail" id="trail">(.*?)</ol>', detail, re.S).group(1)
    assert "要求补正" in trail and "芙蓉区市场监督管理局" in trail
    assert office.clerk.name not in trail  # staff are shown by their office, never by name


def test_the_case_page_draws_the_process_with_the_current_step(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    _signed_in(client, applicant)

    page = _page(client.get(reverse("portal:case_detail", args=[case.uid])))

    assert "<svg" in page and 'role="img"' in page
    assert re.search(r'class="bpmn-node bpmn-task active" data-element="accept"', page)
    assert "当前环节：受理（窗口受理）" in page
    assert "窗口受理" in page and "申请人" in page  # lanes named for the applicant
    assert case.number in page and "待受理" in page
    assert "提交" in page and "草稿 → 待受理" in page  # the trail


def test_withdrawing_works_once_then_says_why_not(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    _signed_in(client, applicant)
    url = reverse("portal:case_withdraw", args=[case.uid])

    first = client.post(url, {"reason": "不再经营"})
    assert first.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    detail = _page(client.get(reverse("portal:case_detail", args=[case.uid])))
    assert "已撤回" in detail and "不再经营" in detail and 'id="withdraw-form"' not in detail

    second = client.post(url, {"reason": "再撤一次"})
    assert second.status_code == 409
    assert "办件当前为“已撤回”，不能撤回" in _page(second)


def test_a_submitted_case_is_no_longer_edited(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    _signed_in(client, applicant)
    response = client.get(reverse("portal:case_edit", args=[case.uid]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:case_detail", args=[case.uid])
    refused = _upload(client, case)
    assert refused.status_code == 409
    assert "办件可以上传材料" in _page(refused)


def test_too_long_a_description_is_refused_beside_the_field(client, applicant, food_item):
    case = _draft(_signed_in(client, applicant), food_item)
    response = client.post(
        reverse("portal:case_edit", args=[case.uid]), {"description": "长" * 2001}
    )
    assert response.status_code == 400
    assert "申请说明：不能超过2000个字" in _page(response)  # the form's own rule, from the service
    assert 'id="case-description-error"' in _page(response)


def test_a_representative_may_apply_in_the_organizations_name(client, food_item):
    person = registered(in_registry("王建华", 71))
    uscc = company(person, 7)
    identity.claim_organization(identity.Actor(person.account), person.account, uscc)
    _signed_in(client, person)
    url = reverse("portal:apply", args=[food_item.implementation_code])

    page = _page(client.get(url))
    assert "以个人身份" in page and "以单位名义（长沙湘江餐饮有限公司）" in page
    response = client.post(url, {"organization": uscc})

    case = Case.objects.get()
    assert response.status_code == 302 and case.organization.uscc == uscc
    edit = _page(client.get(reverse("portal:case_edit", args=[case.uid])))
    assert "长沙湘江餐饮有限公司" in edit and "经办人姓名" in edit
    assert "以单位名义" in _page(client.get(reverse("portal:my_cases")))


def test_an_account_below_the_items_level_is_told_how_to_qualify(client, food_item):
    person = registered(in_registry("赵敏", 72), real_name=False)
    _signed_in(client, person)
    url = reverse("portal:apply", args=[food_item.implementation_code])

    assert "请先在“我的账号”中完成认证" in _page(client.get(url))
    response = client.post(url, {"organization": ""})

    assert response.status_code == 403
    assert "请先在“我的账号”中完成认证" in _page(response)
    assert not Case.objects.exists()


def test_my_cases_are_paginated(client, applicant, food_item, monkeypatch):
    monkeypatch.setattr(case_pages, "CASES_PER_PAGE", 1)
    for _ in range(2):
        services.start_application(applicant.account, food_item.implementation_code)
    _signed_in(client, applicant)

    first = _page(client.get(reverse("portal:my_cases")))
    second = _page(client.get(reverse("portal:my_cases"), {"page": 2}))

    assert "第 1 / 2 页" in first and "第 2 / 2 页" in second and "继续填写" in second
    assert client.get(reverse("portal:my_cases"), {"page": "x"}).status_code == 400


def test_a_material_owed_under_tolerant_acceptance_follows_on_the_case_page(
    client, applicant, food_item, office
):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(
        office.clerk,
        open_task(case, "accept"),
        "accept",
        mode=AcceptanceMode.TOLERANT,
        deferred=["授权委托书"],
        deferred_until=timezone.localdate() + timedelta(days=10),
    )
    _signed_in(client, applicant)
    detail = reverse("portal:case_detail", args=[case.uid])
    assert "容缺后补材料" in _page(client.get(detail))

    refused = _upload(client, case, name="授权委托书", data=EXE, filename="委托书.pdf")
    assert refused.status_code == 400 and "文件类型不受支持" in _page(refused)
    response = _upload(client, case, name="授权委托书", filename="委托书.pdf")

    assert response.status_code == 302 and response["Location"] == f"{detail}#deferred"
    assert not services.outstanding_deferred(case)
    assert "容缺后补材料" not in _page(client.get(detail))


# --- an item with its own application form -------------------------------------------------

SHOP_FORM = {
    "data_schema": {
        "type": "object",
        "required": ["premises", "staff_count", "composition"],
        "properties": {
            "operator_name": {"title": "经营者姓名", "type": "string"},
            "premises": {"title": "经营场所", "type": "string", "minLength": 6, "maxLength": 200},
            "staff_count": {"title": "从业人数", "type": "integer", "minimum": 1, "maximum": 999},
            "composition": {"title": "组成形式", "enum": ["个人经营", "家庭经营"]},
            "capital": {"title": "资金数额（万元）", "type": "number", "minimum": 0},
            "opening_on": {"title": "开业日期", "type": "string", "format": "date"},
            "notes": {"title": "备注", "type": "string", "maxLength": 500},
        },
    },
    "ui": {
        "order": ["operator_name", "premises", "composition", "staff_count"],
        "widgets": {"notes": "textarea"},
        "prefill": {"operator_name": "applicant.name"},
    },
}
GOOD_ANSWERS = {
    "premises": "长沙市芙蓉区五一大道1号",
    "composition": "家庭经营",
    "staff_count": "12",
}


@pytest.fixture
def shop_item(world):
    guide = food_guide(form=SHOP_FORM)
    del guide["materials"][1]  # 营业执照 comes from e-licenses, not an upload
    return world.implement(world.county_agency, guide).service_item


def _field(page: str, name: str) -> str:
    """The form-field <div> of one field of the application form."""
    match = re.search(
        rf'<div class="form-field[^"]*">\s*<label for="case-{name}">.*?</div>', page, re.S
    )
    assert match, f"field {name} not on the page"
    return match.group(0)


def test_the_items_own_form_is_shown_field_by_field(client, applicant, shop_item):
    case = _draft(_signed_in(client, applicant), shop_item)

    page = _page(client.get(reverse("portal:case_edit", args=[case.uid])))

    order = [page.index(f'id="case-{name}"') for name in SHOP_FORM["ui"]["order"]]
    assert order == sorted(order)  # the hinted order first, then the rest
    prefilled = re.search(r'<div class="form-field form-field-prefilled".*?</div>', page, re.S)
    assert "经营者姓名" in prefilled.group(0) and "张丽华" in prefilled.group(0)
    assert 'name="operator_name"' not in page  # the platform's, not the applicant's to edit
    assert "必填" in _field(page, "premises") and "选填" in _field(page, "capital")
    assert 'maxlength="200"' in _field(page, "premises")
    staff_count = _field(page, "staff_count")
    assert 'type="number"' in staff_count and 'min="1"' in staff_count
    assert 'max="999"' in staff_count and 'step="1"' in staff_count
    composition = _field(page, "composition")
    assert "<select" in composition and '<option value="家庭经营">家庭经营</option>' in composition
    assert 'type="date"' in _field(page, "opening_on")
    assert "<textarea" in _field(page, "notes")
    assert 'name="description"' not in page  # the default form is not added on top


def test_bad_answers_are_refused_beside_their_fields(client, applicant, shop_item):
    case = _draft(_signed_in(client, applicant), shop_item)
    answers = {**GOOD_ANSWERS, "staff_count": "十二", "composition": "合伙经营", "capital": "0"}

    response = client.post(reverse("portal:case_edit", args=[case.uid]), answers)

    assert response.status_code == 400
    page = _page(response)
    staff_count = _field(page, "staff_count")
    assert "从业人数：格式不正确" in staff_count and 'aria-invalid="true"' in staff_count
    assert 'value="十二"' in staff_count  # what was typed stays, to correct it
    assert 'type="text" inputmode="decimal"' in staff_count  # a number input would blank it
    assert "组成形式：不在可选范围内" in _field(page, "composition")
    assert "格式不正确" not in _field(page, "premises")
    assert 'value="长沙市芙蓉区五一大道1号"' in _field(page, "premises")
    case.refresh_from_db()
    assert "staff_count" not in case.form  # nothing saved

    too_few = client.post(
        reverse("portal:case_edit", args=[case.uid]), {**GOOD_ANSWERS, "staff_count": "0"}
    )
    assert too_few.status_code == 400
    assert "从业人数：不能小于1" in _field(_page(too_few), "staff_count")


def test_good_answers_are_saved_typed_and_the_case_submits(client, applicant, shop_item):
    case = _draft(_signed_in(client, applicant), shop_item)
    answers = {**GOOD_ANSWERS, "capital": "3.5", "notes": "  ", "operator_name": "冒名顶替"}

    response = client.post(reverse("portal:case_edit", args=[case.uid]), answers)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.form == {
        "operator_name": "张丽华",  # the platform's value, whatever was posted
        "premises": "长沙市芙蓉区五一大道1号",
        "composition": "家庭经营",
        "staff_count": 12,
        "capital": 3.5,
    }  # the empty optional notes left out
    page = _page(client.get(reverse("portal:case_edit", args=[case.uid])))
    assert 'value="12"' in _field(page, "staff_count")
    assert '<option value="家庭经营" selected>' in _field(page, "composition")

    assert _upload(client, case).status_code == 302
    submitted = client.post(
        reverse("portal:case_submit", args=[case.uid]), {**answers, "idempotency_key": _key(page)}
    )
    assert submitted.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.form["staff_count"] == 12


def test_a_required_answer_left_empty_is_asked_for_at_submission(client, applicant, shop_item):
    case = _draft(_signed_in(client, applicant), shop_item)
    assert _upload(client, case).status_code == 302
    answers = {**GOOD_ANSWERS, "staff_count": ""}

    response = client.post(
        reverse("portal:case_submit", args=[case.uid]), {**answers, "idempotency_key": "k-2"}
    )

    assert response.status_code == 400
    assert "从业人数：必须填写" in _field(_page(response), "staff_count")
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT
