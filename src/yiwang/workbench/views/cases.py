"""The staff pages of case handling (办件): my tasks, one case as staff see it with the forms of
the tasks they may work on, its materials for download, and the red and yellow lists.

cases.services decides everything (who may act, which move is legal, the one-time rule of
corrections); these views gather the fields, call one service and show its answer. A refusal
draws the case page again with the reason beside the form that was sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from yiwang.cases import form_data, selectors, services, workflow
from yiwang.cases.constants import (
    AcceptanceMode,
    CaseStatus,
    Outcome,
    PauseKind,
    TaskStatus,
)
from yiwang.cases.diagram import render_svg
from yiwang.cases.models import Case, CaseMaterial, CaseTask
from yiwang.cases.permissions import APPLICANT_LANE, LANE_ROLES, may_work_on
from yiwang.core import files
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.identifiers import mask, validate_id_number
from yiwang.identity import selectors as identity
from yiwang.identity.constants import Role
from yiwang.regions.models import Organization
from yiwang.regions.selectors import ancestor_codes
from yiwang.workbench.access import staff_required
from yiwang.workbench.views.refusals import form_values, show_refusal

PER_PAGE = 50
CASE_TEMPLATE = "workbench/cases/case.html"
CASE_WORKERS = tuple(dict.fromkeys(LANE_ROLES.values()))  # the roles that serve a lane
OVERSIGHT = (Role.SUPERVISOR, Role.APPROVER)
LANE_LABELS = {lane: Role(role).label for lane, role in LANE_ROLES.items()} | {
    APPLICANT_LANE: "申请人"
}
FORM_LABELS = {
    "applicant_name": "申请人姓名",
    "applicant_id": "证件号码",
    "contact_phone": "联系电话",
    "organization_name": "单位名称",
    "organization_uscc": "统一社会信用代码",
}
# Trail entries that change no status; services.action_label names the status moves.
EVENT_LABELS = {
    "drafted": "创建申请",
    "material_added": "提交材料",
    "task_claimed": "认领任务",
    "reaccepted": "重新受理",
    "review_pass": "审查通过",
    "review_return": "审查退回",
    "decision_returned": "决定环节退回审查",
    "clock_paused": "启动特别程序（暂停计时）",
    "clock_resumed": "结束特别程序（恢复计时）",
    "material_reused": "复用历史材料",
    "delivery_arranged": "安排送达",
    "handed_over": "窗口领取结果",
}
SPECIAL_KINDS = [(kind.value, kind.label) for kind in PauseKind if kind != PauseKind.CORRECTION]
ID_NUMBER_LIKE = re.compile(r"\d{17}[\dXx]")
UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f\\/:*?"<>|;]+')


# --- reading the case -----------------------------------------------------------------------


def _case(request: HttpRequest, number: str) -> Case:
    try:
        return selectors.case_for_staff(request.user, number)
    except NotFound:
        raise Http404 from None


def _task(request: HttpRequest, case: Case, task_id: int) -> CaseTask:
    try:
        task = selectors.open_task(request.user, task_id)
    except NotFound:
        raise Http404 from None
    if task.case_id != case.pk:
        raise Http404
    return task


def _as_text(value) -> str:
    if isinstance(value, list | tuple):
        return "、".join(_as_text(part) for part in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def _masked(value) -> str:
    """A form value as text; anything in it that is a citizen ID number is shown masked."""
    text = _as_text(value)

    def hide(match: re.Match) -> str:
        try:
            validate_id_number(match.group())
        except DomainError:
            return match.group()
        return mask(match.group())

    return ID_NUMBER_LIKE.sub(hide, text)


def _form_rows(case: Case) -> list[tuple[str, str]]:
    """The form's answers under the titles of the item's own form (or the default labels)."""
    properties = form_data.form_of(case.guide).data_schema["properties"]

    def label(key: str) -> str:
        return FORM_LABELS.get(key) or properties.get(key, {}).get("title", key)

    return [(label(key), _masked(value)) for key, value in case.form.items()]


def _timeline(case: Case) -> list[dict]:
    return [
        {
            "event": event,
            "label": EVENT_LABELS.get(event.action) or services.action_label(event.action),
            "from": CaseStatus(event.from_status).label if event.from_status else "",
            "to": CaseStatus(event.to_status).label if event.to_status else "",
        }
        for event in selectors.timeline(case)
    ]


def _diagram(case: Case) -> str:
    active, done = selectors.diagram_state(case)
    svg = render_svg(
        workflow.process_xml(case.process),
        active=active,
        done=done,
        lane_labels=LANE_LABELS,
        title=f"办件 {case.number} 的办理流程",
    )
    return mark_safe(svg)  # drawn by cases.diagram from our own BPMN files, text escaped there


def _item_materials(case: Case) -> list[str]:
    """The materials of the item's guide, which 容缺受理 may let follow later."""
    return [material.name for material in case.guide.materials]


