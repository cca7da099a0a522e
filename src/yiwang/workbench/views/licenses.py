"""Licenses on the workbench.

- 授权用证: staff of an agency that holders authorized list the licenses they may use now and
  read one — each read logged in the holder's 用证记录 with the authorization; a read outside
  the authorization (another agency, another license, expired, revoked, not yet in force) is
  refused with the reason, audited, and shows nothing. The rules live in licenses.wallet.
- 证照管理 by the issuing authority: approvers find a license their agencies issued (by
  identifier, or among the newest), see its versions and signed lifecycle steps, and 变更,
  延续, 注销 or 撤销 it through licenses.lifecycle; 存量转换 hands an uploaded file to
  licenses.stock. Who may is licenses.authority's check (another agency's staff: 403,
  audited). A refusal shows the page again with each reason beside its field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.core.errors import DomainError, Forbidden
from yiwang.core.ratelimit import client_address
from yiwang.licenses import authority, lifecycle, stock, wallet
from yiwang.licenses.constants import ImportStatus, LicenseStatus
from yiwang.licenses.models import License
from yiwang.workbench.access import staff_required
from yiwang.workbench.views.cases import optional_date
from yiwang.workbench.views.refusals import form_values, show_refusal

LICENSE_USERS = wallet.LICENSE_USER_ROLES
AUTHORITY = (authority.AUTHORITY_ROLE,)
ISSUED_TEMPLATE = "workbench/licenses/issued.html"
ISSUED_LICENSE_TEMPLATE = "workbench/licenses/issued_license.html"
IMPORT_TEMPLATE = "workbench/licenses/import.html"
CHANGE_PREFIX = "changes."
# What the import page tells about the file, from stock's own rules.
IMPORT_TERMS = {
    "required_columns": [stock.FIXED_COLUMNS[key][0] for key in stock.REQUIRED_FIXED],
    "optional_columns": [
        title for key, (title, _) in stock.FIXED_COLUMNS.items() if key not in stock.REQUIRED_FIXED
    ],
    "max_mb": stock.MAX_BYTES // 1024 // 1024,
    "max_rows": stock.MAX_ROWS,
}


@require_safe
@staff_required(*LICENSE_USERS)
def authorized(request: HttpRequest) -> HttpResponse:
    context = {"authorizations": wallet.authorizations_for_staff(request.user)[:200]}
    return render(request, "workbench/licenses/authorized.html", context)


@never_cache
@require_safe
@staff_required(*LICENSE_USERS)
def authorized_license(request: HttpRequest, authorization_id: int, identifier: str):
    try:
        read = wallet.read_as_agency(
            account=request.user,
            authorization_id=authorization_id,
            identifier=identifier,
            address=client_address(request),
        )
    except DomainError as error:
        context = {"reason": error.detail}
        return render(request, "workbench/licenses/refused.html", context, status=error.status)
    license = read.license
    context = {
        "read": read,
        "license": license,
        "title": wallet.display_title(license),
        "fields": wallet.license_fields(license),
        "state": wallet.license_state(license),
    }
    return render(request, "workbench/licenses/license.html", context)


# --- 证照管理 by the issuing authority ---------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A service's refusal of one form of the license page, with what was typed."""

    action: str
    error: DomainError
    values: dict


# The fields each form shows beside their inputs; a refusal naming another goes on its top.
FORM_FIELDS = {
    "change": {"reason", "holder_name"},
    "renew": {"reason", "valid_until"},
    "cancel": {"reason"},
    "revoke": {"reason"},
}


def _beside_input(action: str, field: str) -> bool:
    return field in FORM_FIELDS[action] or (action == "change" and field.startswith(CHANGE_PREFIX))


def _form_state(action: str, refusal: Refusal | None) -> dict:
    if refusal is None or refusal.action != action:
        return {"values": {}, "errors": {}, "general": []}
    errors = refusal.error.errors
    return {
        "values": refusal.values,
        "errors": {e.field: e.message for e in errors if _beside_input(action, e.field)},
        "general": [e.message for e in errors if not _beside_input(action, e.field)],
    }


def _change_rows(license: License, form: dict) -> list[dict]:
    """The change form's inputs: each data field with its value (as typed, after a refusal)."""
    return [
        {
            "key": CHANGE_PREFIX + name,
            "title": title,
            "value": form["values"].get(CHANGE_PREFIX + name, value),
            "error": form["errors"].get(CHANGE_PREFIX + name, ""),
        }
        for name, title, value in authority.editable_fields(license)
    ]


def _license_context(license: License, refusal: Refusal | None = None) -> dict:
    versions = authority.license_versions(license)
    forms = {action: _form_state(action, refusal) for action in FORM_FIELDS}
    return {
        "license": license,
        "title": wallet.display_title(license),
        "fields": wallet.license_fields(license),
        "state": wallet.license_state(license),
        "versions": versions,
        "steps": authority.lifecycle_steps(versions),
        "forms": forms,
        "change_rows": _change_rows(license, forms["change"]),
        "holder_name": forms["change"]["values"].get("holder_name", license.holder_name),
        "in_force": license.status == LicenseStatus.VALID,
    }


