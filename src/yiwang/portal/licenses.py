"""我的证照: the holder's licenses and what they do with them — read, download (PDF, JSON),
亮证 (a time-limited QR code), 授权用证 (grant and revoke) and 用证记录; and the public page a
verifier reaches by scanning a shown QR code.

Every rule lives in licenses.wallet; a page gathers the fields, calls it, and shows the Chinese
reason of a refusal beside its field. Licenses are only ever looked up among those the
signed-in person holds or may act for (wallet.access_license), so anyone else's license, its
showings, authorizations and uses are a 404.
"""

from __future__ import annotations

import json
from datetime import datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from yiwang.core import idempotency
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.ratelimit import client_address, limit_by_address
from yiwang.licenses import documents, wallet
from yiwang.licenses.constants import GranteeKind
from yiwang.portal.account import person_required
from yiwang.regions.models import Organization

USES_PER_PAGE = 30
RECENT_USES = 5
SHOWN_RATE = "30/m"  # a verifier scans a few codes a minute; guessing tokens gets nowhere


def _owned(request: HttpRequest, identifier: str):
    """A license the signed-in person holds or may act for; anything else is a 404 page."""
    try:
        return wallet.access_license(request.user, identifier)
    except NotFound as missing:
        raise Http404(missing.detail) from missing


def _summary(license, today) -> dict:
    return {
        "license": license,
        "title": wallet.display_title(license),
        "state": wallet.license_state(license, today),
    }


