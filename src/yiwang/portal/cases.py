"""The applicant's case pages (网上申请 and 我的办件): start an application from a guide, fill
the free fields and upload each material, submit (a retry of the same submission returns the
same case), answer a correction, follow a case — status, time limit, process diagram and
trail — withdraw it, and download one's own materials.

Every rule lives in cases.services; a page gathers the fields, calls one service and on a
refusal shows the page again with the Chinese reason beside the field (or the material) it
concerns. Cases are only ever looked up among the signed-in person's own
(cases.selectors.case_for_applicant), so anyone else's case, edit page or file is a 404.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases import diagram, selectors, services, workflow
from yiwang.cases.constants import TRANSITIONS, CaseStatus, PauseKind
from yiwang.cases.models import Case, CaseEvent
from yiwang.catalog import selectors as catalog
from yiwang.catalog.constants import Audience, MaterialSource, OnlineDepth
from yiwang.catalog.guide import Guide
from yiwang.core import files
from yiwang.core.errors import Conflict, DomainError
from yiwang.identity import selectors as identity
from yiwang.portal import params
from yiwang.portal.account import person_required
from yiwang.portal.views import attachment, shows_refusals

CASES_PER_PAGE = 20
EDITABLE = (CaseStatus.DRAFT, CaseStatus.CORRECTING)

# The free part of the application form (the item-specific schema comes later): key → label,
# longest accepted length.
FREE_FIELDS = {"description": ("申请说明", 2000), "contact_address": ("联系地址", 200)}

# What the platform filled in from the account and the registries, in the order shown.
PREFILLED = [
    ("organization_name", "单位名称"),
    ("organization_uscc", "统一社会信用代码"),
    ("applicant_name", "申请人姓名"),
    ("applicant_id", "公民身份号码"),
    ("contact_phone", "联系电话"),
]

# Lanes of the process templates as the applicant reads them (staff names are never shown).
LANE_LABELS = {
    "applicant": "申请人",
    "window_clerk": "窗口受理",
    "reviewer": "审查",
    "partner_reviewer": "协办部门审查",
    "approver": "审批决定",
}

# Trail entries that are not status moves; cases.services.action_label names the moves.
EVENT_LABELS = {
    "drafted": "创建申请",
    "material_added": "上传材料",
    "review_pass": "审查通过",
    "review_return": "审查退回",
    "decision_returned": "退回重新审查",
    "reaccepted": "重新受理",
    "clock_paused": "启动特别程序，暂停计时",
    "clock_resumed": "特别程序结束，恢复计时",
}
HIDDEN_EVENTS = {"task_claimed"}  # staff bookkeeping, nothing the applicant waits on
INTERNAL_REASONS = {"review_pass", "review_return", "decision_returned", "reaccepted"}


def _own_case(request: HttpRequest, uid: uuid.UUID) -> Case:
    return selectors.case_for_applicant(request.user, str(uid))


def _item_name(case: Case) -> str:
    return case.version.elements.get("name", "") or case.service_item.catalog_item.name


# --- 在线申请 -------------------------------------------------------------------------------


def _applies_online(guide: Guide) -> bool:
    return guide.online_depth >= OnlineDepth.ONLINE_ACCEPTANCE


def _subject_choices(request: HttpRequest, guide: Guide) -> list[tuple[str, str]]:
    """(organization USCC or "" for oneself, label): the capacities the person may apply in."""
    choices = [("", "以个人身份")] if Audience.PERSON in guide.audience else []
    if Audience.ORGANIZATION in guide.audience:
        choices += [
            (m.organization.uscc, f"以单位名义（{m.organization.name}）")
            for m in identity.memberships(request.user)
        ]
    return choices


@require_http_methods(["GET", "HEAD", "POST"])
@person_required
@shows_refusals
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """A confirmation page (in which capacity; whether the account's level suffices), then a
    POST that makes the prefilled draft and goes on to fill it in."""
    item, version = catalog.guide_of(params.implementation_code(code))
    guide = version.parsed
    template = "portal/cases/apply.html"
    context = {
        "item": item,
        "elements": version.elements,
        "guide": guide,
        "online": _applies_online(guide),
        "choices": _subject_choices(request, guide),
        "shortfall": identity.level_shortfall(request.user, item.catalog_item),
        "values": {},
    }
    if request.method != "POST":
        return render(request, template, context)
    try:
        if not context["online"]:
            raise DomainError.of("code", "该事项暂不支持网上申请，请到办理地点窗口申请")
        case = services.start_application(
            request.user,
            item.implementation_code,
            organization_uscc=request.POST.get("organization", "").strip(),
        )
    except DomainError as error:
        return _with_errors(request, template, error, context)
    messages.success(request, "已为您创建申请，请核对信息并上传材料。")
    return redirect("portal:case_edit", uid=case.uid)


def _with_errors(request, template: str, error: DomainError, context: dict) -> HttpResponse:
    context = {**context, "errors": error.errors, "values": request.POST}
    context["field_errors"] = {e.field: e.message for e in error.errors if e.field}
    return render(request, template, context, status=error.status)


# --- filling in: the form, the materials ----------------------------------------------------


@dataclass
class MaterialRow:
    """One material of the item's guide on the edit page, with what the case holds for it."""

    number: int
    name: str
    required: bool
    condition: str
    notes: str
    source: str
    current: object = None  # the CaseMaterial in force, if any
    faults: list[str] = field(default_factory=list)  # the open correction's reasons
    errors: list[str] = field(default_factory=list)  # refusals of the last upload

    @property
    def anchor(self) -> str:
        return f"material-{self.number}"

    @property
    def from_license(self) -> bool:
        return self.source in (MaterialSource.LICENSE, MaterialSource.SHARED_DATA)

    @property
    def missing(self) -> bool:
        """Still to upload before submitting (a provider may supply license and shared data)."""
        return self.required and not self.current and not self.from_license


def _material_rows(case: Case, correction, refused: tuple[str, DomainError] | None):
    held = {material.name: material for material in selectors.current_materials(case)}
    faults: dict[str, list[str]] = {}
    for fault in correction.faults if correction else []:
        faults.setdefault(fault["material"], []).append(fault["reason"])
    rows = [
        MaterialRow(
            number=number,
            name=material.name,
            required=material.required and not material.condition,
            condition=material.condition,
            notes=material.notes,
            source=material.source,
            current=held.get(material.name),
            faults=faults.get(material.name, []),
        )
        for number, material in enumerate(case.version.parsed.materials, start=1)
    ]
    if refused:
        name, error = refused
        for row in rows:
            if row.name == name:
                row.errors = [e.message for e in error.errors]
    return rows


def _prefilled(case: Case) -> list[tuple[str, str]]:
    labels = dict(PREFILLED)
    if case.organization_id:
        labels.update(applicant_name="经办人姓名", applicant_id="经办人公民身份号码")
    return [(labels[key], case.form[key]) for key, _ in PREFILLED if case.form.get(key)]


def _edit_page(
    request: HttpRequest,
    case: Case,
    *,
    error: DomainError | None = None,
    refused_upload: str = "",
) -> HttpResponse:
    correction = selectors.open_correction(case)
    refused = (refused_upload, error) if refused_upload and error else None
    rows = _material_rows(case, correction, refused)
    values = request.POST if error and not refused_upload else case.form
    context = {
        "case": case,
        "item_name": _item_name(case),
        "prefilled": _prefilled(case),
        "values": {key: values.get(key, "") for key in FREE_FIELDS},
        "materials": rows,
        "missing": [row for row in rows if row.missing],
        "correction": correction,
        "idempotency_key": uuid.uuid4(),
        "max_upload_mb": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.4g}",
        "accepted_types": ",".join(f".{extension}" for extension in files.ACCEPTED.values()),
        "errors": error.errors if error else [],
        "field_errors": {e.field: e.message for e in error.errors if e.field}
        if error and not refused_upload
        else {},
    }
    return render(request, "portal/cases/edit.html", context, status=error.status if error else 200)


