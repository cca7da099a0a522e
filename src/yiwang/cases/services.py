"""Every write of case handling: apply, attach materials, submit (idempotent), accept or refuse,
ask for corrections once, review, decide, pause the clock, withdraw, complete.

Each use case locks the case row, checks the transition against constants.TRANSITIONS and the
actor's right to act, moves the BPMN process and the case together in one transaction, and
appends a CaseEvent; so a crash between steps leaves no half state and two staff completing
the same task cannot both win.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.cases import form_data, selectors, workflow
from yiwang.cases.constants import (
    ACCEPTANCE_WORKING_DAYS,
    OPEN_TASK_STATUSES,
    PICKUP_PURPOSE,
    TRANSITIONS,
    YELLOW_SHARE,
    AcceptanceMode,
    CaseStatus,
    Channel,
    DeliveryMethod,
    FeeStatus,
    MaterialSource,
    Outcome,
    PauseKind,
    SubjectKind,
    TaskStatus,
)
from yiwang.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CaseNumberCounter,
    CaseTask,
    ClockPause,
    CorrectionRequest,
    FeeOrder,
)
from yiwang.cases.notices import Notice, NoticeKind, render_pdf
from yiwang.cases.permissions import APPLICANT_LANE, PARTNER_LANE, may_work_on
from yiwang.cases.plugins import HeldMaterial, couriers, material_providers, payment_providers
from yiwang.catalog import selectors as catalog
from yiwang.catalog.constants import OnlineDepth
from yiwang.catalog.guide import Guide
from yiwang.core import files, sms, workdays
from yiwang.core.audit import record_audit
from yiwang.core.crypto import same_mac
from yiwang.core.errors import Conflict, DomainError, Forbidden, NotFound
from yiwang.core.events import record_event
from yiwang.core.keys import Sealer
from yiwang.identity import selectors as identity
from yiwang.identity import services as identity_services
from yiwang.identity.constants import Role
from yiwang.identity.models import Account, OrganizationAccount
from yiwang.regions.models import Organization
from yiwang.registries import selectors as registries


@dataclass(frozen=True)
class Applicant:
    """For whom a case is made: a person, or an organization through one of its people."""

    person: Account
    organization: OrganizationAccount | None = None


# --- the trail and the status machine ---------------------------------------------------


def _event(case: Case, actor: Account | None, action: str, *, to: str = "", reason="", **detail):
    _trail(case, actor, action, to=to, reason=reason, **detail).save(force_insert=True)


def _trail(case: Case, actor: Account | None, action: str, *, to="", reason="", **detail):
    """One step of the trail, unsaved: who, when, from, to, why."""
    return CaseEvent(
        case=case,
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=str(actor) if actor else "系统",
        action=action,
        from_status=case.status if to else "",
        to_status=to,
        reason=reason,
        detail=detail,
    )


def _move(case: Case, actor: Account | None, to: str, action: str, *, reason: str = "", **detail):
    """Change the status if the table allows it, leaving an event (who, when, from, to, why)."""
    if to not in TRANSITIONS[case.status]:
        raise Conflict(
            "status",
            f"办件当前为“{CaseStatus(case.status).label}”，不能{action_label(action)}",
        )
    _event(case, actor, action, to=to, reason=reason, **detail)
    case.status = to
    record_event(f"case.{action}", case=str(case.uid), number=case.number or "", status=to)


ACTION_LABELS = {
    "drafted": "创建申请",
    "material_added": "提交材料",
    "material_reused": "复用历史材料",
    "task_claimed": "认领任务",
    "review_pass": "审查通过",
    "review_return": "审查退回",
    "decision_returned": "决定环节退回",
    "reaccepted": "重新受理",
    "clock_paused": "启动特别程序（暂停计时）",
    "clock_resumed": "特别程序结束（恢复计时）",
    "fee_paid": "缴费",
    "delivery_arranged": "选择送达方式",
    "handed_over": "窗口出件",
    "submitted": "提交",
    "accepted": "受理",
    "rejected": "不予受理",
    "correction_requested": "要求补正",
    "resubmitted": "补正后重新提交",
    "approved": "作出准予决定",
    "denied": "作出不予决定",
    "completed": "办结",
    "withdrawn": "撤回",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def _locked(case: Case) -> Case:
    """The case re-read under its row lock, with what every use case reads of it."""
    related = ("service_item__catalog_item", "version", "agency", "applicant")
    return Case.objects.select_related(*related).select_for_update(of=("self",)).get(pk=case.pk)


# --- the clock ----------------------------------------------------------------------------


def _set_clock(case: Case, start: date, working_days: int) -> None:
    """Due date and yellow date of a clock of `working_days` counted from `start`."""
    deadline = workdays.add_working_days(start, working_days)
    yellow_after = working_days - max(1, math.ceil(working_days * YELLOW_SHARE))
    case.due_on = deadline.due
    case.warn_on = workdays.add_working_days(start, max(0, yellow_after)).due
    case.due_provisional = deadline.provisional


def _extend_clock(case: Case, working_days: int) -> None:
    if case.due_on and working_days:
        extended = workdays.add_working_days(case.due_on, working_days)
        case.due_on = extended.due
        case.warn_on = workdays.add_working_days(case.warn_on, working_days).due
        case.due_provisional = case.due_provisional or extended.provisional


# --- application --------------------------------------------------------------------------


def _applicant_for(actor: Account, organization_uscc: str) -> Applicant:
    if not organization_uscc:
        return Applicant(actor)
    if not identity.may_act_for_organization(actor, organization_uscc):
        raise Forbidden("您不是该单位的法定代表人或经办人")
    return Applicant(actor, OrganizationAccount.objects.get(uscc=organization_uscc))


def _prefill_sources(applicant: Applicant) -> dict[str, str]:
    """What the platform already holds about the applicant, by prefill source name."""
    person = applicant.person
    sources = {
        "applicant.name": person.name,
        "applicant.id_number": person.id_number_masked,
        "applicant.phone": person.phone_masked,
    }
    record = registries.person_by_index(person.id_number_index)
    if record is not None:
        sources["applicant.household_region"] = record.household_region.name
    if applicant.organization:
        sources["organization.name"] = applicant.organization.name
        sources["organization.uscc"] = applicant.organization.uscc
        legal = registries.legal_person_by_uscc(applicant.organization.uscc)
        if legal is not None:
            sources["organization.representative"] = legal.representative_name
            sources["organization.registered_region"] = legal.registered_region.name
    return sources


def _prefill(applicant: Applicant, guide: Guide) -> dict:
    """Tell us once: what the platform holds fills the form's prefilled fields."""
    return form_data.prefilled(form_data.form_of(guide), _prefill_sources(applicant))


