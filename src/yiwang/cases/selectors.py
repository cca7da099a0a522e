"""Reads of case handling: the applicant's own cases, staff's task lists and case views
within their scope, the timeline, and the red and yellow lists supervision reads.

Every read that takes an identifier answers only within the asker's reach: another person's
case number or id is simply not found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.cases import workflow
from yiwang.cases.constants import OPEN_STATUSES, OPEN_TASK_STATUSES, CaseStatus
from yiwang.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseTask,
    CorrectionRequest,
)
from yiwang.cases.permissions import AGENCY_OWN_LANES, LANE_ROLES, may_work_on
from yiwang.core.errors import NotFound
from yiwang.identity import selectors as identity
from yiwang.identity.models import Account
from yiwang.regions.models import Organization


def _applicant_scope(account: Account) -> Q:
    organizations = identity.memberships(account).values("organization")
    return Q(applicant=account) | Q(submitted_by=account) | Q(organization__in=organizations)


def cases_of(account: Account) -> QuerySet[Case]:
    """我的办件: as applicant, as the one who submitted (agent), or for one's organizations."""
    return (
        Case.objects.filter(_applicant_scope(account))
        .select_related("service_item__catalog_item", "agency")
        .order_by("-created_at")
    )


def case_for_applicant(account: Account, number_or_uid: str) -> Case:
    lookup = Q(number=number_or_uid) if not _is_uid(number_or_uid) else Q(uid=number_or_uid)
    case = cases_of(account).filter(lookup).first()
    if case is None:
        raise NotFound("办件")
    return case


def _is_uid(value: str) -> bool:
    return len(value) == 36 and value.count("-") == 4


def _task_scope(account: Account) -> Q:
    """Open tasks of the lanes the account's roles serve, in its regions and agencies."""
    scope = Q(pk__in=[])
    for assignment in identity.roles_of(account):
        lanes = [
            lane
            for lane, role in LANE_ROLES.items()
            if role == assignment.role and (assignment.agency_id or lane not in AGENCY_OWN_LANES)
        ]
        if not lanes:
            continue
        where = Q(lane__in=lanes, case__region_code__startswith=assignment.region.prefix)
        if assignment.agency_id:
            where &= Q(agency_id=assignment.agency_id)
        scope |= where
    return scope


def tasks_for(account: Account) -> QuerySet[CaseTask]:
    return (
        CaseTask.objects.filter(_task_scope(account), status__in=OPEN_TASK_STATUSES)
        .select_related("case", "case__service_item__catalog_item", "agency", "claimed_by")
        .order_by("case__due_on", "created_at")
    )


def case_for_staff(account: Account, number: str) -> Case:
    """A case staff may see: one with a task (open or done) in their scope."""
    task = CaseTask.objects.filter(_task_scope(account), case__number=number).first()
    if task is None:
        raise NotFound("办件")
    return task.case


def open_task(account: Account, task_id: int) -> CaseTask:
    task = CaseTask.objects.select_related("case").filter(pk=task_id).first()
    if task is None or not may_work_on(account, task):
        raise NotFound("任务")
    return task


def timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.order_by("occurred_at", "id")


def _open_cases(agency: Organization) -> QuerySet[Case]:
    return Case.objects.filter(agency=agency, status__in=OPEN_STATUSES, paused=False)


def red_cases(agency: Organization, today: date | None = None) -> QuerySet[Case]:
    """Overdue open cases of the agency: a range scan of the partial (agency, due_on) index."""
    return _open_cases(agency).filter(due_on__lt=today or timezone.localdate()).order_by("due_on")


def yellow_cases(agency: Organization, today: date | None = None) -> QuerySet[Case]:
    today = today or timezone.localdate()
    return _open_cases(agency).filter(due_on__gte=today, warn_on__lte=today).order_by("due_on")


def material_for_applicant(account: Account, uid: str, material_id: int) -> CaseMaterial:
    """A material of one's own case (any round), for download; others' are not found."""
    case = case_for_applicant(account, uid)
    return _material(case, material_id)


def material_for_staff(account: Account, number: str, material_id: int) -> CaseMaterial:
    case = case_for_staff(account, number)
    return _material(case, material_id)


