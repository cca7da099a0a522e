"""一窗受理: a walk-in applicant at a comprehensive window. The clerk chooses the service item,
reads the applicant's ID card, scans each paper material and fills in the application form;
the case is then submitted in the applicant's name (cases.services.intake_at_window), the
same case they see online once they register, and waits in 我的待办 for acceptance.

No JavaScript: the page is one form. 读卡 posts it to show whose card it is (the reader
plugin behind identity.services.read_id_card); 提交申请 posts it with the scans. A refusal
draws the page again with each reason beside the card, the material or the form field it
concerns; the browser cannot keep chosen files, so the scans are chosen again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from yiwang.cases import form_data, services
from yiwang.catalog import selectors as catalog
from yiwang.catalog.constants import HandlingKind, MaterialSource
from yiwang.catalog.guide import Guide
from yiwang.catalog.models import SearchEntry, ServiceItem
from yiwang.core import files, idempotency
from yiwang.core.errors import DomainError, FieldError, NotFound
from yiwang.core.identifiers import mask
from yiwang.identity import selectors as identity
from yiwang.identity import services as identity_services
from yiwang.identity.constants import Role
from yiwang.identity.plugins import CardReading
from yiwang.workbench.access import staff_required

TEMPLATE = "workbench/intake/intake.html"
MAX_CHOICES = 300
CARD_FIELDS = {"id_card", "name", "card"}
ITEM_FIELDS = {"code", "organization"}
HELD_SOURCES = (MaterialSource.LICENSE, MaterialSource.SHARED_DATA)
OUT_OF_SCOPE = "该事项不在您窗口受理的范围内，请选择本窗口受理的事项"


# --- the items this window takes in -----------------------------------------------------------


def _window_scope(request: HttpRequest) -> Q:
    """Published implementations in the regions (and agencies) of the member's window roles."""
    scope = Q(pk__in=[])
    for assignment in identity.roles_of(request.user).filter(role=Role.WINDOW_CLERK):
        covered = Q(region_code__startswith=assignment.region.prefix)
        if assignment.agency_id:
            covered &= Q(agency_id=assignment.agency_id)
        scope |= covered
    return scope


def _window_items(request: HttpRequest, query: str) -> QuerySet[SearchEntry]:
    """The search index's entries (one per published implementation) this window serves,
    narrowed by a name or an implementation code."""
    entries = SearchEntry.objects.filter(_window_scope(request))
    if query:
        entries = entries.filter(Q(name__contains=query) | Q(implementation_code=query))
    return entries.order_by("name", "region_code", "implementation_code")


# --- the page's rows ------------------------------------------------------------------------


@dataclass
class ScanRow:
    """One material of the item's guide: scanned at the window, or held (免提交)."""

    number: int
    name: str
    required: bool
    condition: str
    notes: str
    held: bool  # may come from e-licenses or shared data (the verified ID card: 人口库)
    errors: list[str] = field(default_factory=list)

    @property
    def input_name(self) -> str:
        return f"scan-{self.number}"


def _scan_rows(guide: Guide) -> list[ScanRow]:
    return [
        ScanRow(
            number=number,
            name=material.name,
            required=material.required and not material.condition,
            condition=material.condition,
            notes=material.notes,
            held=material.source in HELD_SOURCES,
        )
        for number, material in enumerate(guide.materials, start=1)
    ]


def _form_fields(guide: Guide, typed, errors: dict[str, str]) -> list[form_data.FieldView]:
    """The item's form in display order; fields the platform fills (from the card, 人口库 and
    法人库) are shown, not asked for. A walk-in applies as a person: organization fields go."""
    application_form = form_data.form_of(guide)
    return [
        form_data.field_view(
            application_form, name, value=typed.get(name), error=errors.get(name, "")
        )
        for name in application_form.fields
        if not application_form.ui.prefill.get(name, "").startswith("organization.")
    ]


# --- reading what was posted ----------------------------------------------------------------


def _read_upload(upload: UploadedFile) -> bytes:
    """At most one byte past the limit: the file store refuses an oversized scan by its rule."""
    return upload.read(settings.MAX_UPLOAD_BYTES + 1)


def _scans(request: HttpRequest, rows: list[ScanRow]) -> list[services.Upload]:
    return [
        services.Upload(row.name, upload.name or f"{row.input_name}.pdf", _read_upload(upload))
        for row in rows
        if (upload := request.FILES.get(row.input_name)) is not None
    ]


# --- where each refusal is shown ------------------------------------------------------------


@dataclass
class Placed:
    """A refusal split by where the page shows it."""

    card: list[str] = field(default_factory=list)
    item: list[str] = field(default_factory=list)
    form: dict[str, str] = field(default_factory=dict)
    general: list[FieldError] = field(default_factory=list)