def _subject_kind(guide: Guide, applicant: Applicant) -> str:
    kind = SubjectKind.ORGANIZATION if applicant.organization else SubjectKind.PERSON
    if kind not in guide.audience:
        raise DomainError.of("organization", f"该事项不面向{SubjectKind(kind).label}办理")
    return kind


def _online_draft(actor: Account, implementation_code: str, organization_uscc: str) -> Case:
    """An unsaved online draft for a published item, prefilled; the level must suffice."""
    item, version = catalog.guide_of(implementation_code)
    applicant = _applicant_for(actor, organization_uscc)
    shortfall = identity.level_shortfall(actor, item.catalog_item)
    if shortfall:
        raise Forbidden(shortfall)
    case = _draft(item, version, applicant, submitted_by=actor, channel=Channel.ONLINE)
    if case.guide.online_depth < OnlineDepth.ONLINE_ACCEPTANCE:
        raise Forbidden("该事项暂不支持网上申请，请到办理地点窗口申请")
    return case


def _draft(item, version, applicant: Applicant, *, submitted_by: Account, channel: str) -> Case:
    """The unsaved case of `applicant` for the item's published version, form prefilled."""
    case = Case(
        service_item=item,
        version=version,
        agency=item.agency,
        region_code=item.region.code,
        applicant=applicant.person,
        organization=applicant.organization,
        submitted_by=submitted_by,
        channel=channel,
    )
    case.process = workflow.PROCESS_OF_KIND[case.guide.handling_kind]
    case.subject_kind = _subject_kind(case.guide, applicant)
    case.form = _prefill(applicant, case.guide)
    return case


@transaction.atomic
def start_application(actor: Account, implementation_code: str, *, organization_uscc="") -> Case:
    """A draft the applicant fills in, uploads to and submits in later steps."""
    case = _online_draft(actor, implementation_code, organization_uscc)
    case.save(force_insert=True)
    _event(case, actor, "drafted")
    return case


def _require_applicant_side(actor: Account, case: Case) -> None:
    if actor.pk not in (case.applicant_id, case.submitted_by_id):
        raise NotFound("办件")


def _material_names(case: Case) -> list[str]:
    return [material.name for material in case.guide.materials]


def _merged_form(case: Case, entered: dict, prefill: dict) -> dict:
    """What the applicant entered, with what the platform holds (`prefill`) put back:
    prefilled fields are not the applicant's to edit."""
    held = form_data.form_of(case.guide).ui.prefill
    own = {name: value for name, value in entered.items() if name not in held}
    return {**own, **prefill}


@transaction.atomic
def update_form(actor: Account, case: Case, form: dict) -> Case:
    case = _locked(case)
    _require_applicant_side(actor, case)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTING):
        raise Conflict("status", "办件已提交，不能修改申请表")
    merged = _merged_form(
        case, form, _prefill(Applicant(case.applicant, case.organization), case.guide)
    )
    form_data.validate(form_data.form_of(case.guide), merged, complete=False)
    if merged != case.form:  # only a real change counts for the one-time rule
        case.form, case.form_updated_at = merged, timezone.now()
        case.save(update_fields=["form", "form_updated_at"])
    return case


@dataclass(frozen=True)
class Upload:
    """One material file as it arrives: uploaded online or scanned at a window."""

    material: str  # the name of one of the item's materials
    filename: str
    data: bytes


@transaction.atomic
def add_material(
    actor: Account,
    case: Case,
    *,
    name: str,
    data: bytes,
    filename: str,
    source: str = MaterialSource.UPLOAD,
):
    """Upload (or, at a window, scan) one material of the item's list; a newer one replaces
    the current one, which stays on record."""
    case = _locked(case)
    _require_applicant_side(actor, case)
    deferred = case.status == CaseStatus.ACCEPTED and name in case.deferred_materials
    if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTING) and not deferred:
        raise Conflict("status", "只有草稿、补正中或容缺待补的办件可以上传材料")
    upload = Upload(name, filename, data)
    _check_material_names(case, [upload])
    case.materials.filter(name=name, current=True).update(current=False)
    return _keep_uploads(actor, case, [upload], source, round=case.corrections.count() + 1)[0]


def _check_material_names(case: Case, uploads: list[Upload]) -> None:
    names = set(_material_names(case))
    for upload in uploads:
        if upload.material not in names:
            raise DomainError.of("material", f"“{upload.material}”不是本事项的申请材料")


