from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from yiwang.cases import selectors, services
from yiwang.cases.constants import AcceptanceMode, CaseStatus, TaskStatus
from yiwang.cases.tests.factories import PDF, open_task, staff, submitted_case
from yiwang.core import files
from yiwang.core.errors import DomainError
from yiwang.core.events import Event
from yiwang.identity.constants import Role

pytestmark = pytest.mark.django_db


def test_the_promised_path_accept_review_decide_complete(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.accepted_at
    services.review(office.reviewer, open_task(case, "review"), "pass", opinion="材料齐全")
    services.decide(office.approver, open_task(case, "decide"), "approve", basis="符合条件")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.decision_basis == "符合条件"
    services.complete(office.approver, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
    assert Event.objects.filter(topic="case.completed").count() == 1
    trail = [
        (e.action, e.from_status, e.to_status) for e in selectors.timeline(case) if e.to_status
    ]
    assert trail == [
        ("submitted", "draft", "submitted"),
        ("accepted", "submitted", "accepted"),
        ("approved", "accepted", "approved"),
        ("completed", "approved", "completed"),
    ]


def test_a_rejection_needs_its_reason(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    with pytest.raises(DomainError) as refused:
        services.decide_acceptance(office.clerk, open_task(case, "accept"), "reject")
    assert refused.value.errors[0].field == "reason"
    services.decide_acceptance(
        office.clerk, open_task(case, "accept"), "reject", reason="不属于本机关职权范围"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert not case.tasks.filter(status__in=["open", "claimed"]).exists()


def test_illegal_transitions_are_refused_with_the_reason(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    accept = open_task(case, "accept")
    assert not case.tasks.filter(spec="decide").exists()  # no decision before acceptance
    with pytest.raises(DomainError, match="权限"):
        services.decide(office.approver, accept, "approve", basis="x")
    with pytest.raises(DomainError, match="这不是决定环节"):
        services.decide(office.clerk, accept, "approve", basis="x")
    services.withdraw(applicant.account, case, "不办了")
    with pytest.raises(DomainError, match="已不在办理中"):
        services.decide_acceptance(office.clerk, accept, "accept")  # accept a withdrawn case
    with pytest.raises(DomainError, match="已撤回"):
        services.complete(office.approver, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN


def test_review_returns_to_acceptance_and_decision_returns_to_review(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    with pytest.raises(DomainError, match="理由"):
        services.review(office.reviewer, open_task(case, "review"), "return")
    services.review(office.reviewer, open_task(case, "review"), "return", opinion="受理有误")
    assert open_task(case, "accept")
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    services.review(office.reviewer, open_task(case, "review"), "pass")
    services.decide(office.approver, open_task(case, "decide"), "return", basis="请补充核查")
    assert open_task(case, "review")


def test_only_the_lanes_role_in_scope_may_act(applicant, food_item, office, world):
    case = submitted_case(applicant, food_item)
    accept = open_task(case, "accept")
    elsewhere = staff("clerk-tianyuan", Role.WINDOW_CLERK, world.other_county)
    with pytest.raises(DomainError, match="权限"):
        services.decide_acceptance(elsewhere, accept, "accept")
    with pytest.raises(DomainError, match="权限"):
        services.decide_acceptance(office.reviewer, accept, "accept")  # wrong role
    assert list(selectors.tasks_for(office.clerk)) == [accept]
    assert not selectors.tasks_for(elsewhere).exists()
    assert not selectors.tasks_for(office.approver).exists()


def test_a_claimed_task_belongs_to_its_holder(applicant, food_item, office, world):
    case = submitted_case(applicant, food_item)
    colleague = staff("clerk-2", Role.WINDOW_CLERK, world.county, world.county_agency)
    services.claim(office.clerk, open_task(case, "accept"))
    with pytest.raises(DomainError, match="认领"):
        services.decide_acceptance(colleague, open_task(case, "accept"), "accept")
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    task = case.tasks.get(spec="accept")
    assert task.status == TaskStatus.DONE and task.completed_by == office.clerk


def test_a_second_completion_of_the_same_task_is_refused(applicant, food_item, office, world):
    case = submitted_case(applicant, food_item)
    accept = open_task(case, "accept")
    colleague = staff("clerk-2", Role.WINDOW_CLERK, world.county, world.county_agency)
    services.decide_acceptance(office.clerk, accept, "accept")
    with pytest.raises(DomainError, match="已由clerk办理完毕"):
        services.decide_acceptance(colleague, accept, "accept")


def test_pledge_acceptance_approves_at_once(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(
        office.clerk, open_task(case, "accept"), "accept", mode=AcceptanceMode.PLEDGE
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED and case.acceptance_mode == "pledge"
    assert not case.tasks.filter(status__in=["open", "claimed"]).exists()


def test_notices_are_issued_and_kept_as_given(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.request_correction(
        office.clerk, open_task(case, "accept"), [{"material": "", "reason": "联系电话有误"}]
    )
    services.update_form(applicant.account, case, {"contact_address": "芙蓉区五一大道 1 号"})
    services.resubmit(applicant.account, case)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    kinds = list(case.documents.values_list("kind", flat=True))
    assert kinds == ["补正材料告知书", "受理通知书"]
    correction = case.documents.get(kind="补正材料告知书")
    text = "".join(
        page.extract_text() for page in PdfReader(BytesIO(files.read(correction.file))).pages
    )
    assert case.number in text and "联系电话有误" in text
    assert selectors.document_for_applicant(applicant.account, str(case.uid), correction.pk)


def test_tolerant_acceptance_holds_the_approval_until_the_material_follows(
    applicant, food_item, office
):
    case = submitted_case(applicant, food_item)
    accept = open_task(case, "accept")
    with pytest.raises(DomainError, match="补齐期限"):
        services.decide_acceptance(
            office.clerk, accept, "accept", mode=AcceptanceMode.TOLERANT, deferred=["授权委托书"]
        )
    services.decide_acceptance(
        office.clerk,
        accept,
        "accept",
        mode=AcceptanceMode.TOLERANT,
        deferred=["授权委托书"],
        deferred_until=timezone.localdate() + timedelta(days=10),
    )
    services.review(office.reviewer, open_task(case, "review"), "pass")
    with pytest.raises(DomainError, match="容缺材料尚未补齐：授权委托书"):
        services.decide(office.approver, open_task(case, "decide"), "approve", basis="符合")
    services.add_material(
        applicant.account, case, name="授权委托书", data=PDF, filename="委托书.pdf"
    )
    services.decide(office.approver, open_task(case, "decide"), "approve", basis="符合")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED


def test_only_the_cases_staff_may_complete_it(applicant, food_item, office, world):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept", mode="pledge")
    outsider = staff("tianyuan-approver", Role.APPROVER, world.other_county)
    for actor in (outsider, applicant.account):
        with pytest.raises(DomainError, match="经办人员"):
            services.complete(actor, case)
    services.complete(office.clerk, case)  # the clerk worked on it
    case.refresh_from_db()
    assert case.status == CaseStatus.COMPLETED