def _partner_choices(case: Case):
    """协办部门 a joint case may name: agencies of its region and the levels above it."""
    return (
        Organization.objects.filter(region__code__in=ancestor_codes(case.region_code))
        .exclude(pk=case.agency_id)
        .select_related("region")
        .order_by("region__code", "name")
    )


# The fields each form shows; a refusal naming another field is shown at the form's top.
FORM_FIELDS = {
    "accept": {"mode", "partner_agencies", "deferred", "deferred_until", "reason"},
    "reject": {"reason"},
    "correction": {"faults", "due_on"},
    "review": {"opinion"},
    "decision": {"basis"},
    "special": {"kind", "reason"},
}
TASK_FORMS = ("claim", "accept", "reject", "correction", "review", "decision")
PAGE_FORMS = ("special", "special_end", "complete")


@dataclass(frozen=True)
class Refusal:
    """A service's refusal of one form of the page: which form, for which task, and why."""

    action: str
    task_id: int | None
    error: DomainError
    values: dict


def _form_state(action: str, task_id: int | None, refusal: Refusal | None) -> dict:
    """What one form shows: the values typed, each field's reason, the other reasons on top."""
    if refusal is None or (refusal.action, refusal.task_id) != (action, task_id):
        return {"values": {}, "errors": {}, "general": []}
    shown = FORM_FIELDS.get(action, set())
    errors = refusal.error.errors
    return {
        "values": refusal.values,
        "errors": {e.field: e.message for e in errors if e.field in shown},
        "general": [e.message for e in errors if e.field not in shown],
        "failed": True,
    }


def _panels(request: HttpRequest, case: Case, refusal: Refusal | None) -> list[dict]:
    """The open tasks of this case the signed-in member may work on, with their forms."""
    panels = []
    for task in selectors.tasks_for(request.user).filter(case=case):
        if not may_work_on(request.user, task):
            continue
        forms = {action: _form_state(action, task.pk, refusal) for action in TASK_FORMS}
        panels.append(
            {
                "task": task,
                "claimable": task.status == TaskStatus.OPEN and task.claimed_by_id is None,
                "held_by_other": task.claimed_by_id not in (None, request.user.pk),
                "key": str(task.pk),
                "forms": forms,
            }
        )
    return panels


def _fault_rows(materials: list[CaseMaterial], refusal: Refusal | None) -> list[dict]:
    """The correction form's rows, one per current material, as typed when it was refused."""
    typed = refusal.values if refusal and refusal.action == "correction" else {}
    return [
        {
            "material": material,
            "ticked": typed.get(f"fault_{material.pk}") == "1",
            "reason": typed.get(f"reason_{material.pk}", ""),
        }
        for material in materials
    ]


def _case_context(request: HttpRequest, case: Case, refusal: Refusal | None = None) -> dict:
    panels = _panels(request, case, refusal)
    accepting = any(panel["task"].spec == "accept" for panel in panels)
    materials = list(selectors.current_materials(case))
    return {
        "case": case,
        "item_name": case.service_item.catalog_item.name,
        "form_rows": _form_rows(case),
        "materials": materials,
        "fault_rows": _fault_rows(materials, refusal),
        "diagram": _diagram(case),
        "timeline": _timeline(case),
        "correction": selectors.open_correction(case),
        "panels": panels,
        "page_forms": {action: _form_state(action, None, refusal) for action in PAGE_FORMS},
        "partner_choices": _partner_choices(case) if accepting and case.process == "joint" else [],
        "item_materials": _item_materials(case) if accepting else [],
        "outstanding_deferred": services.outstanding_deferred(case),
        "mode_choices": AcceptanceMode.choices,
        "special_kinds": SPECIAL_KINDS,
        "may_pause": bool(panels) and case.status == CaseStatus.ACCEPTED,
        "may_complete": case.status in (CaseStatus.APPROVED, CaseStatus.DENIED),
    }


# --- pages ----------------------------------------------------------------------------------