def _keep_uploads(
    actor: Account, case: Case, uploads: list[Upload], source: str, *, round: int
) -> list[CaseMaterial]:
    """Store the files (content-addressed) and record them as the case's current materials."""
    materials = CaseMaterial.objects.bulk_create(
        CaseMaterial(
            case=case,
            name=upload.material,
            source=source,
            file=files.store(upload.data, name=upload.filename, field="file"),
            original_name=upload.filename[:200],
            round=round,
        )
        for upload in uploads
    )
    CaseEvent.objects.bulk_create(
        _trail(case, actor, "material_added", material=material.name, sm3=material.file_id)
        for material in materials
    )
    return materials


@transaction.atomic
def reuse_material(actor: Account, case: Case, *, name: str, source_id: int) -> CaseMaterial:
    """Attach a file the applicant gave in an earlier case instead of uploading it again; only
    the applicant's own earlier materials can be named."""
    case = _locked(case)
    _require_applicant_side(actor, case)
    if case.status not in (CaseStatus.DRAFT, CaseStatus.CORRECTING):
        raise Conflict("status", "只有草稿或补正中的办件可以添加材料")
    if name not in _material_names(case):
        raise DomainError.of("material", f"“{name}”不是本事项的申请材料")
    source = (
        CaseMaterial.objects.filter(
            pk=source_id, file__isnull=False, case__in=selectors.cases_of(case.applicant)
        )
        .exclude(case=case)
        .select_related("case")
        .first()
    )
    if source is None:
        raise NotFound("历史材料")
    case.materials.filter(name=name, current=True).update(current=False)
    material = CaseMaterial.objects.create(
        case=case,
        name=name,
        source=MaterialSource.REUSED,
        file=source.file,
        original_name=source.original_name,
        reference=source.case.number or "",
        round=case.corrections.count() + 1,
    )
    _event(case, actor, "material_reused", material=name, source=source.case.number)
    return material


def _attach_held_materials(case: Case, present: set[str]) -> set[str]:
    """免提交: materials a provider already holds for the applicant are attached, not asked
    for. Returns the names now present."""
    held = []
    for material in case.guide.materials:
        if material.name in present:
            continue
        found = _held(case, material)
        if found is not None:
            held.append(
                CaseMaterial(
                    case=case,
                    name=material.name,
                    source=MaterialSource.HELD,
                    reference=found.reference[:200],
                    original_name=found.description[:200],
                )
            )
    CaseMaterial.objects.bulk_create(held)
    return present | {material.name for material in held}


def _held(case: Case, material) -> HeldMaterial | None:
    for provider in material_providers:
        found = provider.find(case, material)
        if found is not None:
            return found
    return None


def _current_material_names(case: Case) -> set[str]:
    return set(case.materials.filter(current=True).values_list("name", flat=True))


def _missing_materials(case: Case, held: set[str]) -> list[str]:
    return [
        material.name
        for material in case.guide.materials
        if material.required and not material.condition and material.name not in held
    ]


def _next_number(case: Case, day: date) -> str:
    """办件编号: date (8) + basic code + a six-digit serial per day and item: unique, sortable.
    Taken last in the submitting transaction: the counter row stays locked until commit."""
    basic_code = case.service_item.catalog_item.basic_code
    return f"{day:%Y%m%d}{basic_code}{CaseNumberCounter.next(day, basic_code):06d}"


def _sync_tasks(case: Case, running) -> None:
    """Mirror the process's ready user tasks as CaseTask rows; drop the ones it moved past."""
    ready = {task.task_id: task for task in workflow.ready_tasks(running)}
    known = set()
    if case.workflow_state:  # a process just started has no tasks to cancel or to know
        open_tasks = case.tasks.filter(status__in=OPEN_TASK_STATUSES)
        open_tasks.exclude(task_id__in=ready).update(status=TaskStatus.CANCELLED)
        known = set(case.tasks.filter(task_id__in=ready).values_list("task_id", flat=True))
    CaseTask.objects.bulk_create(
        CaseTask(
            case=case,
            task_id=task.task_id,
            spec=task.spec,
            name=task.name,
            lane=task.lane,
            agency_id=_lane_agency_id(case, task),
        )
        for task in ready.values()
        if task.task_id not in known
    )
    case.workflow_state = workflow.dumps(running)


def _lane_agency_id(case: Case, task: workflow.ReadyTask) -> int | None:
    """Whose task it is: the case's agency, or the partner its review instance was made for."""
    if task.lane == APPLICANT_LANE:
        return None
    if task.lane == PARTNER_LANE:
        return task.instance
    return case.agency_id


def _claim_key(actor: Account, case: Case, key: str) -> Case | None:
    """Take the Idempotency-Key for this case before anything else is written; when another
    submission holds it already, that submission's case is the answer."""
    try:
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(idempotency_key=key)
    except IntegrityError:
        return Case.objects.get(submitted_by=actor, idempotency_key=key)
    return None


@transaction.atomic
def submit(actor: Account, case: Case, *, idempotency_key: str = "") -> Case:
    """Submit a draft. With an Idempotency-Key, a retry of the same submission (even one that
    raced the first) returns the case the first one made."""
    key = idempotency_key[:64]
    case = _locked(case)
    _require_applicant_side(actor, case)
    if key and case.idempotency_key == key:
        return case
    if case.status != CaseStatus.DRAFT:
        raise Conflict("status", f"办件当前为“{case.get_status_display()}”，不能再次提交")
    if key and (earlier := _claim_key(actor, case, key)):
        return earlier
    form_data.validate(form_data.form_of(case.guide), case.form, complete=True)
    _send_in(actor, case, _current_material_names(case), key)
    return case


