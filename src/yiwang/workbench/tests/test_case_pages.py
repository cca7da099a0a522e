"""Staff handle cases on the workbench: my tasks, the case page with its diagram and the forms
of the tasks they may work on, material downloads, and the supervisor's red and yellow lists.
The rules are cases.services'; these tests check that the pages reach them and show their
answers, in Chinese, without a half-written case."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case, CorrectionRequest
from yiwang.cases.tests.factories import PDF, open_task, submitted_case
from yiwang.cases.tests.factories import staff as case_staff
from yiwang.catalog.tests.factories import food_guide
from yiwang.identity.constants import Role
from yiwang.identity.testing import sign_in_as

pytestmark = pytest.mark.django_db

TASKS = reverse("workbench:tasks")
OVERDUE = reverse("workbench:overdue")
APPLICATION_FORM = "食品经营许可申请书"


@pytest.fixture
def case(applicant, food_item):
    return submitted_case(applicant, food_item)


def _case_url(case, name="workbench:case", *args) -> str:
    return reverse(name, args=[case.number, *args])


def _task_url(case, name: str, spec: str) -> str:
    return _case_url(case, name, open_task(case, spec).pk)


def _material(case):
    return case.materials.get(name=APPLICATION_FORM, current=True)


def _lane_label(html: str, lane: str) -> str:
    """The text of a lane's header in the drawing (set vertically, one character a row)."""
    group = re.search(rf'<g class="bpmn-lane" data-lane="{lane}">(.*?)</g>', html).group(1)
    return re.sub(r"<[^>]+>", "", group)


def _status(case) -> str:
    return Case.objects.get(pk=case.pk).status


def test_a_clerk_finds_the_new_case_in_my_tasks_and_sees_where_it_stands(
    client, office, case, applicant
):
    sign_in_as(client, office.clerk)

    listing = client.get(TASKS)
    page = client.get(_case_url(case))

    tasks_html = listing.content.decode()
    assert listing.status_code == 200
    assert _case_url(case) in tasks_html and "食品经营许可" in tasks_html
    assert "芙蓉区市场监督管理局" in tasks_html and "待办" in tasks_html
    html = page.content.decode()
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'class="bpmn-node bpmn-task active" data-element="accept"' in html
    assert 'class="bpmn-node bpmn-task pending" data-element="review"' in html
    assert _lane_label(html, "window_clerk") == "窗口受理人员"  # lanes carry role names
    assert _lane_label(html, "applicant") == "申请人"
    assert _task_url(case, "workbench:case_acceptance", "accept") in html
    assert _case_url(case, "workbench:case_material", _material(case).pk) in html
    assert applicant.account.id_number_masked in html
    assert applicant.id_number not in html  # never the full ID number
    assert "style=" not in html and "<style" not in html and "<script" not in html


def test_accepting_on_the_page_puts_the_case_in_review_for_the_reviewer(client, office, case):
    sign_in_as(client, office.clerk)

    response = client.post(
        _task_url(case, "workbench:case_acceptance", "accept"),
        {"outcome": "accept", "mode": "normal", "reason": ""},
        follow=True,
    )

    assert response.redirect_chain == [(_case_url(case), 302)]
    assert "已受理，办件状态：审查中。" in response.content.decode()
    assert _status(case) == CaseStatus.ACCEPTED
    sign_in_as(client, office.reviewer)
    listing = client.get(TASKS).content.decode()
    assert _case_url(case) in listing and "审查" in listing
    page = client.get(_case_url(case)).content.decode()
    assert 'class="bpmn-node bpmn-task active" data-element="review"' in page
    assert _task_url(case, "workbench:case_review", "review") in page


def test_staff_of_another_county_neither_see_the_case_nor_its_materials(client, world, case):
    outsider = case_staff(
        "tianyuan", Role.WINDOW_CLERK, world.other_county, world.other_county_agency
    )
    sign_in_as(client, outsider)

    assert client.get(_case_url(case)).status_code == 404
    material_url = _case_url(case, "workbench:case_material", _material(case).pk)
    assert client.get(material_url).status_code == 404
    claim = client.post(_task_url(case, "workbench:case_claim", "accept"))
    assert claim.status_code == 404
    assert case.number not in client.get(TASKS).content.decode()


def test_a_rejection_without_a_reason_is_refused_beside_the_field(client, office, case):
    sign_in_as(client, office.clerk)
    accept = open_task(case, "accept")

    response = client.post(
        _task_url(case, "workbench:case_acceptance", "accept"),
        {"outcome": "reject", "reason": "  "},
    )

    html = response.content.decode()
    assert response.status_code == 400
    error = f'<p class="field-error" id="reject-{accept.pk}-reason-error">'
    assert error + "不予受理须写明理由和依据" in html
    assert _status(case) == CaseStatus.SUBMITTED
    assert open_task(case, "accept") == accept
    assert not case.events.filter(action="rejected").exists()