def _access(request: HttpRequest, identifier: str) -> License:
    return authority.access_issued_license(
        request.user, identifier, address=client_address(request)
    )


def _refused(request: HttpRequest, error: DomainError) -> HttpResponse:
    context = {
        "reason": "；".join(e.message for e in error.errors),
        "forbidden": isinstance(error, Forbidden),
    }
    return render(request, "workbench/licenses/issued_refused.html", context, status=error.status)


@never_cache
@require_safe
@staff_required(*AUTHORITY)
def issued(request: HttpRequest) -> HttpResponse:
    """证照管理: a license found by its identifier opens; otherwise the newest are listed."""
    context = {"licenses": authority.recent_licenses(request.user)}
    identifier = request.GET.get("identifier", "")
    if not identifier.strip():
        return render(request, ISSUED_TEMPLATE, context)
    try:
        license = _access(request, identifier)
    except DomainError as error:
        search_error = "；".join(e.message for e in error.errors)
        context |= {"identifier": identifier, "search_error": search_error}
        return render(request, ISSUED_TEMPLATE, context, status=error.status)
    return redirect("workbench:issued_license", identifier=license.identifier)


@never_cache
@require_safe
@staff_required(*AUTHORITY)
def issued_license(request: HttpRequest, identifier: str) -> HttpResponse:
    try:
        license = _access(request, identifier)
    except DomainError as error:
        return _refused(request, error)
    return render(request, ISSUED_LICENSE_TEMPLATE, _license_context(license))


def _change(request: HttpRequest, license: License) -> tuple[License, str]:
    typed = {
        key.removeprefix(CHANGE_PREFIX): value
        for key, value in request.POST.items()
        if key.startswith(CHANGE_PREFIX)
    }
    name = request.POST.get("holder_name", "").strip()
    changed = lifecycle.change_license(
        actor=request.user,
        license=license,
        reason=request.POST.get("reason", ""),
        changes=authority.typed_changes(license, typed),
        holder_name=None if name == license.holder_name else name,
    )
    return changed, f"已变更，现行证照为第{changed.version}版。"


def _renew(request: HttpRequest, license: License) -> tuple[License, str]:
    until = request.POST.get("valid_until", "")
    renewed = lifecycle.renew_license(
        actor=request.user,
        license=license,
        reason=request.POST.get("reason", ""),
        valid_until=optional_date(until, "valid_until", "延续后的有效期截止日期"),
    )
    return renewed, f"已延续至{renewed.valid_until:%Y-%m-%d}，现行证照为第{renewed.version}版。"


def _cancel(request: HttpRequest, license: License) -> tuple[License, str]:
    reason = request.POST.get("reason", "")
    return lifecycle.cancel_license(actor=request.user, license=license, reason=reason), "已注销。"


def _revoke(request: HttpRequest, license: License) -> tuple[License, str]:
    reason = request.POST.get("reason", "")
    return lifecycle.revoke_license(actor=request.user, license=license, reason=reason), "已撤销。"


ACTIONS: dict[str, Callable[[HttpRequest, License], tuple[License, str]]] = {
    "change": _change,
    "renew": _renew,
    "cancel": _cancel,
    "revoke": _revoke,
}


@require_POST
@staff_required(*AUTHORITY)
def act_on_issued_license(request: HttpRequest, identifier: str, action: str) -> HttpResponse:
    """变更、延续、注销、撤销: one lifecycle service call; the page again on a refusal."""
    run = ACTIONS.get(action)
    if run is None:
        raise Http404
    try:
        license = _access(request, identifier)
    except DomainError as error:
        return _refused(request, error)
    try:
        result, message = run(request, license)
    except DomainError as error:
        refusal = Refusal(action, error, form_values(request))
        return show_refusal(
            request, ISSUED_LICENSE_TEMPLATE, error, _license_context(license, refusal)
        )
    messages.success(request, message)
    return redirect("workbench:issued_license", identifier=result.identifier)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(*AUTHORITY)
def stock_import(request: HttpRequest) -> HttpResponse:
    """存量转换: one file of one type, signed with a seal of the member's agency — every row
    or none; the refusal's report lists row, column and reason."""
    context = IMPORT_TERMS | {
        "license_types": authority.import_license_types(),
        "seals": authority.import_seals(request.user),
    }
    if request.method != "POST":
        return render(request, IMPORT_TEMPLATE, context)
    upload = request.FILES.get("file")
    try:
        batch = authority.import_stock(
            account=request.user,
            license_type_id=request.POST.get("license_type", ""),
            seal_id=request.POST.get("seal", ""),
            filename=upload.name if upload else "",
            # One byte past the limit is enough for stock to refuse an oversized file.
            data=upload.read(stock.MAX_BYTES + 1) if upload else None,
            address=client_address(request),
        )
    except DomainError as error:
        return show_refusal(request, IMPORT_TEMPLATE, error, context)
    imported = batch.status == ImportStatus.IMPORTED
    context |= {"batch": batch, "imported": imported, "values": form_values(request)}
    return render(request, IMPORT_TEMPLATE, context, status=200 if imported else 400)