def submit_application(
    actor: Account,
    implementation_code: str,
    *,
    form: dict,
    uploads: list[Upload],
    organization_uscc: str = "",
    idempotency_key: str = "",
) -> tuple[Case, bool]:
    """一次提交: form, materials and submission in one step, for a client that holds the whole
    application at once (a department system, the mobile app): nothing is kept unless all of
    it is right. Returns (case, created); a retry with the same Idempotency-Key, even one
    that raced the first, gets the first one's case."""
    key = idempotency_key[:64]
    return _once(
        actor,
        key,
        lambda: _submit_whole(
            actor,
            _online_draft(actor, implementation_code, organization_uscc),
            form,
            uploads,
            source=MaterialSource.UPLOAD,
            key=key,
        ),
    )


def _once(actor: Account, key: str, make) -> tuple[Case, bool]:
    """Run `make` in a transaction of its own; when the key's unique constraint refuses the new
    case, the one submitted earlier with that key is the answer."""
    try:
        with transaction.atomic():
            return make(), True
    except IntegrityError:
        earlier = Case.objects.filter(submitted_by=actor, idempotency_key=key).first()
        if not key or earlier is None:
            raise
        return earlier, False


def _submit_whole(
    actor: Account, case: Case, form: dict, uploads: list[Upload], *, source: str, key: str
) -> Case:
    """The unsaved draft `case` with its form and files, checked, saved and submitted."""
    case.form = _merged_form(case, form, prefill=case.form)  # a new draft holds the prefill
    form_data.validate(form_data.form_of(case.guide), case.form, complete=True)
    _check_material_names(case, uploads)
    if len({upload.material for upload in uploads}) < len(uploads):
        raise DomainError.of("material", "同一材料只能提交一份文件")
    case.idempotency_key = key
    case.save(force_insert=True)
    _keep_uploads(actor, case, uploads, source, round=1)
    _send_in(actor, case, {upload.material for upload in uploads}, key)
    return case


def _send_in(actor: Account, case: Case, present: set[str], key: str) -> None:
    """A complete draft becomes a submitted case: held materials attached, numbered, the
    acceptance clock and the process started, the trail and the audit written."""
    missing = _missing_materials(case, _attach_held_materials(case, present))
    if missing:
        raise DomainError.of("materials", f"请提交以下必需材料：{'、'.join(missing)}")
    today = timezone.localdate()
    case.submitted_at = timezone.now()
    case.idempotency_key = key
    _set_clock(case, today, ACCEPTANCE_WORKING_DAYS)
    _sync_tasks(case, workflow.start(case.process))
    case.number = _next_number(case, today)
    _move(case, actor, CaseStatus.SUBMITTED, "submitted", channel=case.channel)
    case.save()
    record_audit("case.submitted", actor=str(actor), target=case.number)


# --- notices ------------------------------------------------------------------------------


def _applicant_identity(case: Case) -> tuple[str, str]:
    if case.organization:
        return case.organization.name, case.organization.uscc
    return case.applicant.name, case.applicant.id_number_masked


def _issue(case: Case, kind: NoticeKind, **fields) -> CaseDocument:
    """Render the notice as it is given out today and keep that PDF with the case."""
    name, identifier = _applicant_identity(case)
    query = urlencode({"number": case.number})
    notice = Notice(
        kind=kind,
        case_number=case.number,
        applicant=name,
        applicant_id_masked=identifier,
        item_name=case.version.elements.get("name", ""),
        agency=case.agency.name,
        issued_on=timezone.localdate(),
        progress_url=f"{settings.PUBLIC_BASE_URL.rstrip('/')}/progress/?{query}",
        **fields,
    )
    pdf = render_pdf(notice)
    stored = files.store(pdf, name=f"{kind.value}.pdf", field="document")
    return CaseDocument.objects.create(case=case, kind=kind.value, file=stored)


# --- window intake (一窗受理) ---------------------------------------------------------------


def _require_window(clerk: Account, item) -> None:
    if not identity.has_role(
        clerk, Role.WINDOW_CLERK, region_code=item.region.code, agency_id=item.agency_id
    ):
        raise Forbidden("您不是该事项实施机构的窗口受理人员")


def intake_at_window(
    clerk: Account,
    implementation_code: str,
    *,
    card: str,
    scans: list[Upload],
    form: dict | None = None,
    idempotency_key: str = "",
) -> Case:
    """A walk-in applicant at a comprehensive window: the ID card is read, the paper materials
    scanned, the case submitted in the applicant's name (their online account shows the same
    case); the back office then handles it like any other. The same intake sent twice (same
    Idempotency-Key) gives the first one's case."""
    item, version = catalog.guide_of(implementation_code)
    _require_window(clerk, item)
    key = idempotency_key[:64]

    def take_in() -> Case:
        person = identity_services.person_at_window(
            identity_services.Actor(clerk), identity_services.read_id_card(card)
        )
        case = _draft(item, version, Applicant(person), submitted_by=clerk, channel=Channel.WINDOW)
        return _submit_whole(clerk, case, form or {}, scans, source=MaterialSource.PAPER, key=key)

    return _once(clerk, key, take_in)[0]


# --- staff work on tasks ------------------------------------------------------------------