@staff_required(*CASE_WORKERS)
def tasks(request: HttpRequest) -> HttpResponse:
    """我的待办: the open tasks of the lanes the member's roles serve, nearest deadline first."""
    page = Paginator(selectors.tasks_for(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "workbench/cases/tasks.html", {"page": page})


@staff_required(*CASE_WORKERS)
def case(request: HttpRequest, number: str) -> HttpResponse:
    return render(request, CASE_TEMPLATE, _case_context(request, _case(request, number)))


def _download_name(material: CaseMaterial) -> str:
    """The applicant's file name without path or control characters, with the extension of
    what the bytes are (the content decides the type, not the name it was uploaded under)."""
    stem = material.original_name.rsplit(".", 1)[0] if "." in material.original_name else ""
    stem = UNSAFE_IN_FILENAME.sub("_", stem or material.original_name).strip(" ._")[:100]
    return f"{stem or material.name}.{material.file.extension}"


@staff_required(*CASE_WORKERS)
def case_material(request: HttpRequest, number: str, material_id: int) -> HttpResponse:
    try:
        material = selectors.material_for_staff(request.user, number, material_id)
    except NotFound:
        raise Http404 from None
    stored = material.file
    response = FileResponse(files.open_stream(stored), content_type=stored.content_type)
    fallback = f"material-{material.pk}.{stored.extension}"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{fallback}\"; filename*=UTF-8''"
        + quote(_download_name(material), safe="")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- acting on the case ---------------------------------------------------------------------


def _act(
    request: HttpRequest,
    case: Case,
    action: str,
    run: Callable[[], str],
    task: CaseTask | None = None,
) -> HttpResponse:
    """Run one service call; success goes back to the case with a message, a refusal shows
    the case page with the reason beside the form named `action`."""
    try:
        message = run()
    except DomainError as error:
        typed = form_values(request) | {
            "partners": request.POST.getlist("partner_agencies"),
            "deferred": request.POST.getlist("deferred"),
        }
        refusal = Refusal(action, task.pk if task else None, error, typed)
        case.refresh_from_db()
        return show_refusal(request, CASE_TEMPLATE, error, _case_context(request, case, refusal))
    messages.success(request, message)
    return redirect("workbench:case", number=case.number)


def _status_of(case: Case) -> str:
    return CaseStatus(case.status).label


@require_POST
@staff_required(*CASE_WORKERS)
def claim(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    case = _case(request, number)
    task = _task(request, case, task_id)

    def run() -> str:
        services.claim(request.user, task)
        return f"已认领“{task.name}”。"

    return _act(request, case, "claim", run, task)


def _partners(request: HttpRequest, case: Case) -> list[Organization]:
    chosen = set(request.POST.getlist("partner_agencies"))
    if not chosen:
        return []
    if not all(value.isdigit() for value in chosen):
        raise DomainError.of("partner_agencies", "协办部门选择无效，请重新选择")
    partners = list(_partner_choices(case).filter(pk__in=[int(value) for value in chosen]))
    if len(partners) != len(chosen):
        raise DomainError.of("partner_agencies", "协办部门须为本级或上级的其他部门")
    return partners


@require_POST
@staff_required(*CASE_WORKERS)
def acceptance(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    """受理 (with its mode and, for a joint case, the partner departments) or 不予受理."""
    case = _case(request, number)
    task = _task(request, case, task_id)
    outcome = request.POST.get("outcome", "")
    reason = request.POST.get("reason", "")

    def run() -> str:
        if outcome == Outcome.REJECT:
            services.decide_acceptance(request.user, task, Outcome.REJECT, reason=reason)
            return "已作出不予受理决定，办件状态：不予受理。"
        until = request.POST.get("deferred_until", "")
        decided = services.decide_acceptance(
            request.user,
            task,
            outcome,
            reason=reason,
            mode=request.POST.get("mode", AcceptanceMode.NORMAL),
            partner_agencies=_partners(request, case),
            deferred=request.POST.getlist("deferred"),
            deferred_until=optional_date(until, "deferred_until", "补齐期限"),
        )
        return f"已受理，办件状态：{_status_of(decided)}。"

    action = "reject" if outcome == Outcome.REJECT else "accept"
    return _act(request, case, action, run, task)


def _faults(request: HttpRequest, case: Case) -> list[dict]:
    """One fault per ticked (or explained) material, plus the free "other problem" line."""
    faults = []
    for material in selectors.current_materials(case):
        ticked = request.POST.get(f"fault_{material.pk}") == "1"
        reason = request.POST.get(f"reason_{material.pk}", "").strip()
        if ticked or reason:
            faults.append({"material": material.name, "reason": reason})
    other = request.POST.get("other_reason", "").strip()
    if other:
        faults.append({"material": "", "reason": other})
    return faults


def optional_date(value: str, field: str, label: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError.of(field, f"{label}应为“年-月-日”格式的日期") from None


@require_POST
@staff_required(*CASE_WORKERS)
def correction(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    """一次性告知: every fault of the application in one request."""
    case = _case(request, number)
    task = _task(request, case, task_id)

    def run() -> str:
        due_on = optional_date(request.POST.get("due_on", ""), "due_on", "补正期限")
        faults = _faults(request, case)
        services.request_correction(request.user, task, faults, due_on=due_on)
        return f"已一次性告知申请人补正 {len(faults)} 项问题，计时暂停。"

    return _act(request, case, "correction", run, task)


@require_POST
@staff_required(*CASE_WORKERS)
def review(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    case = _case(request, number)
    task = _task(request, case, task_id)
    outcome = request.POST.get("outcome", "")

    def run() -> str:
        services.review(request.user, task, outcome, opinion=request.POST.get("opinion", ""))
        return "审查意见已提交：" + ("退回。" if outcome == Outcome.RETURN else "通过。")

    return _act(request, case, "review", run, task)


@require_POST
@staff_required(*CASE_WORKERS)
def decision(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    case = _case(request, number)
    task = _task(request, case, task_id)
    outcome = request.POST.get("outcome", "")

    def run() -> str:
        decided = services.decide(request.user, task, outcome, basis=request.POST.get("basis", ""))
        if outcome == Outcome.RETURN:
            return "已退回审查环节。"
        return f"决定已作出，办件状态：{_status_of(decided)}。"

    return _act(request, case, "decision", run, task)


@require_POST
@staff_required(*CASE_WORKERS)
def special_procedure_start(request: HttpRequest, number: str) -> HttpResponse:
    """特别程序 (hearing, expert review, inspection): the clock stops, with a reason."""
    case = _case(request, number)

    def run() -> str:
        kind = request.POST.get("kind", "")
        services.start_special_procedure(request.user, case, kind, request.POST.get("reason", ""))
        return f"已启动特别程序（{PauseKind(kind).label}），办理时限暂停计算。"

    return _act(request, case, "special", run)


@require_POST
@staff_required(*CASE_WORKERS)
def special_procedure_end(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)

    def run() -> str:
        resumed = services.end_special_procedure(request.user, case)
        return f"特别程序已结束，恢复计时；当前时限 {resumed.due_on:%Y-%m-%d}。"

    return _act(request, case, "special_end", run)


@require_POST
@staff_required(*CASE_WORKERS)
def complete(request: HttpRequest, number: str) -> HttpResponse:
    """办结 after the decision, by staff who reach the case."""
    case = _case(request, number)

    def run() -> str:
        services.complete(request.user, case)
        return "办件已办结。"

    return _act(request, case, "complete", run)


# --- supervision ----------------------------------------------------------------------------

LIST_LIMIT = 100


def _overseen_agencies(request: HttpRequest, today: date) -> list[Organization]:
    """Agencies with red or yellow cases within the member's supervisor and approver roles."""
    found: dict[int, Organization] = {}
    for assignment in identity.roles_of(request.user).filter(role__in=OVERSIGHT):
        agencies = selectors.agencies_with_warnings(
            assignment.region.prefix, assignment.agency_id, today
        ).select_related("region")
        found.update((agency.pk, agency) for agency in agencies)
    return sorted(found.values(), key=lambda agency: (agency.region.code, agency.name))


def _warnings(agency: Organization, today: date) -> dict:
    red = selectors.red_cases(agency, today).select_related("service_item__catalog_item")
    yellow = selectors.yellow_cases(agency, today).select_related("service_item__catalog_item")
    return {
        "agency": agency,
        "red": [(case, (today - case.due_on).days) for case in red[:LIST_LIMIT]],
        "red_count": red.count(),
        "yellow": [(case, (case.due_on - today).days) for case in yellow[:LIST_LIMIT]],
        "yellow_count": yellow.count(),
    }


@staff_required(*OVERSIGHT)
def overdue(request: HttpRequest) -> HttpResponse:
    """超期预警: per agency in scope, the overdue (red) and nearly due (yellow) open cases."""
    today = timezone.localdate()
    groups = [_warnings(agency, today) for agency in _overseen_agencies(request, today)]
    context = {"groups": groups, "today": today, "limit": LIST_LIMIT}
    return render(request, "workbench/cases/overdue.html", context)