def _material(case: Case, material_id: int) -> CaseMaterial:
    material = case.materials.filter(pk=material_id, file__isnull=False).first()
    if material is None:
        raise NotFound("材料")
    return material


def current_materials(case: Case) -> QuerySet[CaseMaterial]:
    return case.materials.filter(current=True).select_related("file").order_by("name")


def diagram_state(case: Case) -> tuple[set[str], set[str]]:
    """(current, completed) BPMN element ids of the case's process, for drawing it."""
    if not case.workflow_state:
        return set(), set()
    return workflow.progress(workflow.loads(case.workflow_state))


def open_correction(case: Case) -> CorrectionRequest | None:
    return case.corrections.filter(answered_at__isnull=True).order_by("-requested_at").first()


@dataclass(frozen=True)
class PublicProgress:
    """What anyone holding the case number and a proof may see: no names, no reasons."""

    number: str
    item_name: str
    agency: str
    status: str
    submitted_on: date | None
    due_on: date | None
    due_provisional: bool
    steps: list[tuple[datetime, str]]


PROGRESS_REFUSAL = "办件编号与证件号码后六位（或验证码）不匹配"


def case_by_number(number: str) -> Case | None:
    return (
        Case.objects.select_related("applicant", "organization", "agency", "version")
        .filter(number=(number or "").strip())
        .first()
    )


def _proves(case: Case, id_tail: str) -> bool:
    tail = (id_tail or "").strip().upper()
    if case.organization and len(tail) == 6 and case.organization.uscc.endswith(tail):
        return True
    return identity.id_number_matches_tail(case.applicant, tail)


def public_progress(number: str, *, id_tail: str) -> PublicProgress:
    """进度可查 without login: the case number plus the last six characters of the applicant's
    ID number (or the organization's USCC). A wrong number and a wrong tail answer alike."""
    case = case_by_number(number)
    if case is None or not _proves(case, id_tail):
        raise NotFound(PROGRESS_REFUSAL)
    return progress_of(case)


def progress_of(case: Case) -> PublicProgress:
    steps = [
        (event.occurred_at, CaseStatus(event.to_status).label)
        for event in timeline(case).exclude(to_status="")
    ]
    return PublicProgress(
        number=case.number,
        item_name=case.version.elements.get("name", ""),
        agency=case.agency.name,
        status=case.get_status_display(),
        submitted_on=timezone.localdate(case.submitted_at) if case.submitted_at else None,
        due_on=case.due_on,
        due_provisional=case.due_provisional,
        steps=steps,
    )


def progress_phone(number: str) -> str:
    """The applicant's phone for a progress code, or "" (the caller answers alike either way)."""
    case = case_by_number(number)
    return identity.contact_phone(case.applicant) if case else ""


def document_for_applicant(account: Account, uid: str, document_id: int) -> CaseDocument:
    return _document(case_for_applicant(account, uid), document_id)


def document_for_staff(account: Account, number: str, document_id: int) -> CaseDocument:
    return _document(case_for_staff(account, number), document_id)


def _document(case: Case, document_id: int) -> CaseDocument:
    document = case.documents.select_related("file", "case").filter(pk=document_id).first()
    if document is None:
        raise NotFound("文书")
    return document


def current_tasks(case: Case) -> QuerySet[CaseTask]:
    """The steps the case waits on now (its open user tasks), for saying where it stands."""
    return case.tasks.filter(status__in=OPEN_TASK_STATUSES).order_by("created_at", "id")


def agencies_with_warnings(
    region_prefix: str, agency_id: int | None = None, today: date | None = None
) -> QuerySet[Organization]:
    """Agencies with a red or yellow open case in a region (cases whose region code starts with
    `region_prefix`), or only `agency_id`: supervision's overview in one query, instead of
    asking red_cases/yellow_cases of every agency of a province."""
    today = today or timezone.localdate()
    cases = Case.objects.filter(
        status__in=OPEN_STATUSES, paused=False, region_code__startswith=region_prefix
    ).filter(Q(due_on__lt=today) | Q(warn_on__lte=today))
    if agency_id is not None:
        cases = cases.filter(agency_id=agency_id)
    return Organization.objects.filter(pk__in=cases.values("agency")).order_by(
        "region__code", "name"
    )
