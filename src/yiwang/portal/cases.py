"""The applicant's case pages (网上申请 and 我的办件): start an application from a guide, fill
in the item's application form and upload each material, submit (a retry of the same
submission returns the same case), answer a correction, follow a case — status, time limit,
process diagram and trail — withdraw it, download one's own materials and the notices issued,
pay the fees and choose how the result is delivered.

Every rule lives in cases.services; a page gathers the fields, calls one service and on a
refusal shows the page again with the Chinese reason beside the field (or the material) it
concerns. Cases are only ever looked up among the signed-in person's own
(cases.selectors.case_for_applicant), so anyone else's case, edit page or file is a 404.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.cases import diagram, form_data, selectors, services, workflow
from yiwang.cases.constants import TRANSITIONS, CaseStatus, DeliveryMethod, FeeStatus, PauseKind
from yiwang.cases.models import Case, CaseEvent, FeeOrder
from yiwang.cases.plugins import payment_providers
from yiwang.catalog import selectors as catalog
from yiwang.catalog.constants import Audience, MaterialSource, OnlineDepth
from yiwang.catalog.guide import Guide
from yiwang.core import files, idempotency
from yiwang.core.errors import Conflict, DomainError, NotFound
from yiwang.identity import selectors as identity
from yiwang.portal import params
from yiwang.portal.account import person_required
from yiwang.portal.views import shows_refusals

CASES_PER_PAGE = 20
EDITABLE = (CaseStatus.DRAFT, CaseStatus.CORRECTING)

# The default form (items without their own) names its fields the way this page always has;
# an item's own form is shown with its own titles.
DEFAULT_FORM_LABELS = {
    "applicant_name": "申请人姓名",
    "applicant_id": "公民身份号码",
    "contact_phone": "联系电话",
    "description": "申请说明",
    "contact_address": "联系地址（用于邮寄结果）",
}
AGENT_LABELS = {"applicant_name": "经办人姓名", "applicant_id": "经办人公民身份号码"}
# Large enough for any amount or count a form asks for; longer digit strings stay text and are
# refused as 格式不正确 (and never become a huge integer).

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
        for number, material in enumerate(case.guide.materials, start=1)
    ]
    if refused:
        name, error = refused
        for row in rows:
            if row.name == name:
                row.errors = [e.message for e in error.errors]
    return rows


def _labels(case: Case) -> dict[str, str]:
    if case.guide.form is not None:
        return {}
    return {**DEFAULT_FORM_LABELS, **(AGENT_LABELS if case.organization_id else {})}


def _form_fields(case: Case, entered, errors: dict[str, str]) -> list[form_data.FieldView]:
    """Every field of the case's form in display order: what the platform filled in, read-only
    (organization fields only for an organization's case), the rest as inputs with the values
    `entered` (the case's form, or what was just posted) and the service's reasons."""
    application_form = form_data.form_of(case.guide)
    labels = _labels(case)
    fields = []
    for name in application_form.fields:
        source = application_form.ui.prefill.get(name, "")
        if source.startswith("organization.") and not case.organization_id:
            continue
        values = case.form if name in application_form.ui.prefill else entered
        view = form_data.field_view(
            application_form,
            name,
            value=values.get(name),
            label=labels.get(name, ""),
            error=errors.get(name, ""),
        )
        fields.append(view)
    return fields


def _form_errors(error: DomainError | None) -> dict[str, str]:
    """The service's refusals of form fields ("form.<name>"), by field name."""
    if error is None:
        return {}
    return {
        e.field.removeprefix("form."): e.message
        for e in error.errors
        if e.field.startswith("form.")
    }


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
    entered = request.POST if error and not refused_upload else case.form
    form_errors = {} if refused_upload else _form_errors(error)
    context = {
        "case": case,
        "item_name": _item_name(case),
        "own_form": case.guide.form is not None,
        "fields": _form_fields(case, entered, form_errors),
        "materials": rows,
        "missing": [row for row in rows if row.missing],
        "correction": correction,
        "idempotency_key": idempotency.form_key(request),
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
        services.update_form(
            request.user,
            case,
            form_data.posted_values(form_data.form_of(case.guide), request.POST),
        )
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
    rows = case.guide.materials
    number = next((n for n, m in enumerate(rows, start=1) if m.name == name), 0)
    return redirect(reverse("portal:case_edit", args=[case.uid]) + f"#material-{number}")


def _save_form(request: HttpRequest, case: Case) -> None:
    """Keep what was typed with the submission. A case no longer open for changes (the retry
    of a submission that went through) is left alone: the submission answers for it."""
    with contextlib.suppress(Conflict):
        services.update_form(
            request.user,
            case,
            form_data.posted_values(form_data.form_of(case.guide), request.POST),
        )


@require_POST
@person_required
@shows_refusals
def submit(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    try:
        _save_form(request, case)
        case = services.submit(request.user, case, idempotency_key=idempotency.form_key(request))
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


@dataclass(frozen=True)
class FeeRow:
    order: FeeOrder
    pay_url: str  # the payment provider's page, for an order still to pay


def _fees(case: Case) -> list[FeeRow]:
    return [
        FeeRow(
            order=order,
            pay_url=payment_providers[order.provider].pay_url(order)
            if order.status == FeeStatus.PENDING and order.provider in payment_providers
            else "",
        )
        for order in case.fee_orders.order_by("created_at", "id")
    ]


def _delivery_open(case: Case) -> bool:
    """The result can be delivered (a decision to approve) and no way was chosen yet."""
    decided = case.status in (CaseStatus.APPROVED, CaseStatus.COMPLETED)
    return decided and not case.delivery_method


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
        "documents": case.documents.all(),
        "fees": _fees(case),
        "guide_fees": case.guide.fees,
        "delivery_open": _delivery_open(case),
        "delivery_methods": DeliveryMethod.choices,
        "delivery_address": case.form.get("contact_address", ""),
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
    response = files.attachment_response(material.file, _download_name(material))
    response["Cache-Control"] = "private, no-store"
    return response


# --- results: notices, delivery, fees ------------------------------------------------------


@require_safe
@person_required
@shows_refusals
def case_document(request: HttpRequest, uid: uuid.UUID, document_id: int) -> HttpResponse:
    """A notice or decision as it was issued (受理通知书, 准予行政许可决定书 …)."""
    document = selectors.document_for_applicant(request.user, str(uid), document_id)
    name = f"{document.kind}-{document.case.number}.pdf"
    response = files.attachment_response(document.file, name)
    response["Cache-Control"] = "private, no-store"
    return response


DELIVERY_ARRANGED = {
    DeliveryMethod.WINDOW: "取件码已通过短信发送到您的手机，请凭取件码到窗口领取。",
    DeliveryMethod.EXPRESS: "已安排邮寄，快递单号 {tracking}。",
    DeliveryMethod.ELECTRONIC: "结果已电子送达，可在本页“办件文书”中下载。",
}


@require_POST
@person_required
@shows_refusals
def arrange_delivery(request: HttpRequest, uid: uuid.UUID) -> HttpResponse:
    case = _own_case(request, uid)
    try:
        case = services.arrange_delivery(
            request.user,
            case,
            request.POST.get("delivery_method", ""),
            address=request.POST.get("address", ""),
        )
    except DomainError as error:
        case.refresh_from_db()
        return _detail_page(request, case, error=error)
    messages.success(
        request, DELIVERY_ARRANGED[case.delivery_method].format(tracking=case.tracking_number)
    )
    return redirect(reverse("portal:case_detail", args=[case.uid]) + "#delivery")


def _debug_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Developer pages: not found at all unless settings.DEBUG (checked on every request, so
    no configuration mistake in the URLconf can expose them)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.DEBUG:
            raise Http404("仅在开发环境中可用")
        return view(request, *args, **kwargs)

    return wrapper


def _own_order(request: HttpRequest, order_no: str) -> FeeOrder:
    """A fee order of one of the signed-in person's cases; anyone else's is not found."""
    order = FeeOrder.objects.select_related("case").filter(order_no=order_no).first()
    if order is None:
        raise NotFound("缴费订单")
    selectors.case_for_applicant(request.user, str(order.case.uid))
    return order


@_debug_only
@require_http_methods(["GET", "HEAD", "POST"])
@person_required
@shows_refusals
def dev_pay(request: HttpRequest, order_no: str) -> HttpResponse:
    """The simulated payment provider's page (embedded profile): 模拟支付成功 settles the order
    on the provider's side and sends its signed callback through the real callback path."""
    order = _own_order(request, order_no)
    provider = payment_providers[order.provider]
    if not provider.is_demo or not hasattr(provider, "settle"):
        raise Http404("该支付渠道不能模拟支付")
    case_page = reverse("portal:case_detail", args=[order.case.uid]) + "#fees"
    if request.method != "POST":
        context = {"order": order, "case": order.case, "item_name": _item_name(order.case)}
        return render(request, "portal/cases/dev_pay.html", context)
    if order.status != FeeStatus.PENDING:
        messages.info(request, f"订单 {order.order_no} 已缴费，无需重复支付。")
        return redirect(case_page)
    payload = provider.settle(order, timezone.localdate())
    services.payment_callback(settings.PAYMENT_PROVIDER, payload, provider.sign(payload))
    messages.success(request, f"缴费成功：订单 {order.order_no}。")
    return redirect(case_page)