@require_safe
@person_required
def my_licenses(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    licenses = [_summary(license, today) for license in wallet.wallet_licenses(request.user)]
    own = request.user.id_number_index
    return render(
        request,
        "portal/licenses/list.html",
        {
            "own": [entry for entry in licenses if entry["license"].holder_id_index == own],
            "organizations": [e for e in licenses if e["license"].holder_id_index != own],
        },
    )


@require_safe
@person_required
def license_detail(request: HttpRequest, identifier: str) -> HttpResponse:
    license = _owned(request, identifier)
    context = {
        **_summary(license, timezone.localdate()),
        "fields": wallet.license_fields(license),
        "uses": wallet.uses_of(license)[:RECENT_USES],
        "authorizations": wallet.authorizations_of(license)[:RECENT_USES],
        "show_minutes": max(1, settings.LICENSE_SHOW_SECONDS // 60),
        "idempotency_key": idempotency.new_key(),
    }
    return render(request, "portal/licenses/detail.html", context)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@person_required
def license_pdf(request: HttpRequest, identifier: str) -> HttpResponse:
    license = _owned(request, identifier)
    body = documents.license_pdf(license)
    wallet.record_download(
        license=license, account=request.user, form="pdf", address=client_address(request)
    )
    response = HttpResponse(body, content_type="application/pdf")
    return _attachment(response, f"{license.identifier}.pdf")


@require_safe
@person_required
def license_json(request: HttpRequest, identifier: str) -> HttpResponse:
    license = _owned(request, identifier)
    document = documents.license_document(license)
    wallet.record_download(
        license=license, account=request.user, form="json", address=client_address(request)
    )
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    return _attachment(response, f"{license.identifier}.json")


def qr_svg(url: str, title: str) -> str:
    """segno's own SVG markup: the URL is encoded as modules, not text (CSP-safe, no script)."""
    return segno.make_qr(url, error="m").svg_inline(
        scale=5, border=4, title=title, svgclass="qr-code", light="#fff"
    )


@never_cache
@require_POST
@person_required
def show_license(request: HttpRequest, identifier: str) -> HttpResponse:
    """亮证: the token exists only in this answer, so the page is rendered here, not behind a
    redirect, and never cached; showing again makes a new code."""
    license = _owned(request, identifier)
    showing, token = wallet.show_license(
        license=license,
        account=request.user,
        address=client_address(request),
        idempotency_key=idempotency.form_key(request),
    )
    url = wallet.shown_url(token)
    context = {
        **_summary(license, timezone.localdate()),
        "url": url,
        "qr": mark_safe(qr_svg(url, f"{wallet.display_title(license)}亮证二维码")),
        "expires_at": showing.expires_at,
        "seconds": max(0, int((showing.expires_at - timezone.now()).total_seconds())),
        "idempotency_key": idempotency.new_key(),  # 重新亮证 makes a new code
    }
    return render(request, "portal/licenses/show.html", context)


def _moment(value: str, field: str, *, end_of_day: bool = False) -> datetime | None:
    """A datetime-local or date field; a bare date is its first (or last) moment; empty is
    None (the service names the missing field)."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = parse_datetime(value) if "T" in value else None
        day = None if "T" in value else parse_date(value)
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        moment = day = None
    if day is not None:
        moment = datetime.combine(day, datetime.max.time() if end_of_day else datetime.min.time())
    if moment is None:
        raise DomainError.of(field, "时间格式不正确，请按 2026-12-31 或 2026-12-31T18:00 填写")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _start(value: str):
    """A start of today (a bare date) means from now."""
    moment = _moment(value, "valid_from")
    if moment is not None and timezone.localdate(moment) == timezone.localdate():
        moment = max(moment, timezone.now())
    return moment


@person_required
def license_authorizations(request: HttpRequest, identifier: str) -> HttpResponse:
    license = _owned(request, identifier)
    template = "portal/licenses/authorizations.html"
    context = {
        **_summary(license, timezone.localdate()),
        "authorizations": [
            (authorization, wallet.authorization_state(authorization))
            for authorization in wallet.authorizations_of(license)
        ],
        "agencies": Organization.objects.select_related("region").order_by("region__code", "name"),
        "kinds": GranteeKind.choices,
        "max_days": wallet.AUTHORIZATION_MAX_DAYS,
        "values": {"grantee_kind": GranteeKind.AGENCY},
        "idempotency_key": idempotency.form_key(request),
    }
    if request.method != "POST":
        return render(request, template, context)
    post = request.POST
    try:
        authorization, code = wallet.authorize_use(
            license=license,
            account=request.user,
            grantee_kind=post.get("grantee_kind", ""),
            grantee_agency_id=post.get("grantee_agency") or None,
            grantee_name=post.get("grantee_name", ""),
            grantee_uscc=post.get("grantee_uscc", ""),
            purpose=post.get("purpose", ""),
            valid_from=_start(post.get("valid_from", "")),
            valid_until=_moment(post.get("valid_until", ""), "valid_until", end_of_day=True),
            address=client_address(request),
            idempotency_key=context["idempotency_key"],
        )
    except DomainError as error:
        context.update(
            errors=error.errors,
            field_errors={e.field: e.message for e in error.errors if e.field},
            values=post,
        )
        return render(request, template, context, status=error.status)
    if not code:
        messages.success(request, f"已授权{authorization.grantee_name}使用该证照。")
        return redirect("portal:license_authorizations", identifier=license.identifier)
    # The code is shown this once and never stored in clear: no redirect, no cache.
    context["authorizations"].insert(0, (authorization, wallet.authorization_state(authorization)))
    context.update(
        granted=authorization,
        access_code=wallet.grouped(code),
        values={},
        idempotency_key=idempotency.new_key(),
    )
    response = render(request, template, context, status=201)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@person_required
def revoke_authorization(request: HttpRequest, identifier: str, authorization_id: int):
    license = _owned(request, identifier)
    try:
        authorization = wallet.access_authorization(license, authorization_id)
    except NotFound as missing:
        raise Http404(missing.detail) from missing
    try:
        wallet.revoke_authorization(
            authorization=authorization, account=request.user, address=client_address(request)
        )
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"已撤回对{authorization.grantee_name}的授权。")
    return redirect("portal:license_authorizations", identifier=license.identifier)


@require_safe
@person_required
def license_uses(request: HttpRequest, identifier: str) -> HttpResponse:
    license = _owned(request, identifier)
    page = Paginator(wallet.uses_of(license), USES_PER_PAGE).get_page(request.GET.get("page"))
    context = {**_summary(license, timezone.localdate()), "page": page}
    return render(request, "portal/licenses/uses.html", context)


@never_cache
@require_safe
@limit_by_address("license_shown", SHOWN_RATE)
def license_shown(request: HttpRequest, token: str) -> HttpResponse:
    """The verifier's page (no login): while the code lives, the license, its verification and
    status; an expired or forged code gets only the Chinese refusal."""
    try:
        shown = wallet.open_showing(token=token, address=client_address(request))
    except DomainError as error:
        context = {"title": error.title, "message": error.detail}
        return render(request, "portal/licenses/shown_refused.html", context, status=error.status)
    license = shown.license
    context = {
        "license": license,
        "title": wallet.display_title(license),
        "fields": wallet.license_fields(license),
        "verification": shown.verification,
        "state": wallet.license_state(license),
        "expires_at": shown.expires_at,
    }
    response = render(request, "portal/licenses/shown.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response
