"""The audit administrator's pages (审计管理员): search the trail, check its hash chain, and
export a search as a spreadsheet. Every export leaves an audit record of its own, so the trail
also shows who took which records out."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from yiwang.core import audit
from yiwang.identity import services
from yiwang.identity.constants import Role
from yiwang.workbench.access import staff_required
from yiwang.workbench.exports import audit_workbook
from yiwang.workbench.forms import AuditSearchForm

PER_PAGE = 50
EXPORT_LIMIT = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _search_form(request: HttpRequest) -> AuditSearchForm:
    return AuditSearchForm(request.GET, actions=audit.recorded_actions())


def _page(request: HttpRequest, verdict: audit.Verdict | None = None) -> HttpResponse:
    form = _search_form(request)
    valid = form.is_valid()
    records = audit.search_audit(**form.criteria()) if valid else audit.search_audit().none()
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": Paginator(records, PER_PAGE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "verdict": verdict,
        "export_limit": EXPORT_LIMIT,
    }
    return render(request, "workbench/audit/search.html", context, status=200 if valid else 400)


@staff_required(Role.AUDIT_ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    return _page(request)


@require_POST
@staff_required(Role.AUDIT_ADMIN)
def verify_chain(request: HttpRequest) -> HttpResponse:
    """Walks the whole chain, so it runs when asked (a button), not with every search."""
    return _page(request, verdict=audit.verify())


@require_POST
@staff_required(Role.AUDIT_ADMIN)
def export(request: HttpRequest) -> HttpResponse:
    form = _search_form(request)
    if not form.is_valid():
        return _page(request)
    file, count = audit_workbook(audit.search_audit(**form.criteria())[:EXPORT_LIMIT])
    actor = services.actor_of(request)
    audit.record_audit(
        "audit.exported",
        actor=actor.label,
        target="审计记录",
        address=actor.address,
        detail={"filters": form.filters(), "rows": count},
    )
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.xlsx"
    return FileResponse(file, as_attachment=True, filename=name, content_type=XLSX)