def _task_for(actor: Account, case: Case, task: CaseTask) -> CaseTask:
    """The task, re-read under the case lock: done already, or held by someone else, refuses."""
    task = CaseTask.objects.select_related("case").get(pk=task.pk, case=case)
    if task.status == TaskStatus.DONE:
        by = task.completed_by.name or task.completed_by.username if task.completed_by else "他人"
        raise Conflict("task", f"“{task.name}”已由{by}办理完毕")
    if task.status == TaskStatus.CANCELLED:
        raise Conflict("task", f"“{task.name}”已不在办理中")
    if not may_work_on(actor, task):
        raise Forbidden(f"您没有办理“{task.name}”的权限")
    if task.claimed_by_id not in (None, actor.pk):
        raise Conflict("task", f"“{task.name}”已由{task.claimed_by}认领")
    return task


@transaction.atomic
def claim(actor: Account, task: CaseTask) -> CaseTask:
    case = _locked(task.case)
    task = _task_for(actor, case, task)
    task.status, task.claimed_by = TaskStatus.CLAIMED, actor
    task.save(update_fields=["status", "claimed_by"])
    _event(case, actor, "task_claimed", task=task.spec)
    return task


def _finish_task(actor: Account, case: Case, task: CaseTask, outcome: str, **data) -> None:
    running = workflow.loads(case.workflow_state)
    workflow.complete(running, task.task_id, outcome=outcome, **data)
    task.status, task.outcome = TaskStatus.DONE, outcome
    task.completed_by, task.completed_at = actor, timezone.now()
    task.save(update_fields=["status", "outcome", "completed_by", "completed_at"])
    _sync_tasks(case, running)


def _accept_clock(case: Case, guide: Guide) -> None:
    case.accepted_at = timezone.now()
    _set_clock(case, timezone.localdate(), guide.promised_limit)


@transaction.atomic
def decide_acceptance(
    actor: Account,
    task: CaseTask,
    outcome: str,
    *,
    reason: str = "",
    mode: str = AcceptanceMode.NORMAL,
    partner_agencies: list[Organization] = (),
    deferred: list[str] = (),
    deferred_until: date | None = None,
) -> Case:
    """受理 / 不予受理 (with reason and basis). Corrections go through request_correction.
    容缺受理 names the minor materials to follow and the date they are due by."""
    case = _locked(task.case)
    task = _task_for(actor, case, task)
    if task.spec != "accept":
        raise Conflict("task", "这不是受理环节")
    if outcome == Outcome.REJECT:
        if not reason.strip():
            raise DomainError.of("reason", "不予受理须写明理由和依据")
        _finish_task(actor, case, task, Outcome.REJECT)
        _move(case, actor, CaseStatus.REJECTED, "rejected", reason=reason)
        _issue(case, NoticeKind.REJECTION, basis=reason)
    elif outcome == Outcome.ACCEPT:
        if mode == AcceptanceMode.TOLERANT:
            _defer(case, deferred, deferred_until)
        _accept(actor, case, task, mode, partner_agencies, reason)
    else:
        raise DomainError.of("outcome", "受理结论应为 accept（受理）或 reject（不予受理）")
    case.save()
    return case


def _defer(case: Case, names: list[str], until: date | None) -> None:
    unknown = sorted(set(names) - set(_material_names(case)))
    if not names or unknown:
        raise DomainError.of("deferred", "容缺受理须从申请材料中选定后补的材料")
    if until is None or until <= timezone.localdate():
        raise DomainError.of("deferred_until", "请约定晚于今天的补齐期限")
    case.deferred_materials, case.deferred_until = sorted(set(names)), until


def outstanding_deferred(case: Case) -> list[str]:
    """容缺 materials not yet supplied since the acceptance."""
    if not case.deferred_materials:
        return []
    supplied = set(
        case.materials.filter(added_at__gt=case.accepted_at).values_list("name", flat=True)
    )
    return [name for name in case.deferred_materials if name not in supplied]


def _accept(actor, case: Case, task: CaseTask, mode: str, partners, reason: str) -> None:
    guide = case.guide
    if mode not in AcceptanceMode.values:
        raise DomainError.of("mode", "受理方式无效")
    partner_ids = _partner_ids(case, partners)
    case.acceptance_mode = mode
    if case.status == CaseStatus.ACCEPTED:  # accepted again after a review sent it back
        _finish_task(actor, case, task, Outcome.ACCEPT)
        _event(case, actor, "reaccepted", reason=reason)
        return
    _accept_clock(case, guide)
    _finish_task(actor, case, task, Outcome.ACCEPT, partners=partner_ids)
    if mode == AcceptanceMode.PLEDGE or case.process == "immediate":
        # 告知承诺制 and 即办件: approved on the spot (a pledge is verified later).
        _close_open_tasks(case)
        _approve(actor, case, reason or "申请人书面承诺符合条件，当场作出准予决定")
        return
    _move(case, actor, CaseStatus.ACCEPTED, "accepted", reason=reason, mode=mode)
    _issue(case, NoticeKind.ACCEPTANCE, deadline=case.due_on)


def _partner_ids(case: Case, partners) -> list[int]:
    """联办件: the partner departments, each of which reviews in parallel with the lead."""
    if case.process != "joint":
        return []
    ids = sorted({partner.pk for partner in partners} - {case.agency_id})
    if not ids:
        raise DomainError.of("partner_agencies", "联办件须指定至少一个牵头部门以外的协办部门")
    case.partner_agencies.set(ids)
    return ids


def _close_open_tasks(case: Case) -> None:
    """The case leaves its process early (decided at acceptance, withdrawn): nothing is left
    to do in it, for the engine or for staff."""
    case.tasks.filter(status__in=OPEN_TASK_STATUSES).update(status=TaskStatus.CANCELLED)
    if case.workflow_state:
        running = workflow.loads(case.workflow_state)
        running.cancel()
        case.workflow_state = workflow.dumps(running)