def _missing_names(message: str) -> list[str]:
    """The materials a "请提交以下必需材料：甲、乙" refusal names."""
    return message.split("：", 1)[1].split("、") if "：" in message else []


def _place(error: DomainError, rows: list[ScanRow], scans: list[services.Upload]) -> Placed:
    placed = Placed()
    for problem in error.errors:
        if problem.field in CARD_FIELDS:
            placed.card.append(problem.message)
        elif problem.field in ITEM_FIELDS:
            placed.item.append(problem.message)
        elif problem.field.startswith("form."):
            placed.form[problem.field.removeprefix("form.")] = problem.message
        elif problem.field == "materials" and _missing_names(problem.message):
            missing = set(_missing_names(problem.message))
            for row in rows:
                if row.name in missing:
                    row.errors.append("必需材料，请扫描上传")
            placed.general.append(problem)
        elif problem.field == "file" and _beside_scan(problem.message, rows, scans):
            continue
        else:
            placed.general.append(problem)
    return placed


def _beside_scan(message: str, rows: list[ScanRow], scans: list[services.Upload]) -> bool:
    """The file store names the file it refused: show the reason beside that material."""
    shown = False
    filenames = {scan.material: scan.filename for scan in scans}
    for row in rows:
        filename = filenames.get(row.name, "")
        if filename and f"“{filename}”" in message:
            row.errors.append(message)
            shown = True
    return shown


# --- the page -------------------------------------------------------------------------------


def _chosen(request: HttpRequest, code: str) -> tuple[ServiceItem | None, Guide | None, str]:
    """The item of `code`, when this window takes it in; otherwise why not."""
    if not code:
        return None, None, ""
    try:
        item, version = catalog.guide_of(code)
    except NotFound:
        return None, None, f"实施编码为 {code} 的事项不存在或尚未发布"
    if not _window_items(request, "").filter(service_item=item).exists():
        return None, None, OUT_OF_SCOPE
    return item, version.parsed, ""


def _page(
    request: HttpRequest,
    code: str,
    *,
    reading: CardReading | None = None,
    error: DomainError | None = None,
    scans: list[services.Upload] | None = None,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    item, guide, item_error = _chosen(request, code)
    rows = _scan_rows(guide) if guide else []
    placed = _place(error, rows, scans or []) if error else Placed()
    posted = request.method == "POST"
    entries = _window_items(request, query)
    context = {
        "query": query,
        "code": code,
        "choices": entries[:MAX_CHOICES],
        "more_choices": entries.count() > MAX_CHOICES,
        "item": item,
        "guide": guide,
        "handling_kind": HandlingKind(guide.handling_kind).label if guide else "",
        "item_errors": [item_error, *placed.item] if item_error else placed.item,
        "card": request.POST.get("card", "").strip() if posted else "",
        "reading": reading,
        "reading_masked": mask(reading.id_number) if reading else "",
        "card_errors": placed.card,
        "rows": rows,
        "fields": _form_fields(guide, request.POST, placed.form) if guide else [],
        "errors": placed.general,
        "scans_lost": bool(error and scans),
        "idempotency_key": idempotency.form_key(request),
        "accepted_types": ",".join(f".{extension}" for extension in files.ACCEPTED.values()),
        "max_upload_mb": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.4g}",
    }
    status = error.status if error else (400 if item_error else 200)
    return render(request, TEMPLATE, context, status=status)


def _read_card(request: HttpRequest, code: str) -> HttpResponse:
    try:
        reading = identity_services.read_id_card(request.POST.get("card", ""))
    except DomainError as error:
        return _page(request, code, error=error)
    return _page(request, code, reading=reading)


def _submit(request: HttpRequest, code: str) -> HttpResponse:
    _, guide, _ = _chosen(request, code)
    if guide is None:
        return _page(request, code)
    rows = _scan_rows(guide)
    scans = _scans(request, rows)
    try:
        case = services.intake_at_window(
            request.user,
            code,
            card=request.POST.get("card", ""),
            scans=scans,
            form=form_data.posted_values(form_data.form_of(guide), request.POST),
            idempotency_key=idempotency.form_key(request),
        )
    except DomainError as error:
        return _page(request, code, error=error, scans=scans)
    messages.success(
        request,
        f"已为{case.applicant.name}提交“{case.service_item.catalog_item.name}”的申请，"
        f"办件编号 {case.number}，请在“受理”环节办理。",
    )
    return redirect("workbench:case", number=case.number)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(Role.WINDOW_CLERK)
def intake(request: HttpRequest) -> HttpResponse:
    """一窗受理: step 1 chooses the item (GET), step 2 reads the card and submits (POST)."""
    if request.method != "POST":
        return _page(request, request.GET.get("code", "").strip()[:50])
    code = request.POST.get("code", "").strip()[:50]
    if request.POST.get("action") == "read":
        return _read_card(request, code)
    return _submit(request, code)
