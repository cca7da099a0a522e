"""Case handling over HTTP: applicants draft, upload, submit (Idempotency-Key) and follow
their cases; staff list their tasks and complete them. Every call acts as the signed-in account
and reaches only what that account may: another's case is simply not found."""

from __future__ import annotations

import json
from datetime import date, datetime
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.security import django_auth

from yiwang.cases import selectors, services
from yiwang.cases.constants import AcceptanceMode, Channel
from yiwang.cases.models import Case, CaseTask
from yiwang.core import files
from yiwang.core.api import Problem
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.ratelimit import client_address, hit
from yiwang.regions.models import Organization

router = Router(tags=["办件"], auth=django_auth)
ERRORS = {400: Problem, 403: Problem, 404: Problem, 409: Problem}


class StartIn(Schema):
    implementation_code: str
    organization_uscc: str = ""


class MaterialOut(Schema):
    name: str
    source: str
    original_name: str
    round: int


class TaskOut(Schema):
    id: int
    spec: str
    name: str
    lane: str
    status: str
    case_number: str | None
    item_name: str
    due_on: date | None


class CaseOut(Schema):
    uid: UUID
    number: str | None
    status: str
    status_label: str
    item_name: str
    agency: str
    form: dict
    submitted_at: datetime | None
    due_on: date | None
    due_provisional: bool
    paused: bool
    materials: list[MaterialOut]


class EventOut(Schema):
    occurred_at: datetime
    actor: str
    action: str
    from_status: str
    to_status: str
    reason: str


def _case_out(case: Case) -> dict:
    return {
        "uid": case.uid,
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "item_name": case.version.elements.get("name", ""),
        "agency": case.agency.name,
        "form": case.form,
        "submitted_at": case.submitted_at,
        "due_on": case.due_on,
        "due_provisional": case.due_provisional,
        "paused": case.paused,
        "materials": list(case.materials.filter(current=True).order_by("name")),
    }


def _task_out(task: CaseTask) -> dict:
    return {
        "id": task.pk,
        "spec": task.spec,
        "name": task.name,
        "lane": task.lane,
        "status": task.status,
        "case_number": task.case.number,
        "item_name": task.case.version.elements.get("name", ""),
        "due_on": task.case.due_on,
    }


def _own(request: HttpRequest, uid: UUID) -> Case:
    return selectors.case_for_applicant(request.user, str(uid))


# --- applicants ---------------------------------------------------------------------------


@router.post("/cases", response={201: CaseOut, **ERRORS}, summary="新建申请（草稿，自动预填）")
def start(request, payload: StartIn):
    case = services.start_application(
        request.user, payload.implementation_code, organization_uscc=payload.organization_uscc
    )
    return Status(201, _case_out(case))


@router.get("/cases", response=list[CaseOut], summary="我的办件")
def my_cases(request):
    return [_case_out(case) for case in selectors.cases_of(request.user)[:100]]


@router.get("/cases/{uid}", response={200: CaseOut, **ERRORS}, summary="办件详情")
def case_detail(request, uid: UUID):
    return _case_out(_own(request, uid))


@router.get("/cases/{uid}/timeline", response={200: list[EventOut], **ERRORS}, summary="办理轨迹")
def case_timeline(request, uid: UUID):
    case = _own(request, uid)
    return [
        {
            "occurred_at": event.occurred_at,
            "actor": _public_actor(case, event),
            "action": services.action_label(event.action),
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": event.reason,
        }
        for event in selectors.timeline(case)
    ]


def _public_actor(case: Case, event) -> str:
    """Applicants see who acted as a side (申请人 or the agency), never a staff member's name."""
    if event.actor_id is None:
        return "系统"
    if event.actor_id == case.applicant_id:
        return "申请人"
    if event.actor_id == case.submitted_by_id and case.channel == Channel.ONLINE:
        return "代办人"
    return case.agency.name


@router.put("/cases/{uid}/form", response={200: CaseOut, **ERRORS}, summary="填写申请表")
def update_form(request, uid: UUID, form: dict):
    return _case_out(services.update_form(request.user, _own(request, uid), form))


def _bytes_of(file: UploadedFile) -> bytes:
    """At most one byte past the limit: the file store refuses an oversized file by its rule."""
    return file.read(settings.MAX_UPLOAD_BYTES + 1)