def _approve(actor: Account, case: Case, basis: str) -> None:
    case.decided_at, case.decision_basis = timezone.now(), basis
    _move(case, actor, CaseStatus.APPROVED, "approved", reason=basis)
    _open_fee_order(case)
    _issue(case, NoticeKind.DECISION_APPROVED, basis=basis)


@transaction.atomic
def request_correction(actor: Account, task: CaseTask, faults: list[dict], *, due_on=None) -> Case:
    """一次性告知: every fault at once. A later request may only concern materials the
    applicant changed since the last one; the clock stops until the applicant resubmits."""
    case = _locked(task.case)
    task = _task_for(actor, case, task)
    if task.spec != "accept":
        raise Conflict("task", "只有受理环节可以要求补正")
    faults = _checked_faults(case, faults)
    _finish_task(actor, case, task, Outcome.CORRECTION)
    CorrectionRequest.objects.create(case=case, faults=faults, requested_by=actor, due_on=due_on)
    ClockPause.objects.create(
        case=case, kind=PauseKind.CORRECTION, reason="补正材料", started_at=timezone.now()
    )
    case.paused = True
    _move(case, actor, CaseStatus.CORRECTING, "correction_requested", faults=faults)
    _issue(case, NoticeKind.CORRECTION, faults=_fault_lines(faults), deadline=due_on)
    case.save()
    return case


def _fault_lines(faults: list[dict]) -> list[str]:
    return [f"{f['material']}：{f['reason']}" if f["material"] else f["reason"] for f in faults]


def _checked_faults(case: Case, faults: list[dict]) -> list[dict]:
    names = set(_material_names(case))
    checked = []
    for fault in faults or []:
        material, reason = (
            (fault.get("material") or "").strip(),
            (fault.get("reason") or "").strip(),
        )
        if not reason:
            raise DomainError.of("faults", "每个问题都须写明原因")
        if material and material not in names:
            raise DomainError.of("faults", f"“{material}”不是本事项的申请材料")
        checked.append({"material": material, "reason": reason})
    if not checked:
        raise DomainError.of("faults", "请一次性列明全部需要补正的问题")
    _refuse_repeated_faults(case, checked)
    return checked


def _refuse_repeated_faults(case: Case, faults: list[dict]) -> None:
    """The one-time rule: after a first request, only materials changed since may be faulted."""
    last = case.corrections.order_by("-requested_at").first()
    if last is None:
        return
    changed = set(
        case.materials.filter(added_at__gt=last.requested_at).values_list("name", flat=True)
    )
    if case.form_updated_at and case.form_updated_at > last.requested_at:
        changed.add("")  # the form itself changed: faults in it may be raised again
    unchanged = sorted(name or "（申请表）" for name in {f["material"] for f in faults} - changed)
    if unchanged:
        raise Conflict(
            "faults",
            "一次性告知：申请人未改动的材料不能再次要求补正（" + "、".join(unchanged) + "）",
        )


@transaction.atomic
def resubmit(actor: Account, case: Case) -> Case:
    """The applicant answers a correction: the acceptance clock starts again from today."""
    case = _locked(case)
    _require_applicant_side(actor, case)
    if case.status != CaseStatus.CORRECTING:
        raise Conflict("status", "办件不在补正中")
    request = case.corrections.order_by("-requested_at").first()
    changed = case.materials.filter(added_at__gt=request.requested_at).exists()
    if not changed and any(fault["material"] for fault in request.faults):
        raise DomainError.of("materials", "请先按补正告知上传更正后的材料")
    missing = _missing_materials(case, _current_material_names(case))
    if missing:
        raise DomainError.of("materials", f"请提交以下必需材料：{'、'.join(missing)}")
    request.answered_at = timezone.now()
    request.save(update_fields=["answered_at"])
    case.pauses.filter(ended_at__isnull=True).update(ended_at=timezone.now())
    case.paused = False
    _set_clock(case, timezone.localdate(), ACCEPTANCE_WORKING_DAYS)
    applicant_task = case.tasks.get(lane=APPLICANT_LANE, status=TaskStatus.OPEN)
    _finish_task(actor, case, applicant_task, "resubmitted")
    _move(case, actor, CaseStatus.SUBMITTED, "resubmitted")
    case.save()
    return case


@transaction.atomic
def review(actor: Account, task: CaseTask, outcome: str, *, opinion: str = "") -> Case:
    """审查 (lead or partner department): pass on, or return to the previous step."""
    case = _locked(task.case)
    task = _task_for(actor, case, task)
    if task.spec not in ("review", "partner_review"):
        raise Conflict("task", "这不是审查环节")
    if outcome not in (Outcome.PASS, Outcome.RETURN):
        raise DomainError.of("outcome", "审查结论应为 pass（通过）或 return（退回）")
    if outcome == Outcome.RETURN and (case.process == "joint" or not opinion.strip()):
        raise DomainError.of("opinion", "退回须写明理由（联办件不设退回）")
    _finish_task(actor, case, task, outcome, opinion=opinion)
    _event(case, actor, f"review_{outcome}", reason=opinion, task=task.spec)
    case.save()
    return case