def _refused(request: HttpRequest, case: Case, error: DomainError, **kwargs) -> HttpResponse:
    """Show a refusal on the page the case can still use: the edit page while it is open for
    changes, otherwise its detail page."""
    case.refresh_from_db()
    if case.status in EDITABLE:
        return _edit_page(request, case, error=error, **kwargs)
    return _detail_page(request, case, error=error, **kwargs)


def _free_fields(request: HttpRequest) -> dict[str, str]:
    return {
        key: params.text(request.POST.get(key, ""), key, label, max_length=length)
        for key, (label, length) in FREE_FIELDS.items()
    }


@require_http_methods(["GET", "HEAD", "POST"])
@person_required
@shows_refusals
def case_edit(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    if case.status not in EDITABLE:
        messages.info(request, f"办件当前为“{case.get_status_display()}”，不能再修改。")
        return redirect("portal:case_detail", uid=case.uid)
    if request.method != "POST":
        return _edit_page(request, case)
    try:
        services.update_form(request.user, case, _free_fields(request))
    except DomainError as error:
        return _refused(request, case, error)
    messages.success(request, "申请表已保存。")
    return redirect("portal:case_edit", uid=case.uid)


def _read_upload(upload: UploadedFile) -> bytes:
    """At most one byte past the limit: enough for the file store to refuse an oversized file
    by its own rule, without reading a huge upload into memory."""
    return upload.read(settings.MAX_UPLOAD_BYTES + 1)


@require_POST
@person_required
@shows_refusals
def upload_material(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    name = request.POST.get("material", "")
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise DomainError.of("file", "请选择要上传的文件")
        material = services.add_material(
            request.user, case, name=name, data=_read_upload(upload), filename=upload.name or ""
        )
    except DomainError as error:
        return _refused(request, case, error, refused_upload=name)
    messages.success(request, f"已上传“{material.name}”：{material.original_name}")
    if case.status not in EDITABLE:  # a 容缺 material following an acceptance
        return redirect(reverse("portal:case_detail", args=[case.uid]) + "#deferred")
    rows = case.version.parsed.materials
    number = next((n for n, m in enumerate(rows, start=1) if m.name == name), 0)
    return redirect(reverse("portal:case_edit", args=[case.uid]) + f"#material-{number}")


def _save_form(request: HttpRequest, case: Case) -> None:
    """Keep what was typed with the submission. A case no longer open for changes (the retry
    of a submission that went through) is left alone: the submission answers for it."""
    with contextlib.suppress(Conflict):
        services.update_form(request.user, case, _free_fields(request))


@require_POST
@person_required
@shows_refusals
def submit(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    try:
        _save_form(request, case)
        case = services.submit(
            request.user, case, idempotency_key=request.POST.get("idempotency_key", "")
        )
    except DomainError as error:
        return _refused(request, case, error)
    messages.success(request, f"申请已提交，办件编号 {case.number}。请留意受理结果。")
    return redirect("portal:case_detail", uid=case.uid)


@require_POST
@person_required
@shows_refusals
def resubmit(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    try:
        _save_form(request, case)
        case = services.resubmit(request.user, case)
    except DomainError as error:
        return _refused(request, case, error)
    messages.success(request, "补正材料已重新提交，请等待受理。")
    return redirect("portal:case_detail", uid=case.uid)


# --- 我的办件 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePage:
    page: int
    pages: int
    count: int
    cases: list[Case]


@require_safe
@person_required
@shows_refusals
def my_cases(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.cases_of(request.user), CASES_PER_PAGE)
    current = paginator.get_page(params.page(request.GET))
    page = CasePage(current.number, paginator.num_pages, paginator.count, list(current))
    return render(request, "portal/cases/list.html", {"page": page})


# --- one case ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    occurred_at: object
    who: str
    what: str
    change: str
    reason: str


def _status_label(status: str) -> str:
    return CaseStatus(status).label if status in CaseStatus.values else status


def _who(case: Case, event: CaseEvent) -> str:
    """The applicant's side, or the office by its name: staff members' names stay inside."""
    if event.actor_id is None:
        return "系统"
    if event.actor_id in (case.applicant_id, case.submitted_by_id):
        return "申请人"
    if event.detail.get("task") == "partner_review":
        return "协办部门"
    return case.agency.name


def _what(event: CaseEvent) -> str:
    label = EVENT_LABELS.get(event.action) or services.action_label(event.action)
    if event.action == "material_added" and event.detail.get("material"):
        return f"{label}：{event.detail['material']}"
    if event.action == "clock_paused" and event.detail.get("kind") in PauseKind.values:
        return f"{label}（{PauseKind(event.detail['kind']).label}）"
    return label


def _trail(case: Case) -> list[TrailEntry]:
    return [
        TrailEntry(
            occurred_at=event.occurred_at,
            who=_who(case, event),
            what=_what(event),
            change=f"{_status_label(event.from_status)} → {_status_label(event.to_status)}"
            if event.to_status
            else "",
            reason="" if event.action in INTERNAL_REASONS else event.reason,
        )
        for event in selectors.timeline(case)
        if event.action not in HIDDEN_EVENTS
    ]


def _where_it_stands(case: Case) -> str:
    """The diagram's text alternative: the step(s) the case waits on now."""
    steps = [
        f"{task.name}（{LANE_LABELS.get(task.lane, task.lane)}）"
        for task in selectors.current_tasks(case)
    ]
    if steps:
        return "当前环节：" + "、".join(steps)
    if case.status == CaseStatus.DRAFT:
        return "尚未提交"
    if case.status in (CaseStatus.APPROVED, CaseStatus.DENIED):
        return "已作出决定，等待办结"
    return f"办理已结束（{case.get_status_display()}）"


def _diagram(case: Case) -> str:
    active, done = selectors.diagram_state(case)
    svg = diagram.render_svg(
        workflow.process_xml(case.process),
        active=active,
        done=done,
        lane_labels=LANE_LABELS,
        title=f"{_item_name(case)}办理流程",
    )
    return mark_safe(svg)  # drawn by cases.diagram, which escapes every label it writes


def _deferred(case: Case, refused_upload: str, error: DomainError | None) -> list[dict]:
    """容缺受理: the materials accepted as owed, still to upload while the case is reviewed."""
    if case.status != CaseStatus.ACCEPTED:
        return []
    return [
        {
            "name": name,
            "anchor": f"deferred-{number}",
            "errors": [e.message for e in error.errors] if error and name == refused_upload else [],
        }
        for number, name in enumerate(services.outstanding_deferred(case), start=1)
    ]


def _detail_page(
    request: HttpRequest,
    case: Case,
    *,
    error: DomainError | None = None,
    refused_upload: str = "",
) -> HttpResponse:
    correction = selectors.open_correction(case)
    context = {
        "case": case,
        "item_name": _item_name(case),
        "editable": case.status in EDITABLE,
        "may_withdraw": CaseStatus.WITHDRAWN in TRANSITIONS[case.status],
        "diagram": _diagram(case),
        "where": _where_it_stands(case),
        "trail": _trail(case),
        "materials": selectors.current_materials(case),
        "correction": correction,
        "deferred": _deferred(case, refused_upload, error),
        "accepted_types": ",".join(f".{extension}" for extension in files.ACCEPTED.values()),
        "errors": error.errors if error else [],
        "field_errors": {e.field: e.message for e in error.errors if e.field} if error else {},
        "values": request.POST if error else {},
    }
    return render(
        request, "portal/cases/detail.html", context, status=error.status if error else 200
    )


@require_safe
@person_required
@shows_refusals
def case_detail(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    return _detail_page(request, _own_case(request, uid))


@require_POST
@person_required
@shows_refusals
def withdraw(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    try:
        reason = params.text(request.POST.get("reason", ""), "reason", "撤回原因", max_length=500)
        services.withdraw(request.user, case, reason)
    except DomainError as error:
        case.refresh_from_db()
        return _detail_page(request, case, error=error)
    messages.success(request, "申请已撤回。")
    return redirect("portal:case_detail", uid=case.uid)


def _download_name(material) -> str:
    """The applicant's own file name, with the extension its content really has."""
    extension = material.file.extension
    name = material.original_name or material.name
    return name if name.lower().endswith(f".{extension}") else f"{name}.{extension}"


@require_safe
@person_required
@shows_refusals
def case_material(request: HttpRequest, uid: uuid.UUID, material_id: int) -> HttpResponse:
    material = selectors.material_for_applicant(request.user, str(uid), material_id)
    stored = material.file
    response = FileResponse(files.open_stream(stored), content_type=stored.content_type)
    response["Content-Disposition"] = attachment(
        _download_name(material), f"material-{material.pk}.{stored.extension}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