@router.post(
    "/cases/{uid}/materials", response={201: MaterialOut, **ERRORS}, summary="上传申请材料"
)
def upload_material(request, uid: UUID, name: Form[str], file: File[UploadedFile]):
    material = services.add_material(
        request.user, _own(request, uid), name=name, data=_bytes_of(file), filename=file.name or ""
    )
    return Status(201, material)


def _form_object(raw: str) -> dict:
    try:
        form = json.loads(raw or "{}")
    except ValueError:
        form = None
    if not isinstance(form, dict):
        raise DomainError.of("form", '申请表须为 JSON 对象，如 {"字段": "值"}')
    return form


def _uploads(names: list[str], files: list[UploadedFile]) -> list[services.Upload]:
    if len(names) != len(files):
        raise DomainError.of(
            "material_names", f"材料名称（{len(names)} 个）与文件（{len(files)} 个）须一一对应"
        )
    return [
        services.Upload(name, file.name or "", _bytes_of(file))
        for name, file in zip(names, files, strict=True)
    ]


@router.post(
    "/applications",
    response={200: CaseOut, 201: CaseOut, **ERRORS},
    summary="一次提交（申请表、材料与提交合一）",
)
def submit_application(
    request,
    implementation_code: Form[str],
    form: Form[str] = "{}",
    organization_uscc: Form[str] = "",
    material_names: Form[list[str]] = None,
    files: File[list[UploadedFile]] = None,
):
    """For a client holding the whole application: the form as a JSON object, each file with
    the material name at the same position in `material_names`, and an `Idempotency-Key`
    header. 201 with the new case; a retry with the same key answers 200 with the same case.
    Nothing is kept unless all of it is right."""
    case, created = services.submit_application(
        request.user,
        implementation_code,
        form=_form_object(form),
        uploads=_uploads(material_names or [], files or []),
        organization_uscc=organization_uscc,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    return Status(201 if created else 200, _case_out(case))


@router.post("/cases/{uid}/submit", response={200: CaseOut, **ERRORS}, summary="提交申请")
def submit(request, uid: UUID):
    """Send an `Idempotency-Key` header: a retry with the same key returns the same case."""
    key = request.headers.get("Idempotency-Key", "")
    return _case_out(services.submit(request.user, _own(request, uid), idempotency_key=key))


@router.post("/cases/{uid}/resubmit", response={200: CaseOut, **ERRORS}, summary="补正后重新提交")
def resubmit(request, uid: UUID):
    return _case_out(services.resubmit(request.user, _own(request, uid)))


class WithdrawIn(Schema):
    reason: str = ""


@router.post("/cases/{uid}/withdraw", response={200: CaseOut, **ERRORS}, summary="撤回申请")
def withdraw(request, uid: UUID, payload: WithdrawIn):
    return _case_out(services.withdraw(request.user, _own(request, uid), payload.reason))


# --- staff --------------------------------------------------------------------------------


@router.get("/tasks", response=list[TaskOut], summary="我的待办")
def my_tasks(request):
    return [_task_out(task) for task in selectors.tasks_for(request.user)[:200]]


def _task(request, task_id: int) -> CaseTask:
    return selectors.open_task(request.user, task_id)


@router.post("/tasks/{task_id}/claim", response={200: TaskOut, **ERRORS}, summary="认领任务")
def claim(request, task_id: int):
    return _task_out(services.claim(request.user, _task(request, task_id)))


class AcceptanceIn(Schema):
    outcome: str
    reason: str = ""
    mode: str = AcceptanceMode.NORMAL
    partner_agencies: list[str] = []  # USCCs


def _agencies(usccs: list[str]) -> list[Organization]:
    agencies = list(Organization.objects.filter(uscc__in=usccs))
    if len(agencies) != len(set(usccs)):
        raise NotFound("协办部门")
    return agencies


@router.post("/tasks/{task_id}/acceptance", response={200: CaseOut, **ERRORS}, summary="受理决定")
def acceptance(request, task_id: int, payload: AcceptanceIn):
    case = services.decide_acceptance(
        request.user,
        _task(request, task_id),
        payload.outcome,
        reason=payload.reason,
        mode=payload.mode,
        partner_agencies=_agencies(payload.partner_agencies),
    )
    return _case_out(case)


class FaultIn(Schema):
    material: str = ""
    reason: str


class CorrectionIn(Schema):
    faults: list[FaultIn]


@router.post(
    "/tasks/{task_id}/correction", response={200: CaseOut, **ERRORS}, summary="一次性告知补正"
)
def correction(request, task_id: int, payload: CorrectionIn):
    faults = [fault.dict() for fault in payload.faults]
    return _case_out(services.request_correction(request.user, _task(request, task_id), faults))


class ReviewIn(Schema):
    outcome: str
    opinion: str = ""


@router.post("/tasks/{task_id}/review", response={200: CaseOut, **ERRORS}, summary="审查")
def review(request, task_id: int, payload: ReviewIn):
    return _case_out(
        services.review(
            request.user, _task(request, task_id), payload.outcome, opinion=payload.opinion
        )
    )


class DecisionIn(Schema):
    outcome: str
    basis: str


@router.post("/tasks/{task_id}/decision", response={200: CaseOut, **ERRORS}, summary="作出决定")
def decision(request, task_id: int, payload: DecisionIn):
    return _case_out(
        services.decide(request.user, _task(request, task_id), payload.outcome, basis=payload.basis)
    )


# --- public progress lookup (no login) ----------------------------------------------------

PROGRESS_RATE = "20/m"


class ProgressStep(Schema):
    at: datetime
    status: str


class ProgressOut(Schema):
    number: str
    item_name: str
    agency: str
    status: str
    submitted_on: date | None
    due_on: date | None
    due_provisional: bool
    steps: list[ProgressStep]


def _progress_out(progress: selectors.PublicProgress) -> dict:
    steps = [{"at": at, "status": status} for at, status in progress.steps]
    return {**vars(progress), "steps": steps}


def _limit(request, group: str) -> None:
    hit(group, client_address(request), PROGRESS_RATE)


@router.get(
    "/progress",
    auth=None,
    response={200: ProgressOut, 404: Problem, 429: Problem},
    summary="办件进度查询（编号 + 证件号码后六位，或短信验证码）",
)
def progress(request, number: str, id_tail: str = "", code: str = ""):
    _limit(request, "cases.progress")
    if code:
        return _progress_out(services.progress_by_code(number, code))
    return _progress_out(selectors.public_progress(number, id_tail=id_tail))


class ProgressCodeIn(Schema):
    number: str


class ProgressCodeOut(Schema):
    message: str


@router.post(
    "/progress/code",
    auth=None,
    response={200: ProgressCodeOut, 400: Problem, 429: Problem},
    summary="发送进度查询验证码到申请人手机",
)
def progress_code(request, payload: ProgressCodeIn):
    _limit(request, "cases.progress_code")
    services.request_progress_code(payload.number, address=client_address(request))
    return {"message": "如办件编号正确，验证码已发送至申请人预留手机，5 分钟内有效"}


@router.get(
    "/cases/{uid}/documents/{document_id}", response={404: Problem}, summary="下载办件文书（PDF）"
)
def case_document(request, uid: UUID, document_id: int):
    document = selectors.document_for_applicant(request.user, str(uid), document_id)
    return files.attachment_response(document.file, f"{document.kind}-{document.case.number}.pdf")


# --- delivery and payments ----------------------------------------------------------------


class DeliveryIn(Schema):
    method: str
    address: str = ""


@router.post("/cases/{uid}/delivery", response={200: CaseOut, **ERRORS}, summary="选择送达方式")
def delivery(request, uid: UUID, payload: DeliveryIn):
    case = services.arrange_delivery(
        request.user, _own(request, uid), payload.method, address=payload.address
    )
    return _case_out(case)


class PaymentNotice(Schema):
    order_no: str
    amount_fen: int
    txn: str


class PaymentAck(Schema):
    order_no: str
    status: str


@router.post(
    "/payments/{provider}/callback",
    auth=None,
    response={200: PaymentAck, 403: Problem, 404: Problem, 409: Problem},
    summary="支付渠道回调（签名见 X-Signature）",
)
def payment_callback(request, provider: str, payload: PaymentNotice):
    """The provider signs the JSON body's fields with its key; a retry is answered alike."""
    order = services.payment_callback(
        provider, payload.dict(), request.headers.get("X-Signature", "")
    )
    return {"order_no": order.order_no, "status": order.status}