@transaction.atomic
def decide(actor: Account, task: CaseTask, outcome: str, *, basis: str) -> Case:
    """准予 / 不予 with the basis; or return to review (承诺件)."""
    case = _locked(task.case)
    task = _task_for(actor, case, task)
    if task.spec != "decide":
        raise Conflict("task", "这不是决定环节")
    if not basis.strip():
        raise DomainError.of("basis", "决定须写明依据")
    if outcome == Outcome.RETURN:
        if case.process == "joint":
            raise DomainError.of("outcome", "联办件不设退回")
        _finish_task(actor, case, task, Outcome.RETURN)
        _event(case, actor, "decision_returned", reason=basis)
    elif outcome == Outcome.APPROVE:
        missing = outstanding_deferred(case)
        if missing:
            raise Conflict("outcome", f"容缺材料尚未补齐：{'、'.join(missing)}")
        _finish_task(actor, case, task, outcome)
        _approve(actor, case, basis)
    elif outcome == Outcome.DENY:
        _finish_task(actor, case, task, outcome)
        case.decided_at, case.decision_basis = timezone.now(), basis
        _move(case, actor, CaseStatus.DENIED, "denied", reason=basis)
        _issue(case, NoticeKind.DECISION_DENIED, basis=basis)
    else:
        raise DomainError.of("outcome", "决定应为 approve（准予）、deny（不予）或 return（退回）")
    case.save()
    return case


# --- clock pauses, withdrawal, completion -------------------------------------------------


def _require_case_worker(actor: Account, case: Case) -> None:
    if not any(
        may_work_on(actor, task) for task in case.tasks.filter(status__in=OPEN_TASK_STATUSES)
    ):
        raise Forbidden("您不是该办件的经办人员")


@transaction.atomic
def start_special_procedure(actor: Account, case: Case, kind: str, reason: str) -> Case:
    """特别程序 (hearing, expert review, inspection): the clock stops, with a reason."""
    case = _locked(case)
    if case.status != CaseStatus.ACCEPTED:
        raise Conflict("status", "只有审查中的办件可以启动特别程序")
    _require_case_worker(actor, case)
    if kind not in PauseKind.values or kind == PauseKind.CORRECTION:
        raise DomainError.of("kind", "特别程序应为听证、专家评审或现场核查")
    if not reason.strip():
        raise DomainError.of("reason", "请写明启动特别程序的原因")
    if case.paused:
        raise Conflict("kind", "办件已在暂停计时中")
    ClockPause.objects.create(case=case, kind=kind, reason=reason, started_at=timezone.now())
    case.paused = True
    _event(case, actor, "clock_paused", reason=reason, kind=kind)
    case.save(update_fields=["paused"])
    return case


@transaction.atomic
def end_special_procedure(actor: Account, case: Case) -> Case:
    """The clock runs again; the time limit moves out by the working days it stood still."""
    case = _locked(case)
    pause = case.pauses.filter(ended_at__isnull=True).exclude(kind=PauseKind.CORRECTION).first()
    if pause is None:
        raise Conflict("kind", "办件没有进行中的特别程序")
    _require_case_worker(actor, case)
    pause.ended_at = timezone.now()
    pause.save(update_fields=["ended_at"])
    stood_still = workdays.working_days_between(
        timezone.localdate(pause.started_at), timezone.localdate()
    )
    _extend_clock(case, stood_still)
    case.paused = False
    _event(case, actor, "clock_resumed", kind=pause.kind, working_days=stood_still)
    case.save()
    return case


@transaction.atomic
def withdraw(actor: Account, case: Case, reason: str = "") -> Case:
    case = _locked(case)
    _require_applicant_side(actor, case)
    _move(case, actor, CaseStatus.WITHDRAWN, "withdrawn", reason=reason)
    _close_open_tasks(case)
    case.save()
    return case


def _require_case_staff(actor: Account, case: Case) -> None:
    """Staff of the case: someone who worked on one of its tasks, or holds its approver role."""
    worked = case.tasks.filter(completed_by=actor).exists()
    approver = identity.has_role(
        actor, Role.APPROVER, region_code=case.region_code, agency_id=case.agency_id
    )
    if not (worked or approver):
        raise Forbidden("您不是该办件的经办人员")


@transaction.atomic
def complete(actor: Account, case: Case) -> Case:
    """办结 after the decision; emits case.completed, on which licenses issue the result."""
    case = _locked(case)
    _require_case_staff(actor, case)
    unpaid = fees_unpaid(case)
    if unpaid:
        raise Conflict("fees", f"尚有 {unpaid / 100:.2f} 元费用未缴纳，不能办结")
    case.completed_at = timezone.now()
    _move(case, actor, CaseStatus.COMPLETED, "completed")
    case.save()
    return case


# --- public progress lookup ---------------------------------------------------------------

PROGRESS_CODE = "progress"


def request_progress_code(number: str, *, address: str) -> None:
    """Send a progress code to the applicant's phone. Unknown numbers are answered the same
    way by the caller, so the lookup tells nobody which numbers exist."""
    phone = selectors.progress_phone(number)
    if phone:
        sms.issue_code(phone, PROGRESS_CODE, address=address)


def progress_by_code(number: str, code: str) -> selectors.PublicProgress:
    case = selectors.case_by_number(number)
    phone = identity.contact_phone(case.applicant) if case else ""
    if not phone:
        raise NotFound(selectors.PROGRESS_REFUSAL)
    sms.check_code(phone, PROGRESS_CODE, code)
    return selectors.progress_of(case)


# --- fees (收费) --------------------------------------------------------------------------


def _fees_due(case: Case) -> int:
    return sum(fee.amount_fen for fee in case.guide.fees)


def _open_fee_order(case: Case) -> None:
    """On approval of an item with fees, one payment order for the total."""
    amount = _fees_due(case)
    if amount:
        FeeOrder.objects.create(
            case=case,
            order_no=f"{case.number}F{case.fee_orders.count() + 1:02d}",
            amount_fen=amount,
            provider=settings.PAYMENT_PROVIDER,
        )