def test_a_correction_request_lists_every_fault_at_once(client, office, case):
    sign_in_as(client, office.clerk)
    material = _material(case)

    response = client.post(
        _task_url(case, "workbench:case_correction", "accept"),
        {
            f"fault_{material.pk}": "1",
            f"reason_{material.pk}": "缺少经营场所面积",
            "other_reason": "联系电话无法接通",
            "due_on": "",
        },
    )

    assert response.status_code == 302
    request = CorrectionRequest.objects.get(case=case)
    assert request.faults == [
        {"material": APPLICATION_FORM, "reason": "缺少经营场所面积"},
        {"material": "", "reason": "联系电话无法接通"},
    ]
    assert _status(case) == CaseStatus.CORRECTING
    page = client.get(_case_url(case)).content.decode()
    assert "缺少经营场所面积" in page and "联系电话无法接通" in page and "计时暂停" in page


def test_a_second_correction_about_an_unchanged_material_names_the_one_time_rule(
    client, office, case, applicant
):
    services.request_correction(
        office.clerk, open_task(case, "accept"), [{"material": "", "reason": "电话错误"}]
    )
    services.resubmit(applicant.account, case)  # the phone is fixed, no material changed
    sign_in_as(client, office.clerk)
    material = _material(case)

    response = client.post(
        _task_url(case, "workbench:case_correction", "accept"),
        {f"fault_{material.pk}": "1", f"reason_{material.pk}": "新发现的问题"},
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert "一次性告知：申请人未改动的材料不能再次要求补正（食品经营许可申请书）" in html
    assert 'value="新发现的问题"' in html  # what was typed comes back
    assert CorrectionRequest.objects.filter(case=case).count() == 1
    assert _status(case) == CaseStatus.SUBMITTED


def test_the_approver_decides_and_completes_the_case(client, office, case):
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    services.review(office.reviewer, open_task(case, "review"), "pass", opinion="材料齐全")
    sign_in_as(client, office.approver)

    decided = client.post(
        _task_url(case, "workbench:case_decision", "decide"),
        {"outcome": "approve", "basis": "符合《食品安全法》第三十五条"},
        follow=True,
    )

    assert "决定已作出，办件状态：准予许可。" in decided.content.decode()
    assert _case_url(case, "workbench:case_complete") in decided.content.decode()
    completed = client.post(_case_url(case, "workbench:case_complete"), follow=True)
    html = completed.content.decode()
    assert "办件已办结。" in html and "已办结" in html
    assert _status(case) == CaseStatus.COMPLETED
    assert _case_url(case, "workbench:case_complete") not in html


def test_a_decision_without_basis_is_refused_and_changes_nothing(client, office, case):
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    services.review(office.reviewer, open_task(case, "review"), "pass")
    sign_in_as(client, office.approver)

    response = client.post(
        _task_url(case, "workbench:case_decision", "decide"), {"outcome": "approve", "basis": ""}
    )

    assert response.status_code == 400
    assert "决定须写明依据" in response.content.decode()
    assert _status(case) == CaseStatus.ACCEPTED


def test_the_clerk_downloads_a_material_as_an_attachment(client, office, case):
    sign_in_as(client, office.clerk)

    response = client.get(_case_url(case, "workbench:case_material", _material(case).pk))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert "filename*=UTF-8''%E7%94%B3%E8%AF%B7%E4%B9%A6.pdf" in disposition  # 申请书.pdf
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_claimed_task_shows_who_holds_it(client, office, case, world):
    second_clerk = case_staff("clerk2", Role.WINDOW_CLERK, world.county, world.county_agency)
    sign_in_as(client, office.clerk)
    claimed = client.post(_task_url(case, "workbench:case_claim", "accept"), follow=True)
    assert "已认领“受理”。" in claimed.content.decode()

    sign_in_as(client, second_clerk)
    page = client.get(_case_url(case)).content.decode()
    listing = client.get(TASKS).content.decode()

    assert "该任务已由 clerk 认领" in page
    assert _task_url(case, "workbench:case_acceptance", "accept") not in page
    assert "已认领（clerk）" in listing


def test_a_special_procedure_stops_and_restarts_the_clock(client, office, case):
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    sign_in_as(client, office.reviewer)
    start = _case_url(case, "workbench:case_special_start")

    refused = client.post(start, {"kind": "hearing", "reason": ""})
    started = client.post(start, {"kind": "hearing", "reason": "申请人申请听证"}, follow=True)

    assert refused.status_code == 400 and "请写明启动特别程序的原因" in refused.content.decode()
    assert "已启动特别程序（听证）" in started.content.decode()
    assert Case.objects.get(pk=case.pk).paused
    ended = client.post(_case_url(case, "workbench:case_special_end"), follow=True)
    assert "特别程序已结束，恢复计时" in ended.content.decode()
    assert not Case.objects.get(pk=case.pk).paused


def test_a_joint_case_is_accepted_with_a_partner_department(client, office, applicant, world):
    guide = food_guide(handling_kind="joint")
    del guide["materials"][1]
    joint = submitted_case(applicant, world.implement(world.county_agency, guide).service_item)
    sign_in_as(client, office.clerk)
    page = client.get(_case_url(joint)).content.decode()
    assert "长沙市市场监督管理局" in page and "湖南省市场监督管理局" in page
    assert "天元区市场监督管理局" not in page  # another county's agency is no partner
    url = _task_url(joint, "workbench:case_acceptance", "accept")

    without = client.post(url, {"outcome": "accept", "mode": "normal"})
    stranger = client.post(
        url,
        {"outcome": "accept", "mode": "normal", "partner_agencies": world.other_county_agency.pk},
    )
    accepted = client.post(
        url, {"outcome": "accept", "mode": "normal", "partner_agencies": world.city_agency.pk}
    )

    assert without.status_code == 400
    assert "联办件须指定至少一个牵头部门以外的协办部门" in without.content.decode()
    assert stranger.status_code == 400
    assert "协办部门须为本级或上级的其他部门" in stranger.content.decode()
    assert accepted.status_code == 302
    assert open_task(joint, "partner_review").agency == world.city_agency


def test_tolerant_acceptance_names_the_materials_to_follow_and_their_date(client, office, case):
    sign_in_as(client, office.clerk)
    url = _task_url(case, "workbench:case_acceptance", "accept")
    tolerant = {"outcome": "accept", "mode": "tolerant", "deferred": ["授权委托书"]}

    undated = client.post(url, tolerant)
    later = (timezone.localdate() + timedelta(days=10)).isoformat()
    accepted = client.post(url, tolerant | {"deferred_until": later}, follow=True)

    assert undated.status_code == 400
    assert "请约定晚于今天的补齐期限" in undated.content.decode()
    assert 'value="授权委托书" checked' in undated.content.decode()  # the choice is kept
    html = accepted.content.decode()
    assert "已受理，办件状态：审查中。" in html
    assert "容缺后补材料" in html and "尚未补齐" in html
    assert Case.objects.get(pk=case.pk).deferred_materials == ["授权委托书"]


def test_a_person_is_sent_to_their_own_account_page(client, applicant, case):
    sign_in_as(client, applicant.account)

    for url in (TASKS, _case_url(case), OVERDUE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:my_account")


def test_staff_without_a_lane_or_oversight_role_get_the_403_page(client, world, office):
    supervisor = case_staff("jiandu", Role.SUPERVISOR, world.city)
    sign_in_as(client, supervisor)
    refused = client.get(TASKS)
    assert refused.status_code == 403 and "窗口受理人员" in refused.content.decode()

    sign_in_as(client, office.clerk)
    assert client.get(OVERDUE).status_code == 403


def test_the_overdue_page_lists_red_and_yellow_cases_per_agency(
    client, world, case, food_item, other_applicant
):
    today = timezone.localdate()
    nearly = submitted_case(other_applicant, food_item)
    Case.objects.filter(pk=case.pk).update(
        due_on=today - timedelta(days=3), warn_on=today - timedelta(days=5)
    )
    Case.objects.filter(pk=nearly.pk).update(
        due_on=today + timedelta(days=1), warn_on=today - timedelta(days=1)
    )
    sign_in_as(client, case_staff("jiandu", Role.SUPERVISOR, world.city))

    response = client.get(OVERDUE)

    html = response.content.decode()
    assert response.status_code == 200
    assert "芙蓉区市场监督管理局" in html
    assert case.number in html and "3 天" in html
    assert nearly.number in html
    groups = response.context["groups"]
    assert [(g["agency"], g["red_count"], g["yellow_count"]) for g in groups] == [
        (world.county_agency, 1, 1)
    ]
    assert [c for c, _ in groups[0]["red"]] == [case]
    assert [c for c, _ in groups[0]["yellow"]] == [nearly]


def test_the_home_page_links_to_the_pages_of_ones_roles(client, world, office):
    sign_in_as(client, office.clerk)
    clerk_home = client.get(reverse("workbench:home")).content.decode()
    sign_in_as(client, office.approver)
    approver_home = client.get(reverse("workbench:home")).content.decode()

    assert TASKS in clerk_home and OVERDUE not in clerk_home
    assert TASKS in approver_home and OVERDUE in approver_home


def test_id_numbers_typed_into_the_form_are_shown_masked(client, office, case, other_applicant):
    form = case.form | {"法定代表人证件号码": other_applicant.id_number, "面积": "120"}
    Case.objects.filter(pk=case.pk).update(form=form)
    sign_in_as(client, office.clerk)

    html = client.get(_case_url(case)).content.decode()

    assert other_applicant.id_number not in html
    assert other_applicant.id_number[:4] + "*" * 10 + other_applicant.id_number[-4:] in html
    assert "法定代表人证件号码" in html and "120" in html