def fees_unpaid(case: Case) -> int:
    return sum(order.amount_fen for order in case.fee_orders.filter(status=FeeStatus.PENDING))


def payment_callback(provider_id: str, payload: dict, signature: str) -> FeeOrder:
    """The provider's signed notice of a payment. A forged or altered one is refused and
    audited (outside the transaction, so the refusal's record stays); a repeated one
    (providers retry) changes nothing."""
    if provider_id != settings.PAYMENT_PROVIDER:
        raise NotFound("支付渠道")
    provider = payment_providers.configured(provider_id)
    if not provider.verify(payload, signature):
        record_audit("payment.callback_refused", target=str(payload.get("order_no", ""))[:100])
        raise Forbidden("支付回调签名无效")
    return _record_payment(provider_id, payload)


def _amount(payload: dict) -> int | None:
    try:
        return int(payload.get("amount_fen"))
    except (TypeError, ValueError):
        return None


@transaction.atomic
def _record_payment(provider_id: str, payload: dict) -> FeeOrder:
    order = FeeOrder.objects.select_for_update().filter(order_no=payload.get("order_no")).first()
    if order is None or order.provider != provider_id:
        raise NotFound("缴费订单")
    if _amount(payload) != order.amount_fen:
        raise Conflict("amount_fen", "支付金额与订单金额不符")
    if order.status == FeeStatus.PENDING:
        order.status, order.paid_at = FeeStatus.PAID, timezone.now()
        order.provider_txn = str(payload.get("txn", ""))[:64]
        order.save(update_fields=["status", "paid_at", "provider_txn"])
        _event(order.case, None, "fee_paid", order=order.order_no, amount_fen=order.amount_fen)
    return order


@dataclass(frozen=True)
class Reconciliation:
    day: date
    matched: int
    missing_here: list[str]  # the provider has them, we do not
    missing_there: list[str]  # we have them paid, the provider does not
    amount_mismatch: list[str]

    @property
    def clean(self) -> bool:
        return not (self.missing_here or self.missing_there or self.amount_mismatch)


def reconcile(day: date, provider_id: str | None = None) -> Reconciliation:
    """The daily reconciliation report (对账): our paid orders of the day against the
    provider's statement."""
    provider_id = provider_id or settings.PAYMENT_PROVIDER
    lines = {line.order_no: line for line in payment_providers[provider_id].statement(day)}
    ours = {
        order.order_no: order
        for order in FeeOrder.objects.filter(
            provider=provider_id, status=FeeStatus.PAID, paid_at__date=day
        )
    }
    common = lines.keys() & ours.keys()
    mismatched = sorted(no for no in common if lines[no].amount_fen != ours[no].amount_fen)
    return Reconciliation(
        day=day,
        matched=len(common) - len(mismatched),
        missing_here=sorted(lines.keys() - ours.keys()),
        missing_there=sorted(ours.keys() - lines.keys()),
        amount_mismatch=mismatched,
    )


# --- delivery (出件) -----------------------------------------------------------------------


def _pickup_mac(case: Case, code: str) -> str:
    return Sealer(PICKUP_PURPOSE).index(f"{case.uid}:{code}")


@transaction.atomic
def arrange_delivery(actor: Account, case: Case, method: str, *, address: str = "") -> Case:
    """How the result reaches the applicant: a pickup code for the window (sent by SMS), a
    courier's tracking number, or electronic delivery at once."""
    case = _locked(case)
    _require_applicant_side(actor, case)
    if case.status not in (CaseStatus.APPROVED, CaseStatus.COMPLETED):
        raise Conflict("status", "办件尚未作出准予决定，无需出件")
    if case.delivery_method:
        raise Conflict("delivery_method", "已选择送达方式，如需更改请联系办理窗口")
    unpaid = fees_unpaid(case)
    if unpaid:
        raise Conflict("fees", f"请先缴纳 {unpaid / 100:.2f} 元费用")
    if method not in DeliveryMethod.values:
        raise DomainError.of("delivery_method", "送达方式应为窗口领取、邮寄送达或电子送达")
    case.delivery_method = method
    if method == DeliveryMethod.EXPRESS:
        if len(address.strip()) < 6:
            raise DomainError.of("address", "请填写完整的邮寄地址")
        case.delivery_address = address.strip()[:300]
        case.tracking_number = couriers.configured(settings.COURIER).ship(
            case, case.delivery_address
        )
    elif method == DeliveryMethod.WINDOW:
        code = f"{secrets.randbelow(10**6):06d}"
        case.pickup_code_mac = _pickup_mac(case, code)
        phone = identity.contact_phone(case.applicant)
        if phone:
            sms.send_sms(phone, f"【一网】办件{case.number}的结果已可在窗口领取，取件码{code}。")
    else:
        case.delivered_at = timezone.now()
    _event(case, actor, "delivery_arranged", method=method, tracking=case.tracking_number)
    case.save()
    return case


@transaction.atomic
def hand_over(clerk: Account, case: Case, pickup_code: str) -> Case:
    """统一窗口出件: the window hands the result over against the pickup code."""
    case = _locked(case)
    _require_window(clerk, case.service_item)
    if case.delivery_method != DeliveryMethod.WINDOW or case.delivered_at:
        raise Conflict("pickup_code", "该办件没有待领取的结果")
    if not same_mac(case.pickup_code_mac.encode(), _pickup_mac(case, pickup_code.strip()).encode()):
        raise DomainError.of("pickup_code", "取件码不正确")
    case.delivered_at = timezone.now()
    _event(case, clerk, "handed_over")
    case.save(update_fields=["delivered_at"])
    return case
