"""The applicant's account pages: register, log in (ID number + password, or phone + SMS code),
log out, and 我的账号 — real-name levels, sessions, organizations and their agents, delegations.

Every rule lives in identity.services; a page gathers the fields, calls it, and on a refusal
shows the form again with each field's Chinese reason. Pages only ever read the signed-in
account's own records: identifiers in URLs are looked up inside that account's rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from yiwang.catalog import selectors as catalog
from yiwang.catalog.constants import Audience
from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import hit
from yiwang.core.web import safe_next
from yiwang.identity import selectors, services
from yiwang.identity.constants import CodePurpose
from yiwang.identity.models import Delegation, OrganizationMember
from yiwang.identity.plugins import strong_verifiers

SECRET_FIELDS = {"password", "code", "evidence"}
LOGIN_RATE = "10/m"


def _next_url(request: HttpRequest) -> str:
    """Back to where the login was asked for; to 我的账号 when nowhere (or somewhere unsafe)."""
    return safe_next(
        request.POST.get("next") or request.GET.get("next"), reverse("portal:my_account")
    )


def _form_values(request: HttpRequest) -> dict[str, str]:
    return {key: value for key, value in request.POST.items() if key not in SECRET_FIELDS}


def _refused(request, template: str, error: DomainError, context: dict | None = None):
    context = {**(context or {}), "errors": error.errors, "values": _form_values(request)}
    context["field_errors"] = {e.field: e.message for e in error.errors if e.field}
    return render(request, template, context, status=error.status)


def person_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Applicant pages: a signed-in person (staff use the workbench)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_person:
            return redirect("workbench:home")
        return view(request, *args, **kwargs)

    return wrapper


def _local_datetime(value: str, field: str, *, end_of_day: bool = False) -> datetime:
    day = parse_date(value or "")
    if day is None:
        raise DomainError.of(field, "请填写日期，格式如 2026-12-31")
    moment = datetime.combine(day, datetime.max.time() if end_of_day else datetime.min.time())
    return timezone.make_aware(moment)


# --- registration, login, logout ----------------------------------------------------------


@require_POST
def send_code(request: HttpRequest, purpose: str) -> HttpResponse:
    """Send an SMS code for registration or login. The page's script asks for JSON; without
    script the form posts here and comes back to the page with a message."""
    if purpose not in CodePurpose.values:
        raise Http404
    try:
        services.request_code(
            request.POST.get("phone", ""), purpose, address=services.client_address(request)
        )
        outcome = {"ok": True, "message": "验证码已发送，5 分钟内有效"}
        status = 200
    except DomainError as error:
        reasons = "；".join(e.message for e in error.errors) or error.detail
        outcome, status = {"ok": False, "message": reasons}, error.status
    if request.headers.get("Accept") == "application/json":
        return JsonResponse(outcome, status=status)
    (messages.success if outcome["ok"] else messages.error)(request, outcome["message"])
    return redirect(_next_url(request))


def register(request: HttpRequest) -> HttpResponse:
    template = "portal/account/register.html"
    if request.method != "POST":
        return render(request, template, {"values": {}})
    try:
        account = services.register_person(
            id_number=request.POST.get("id_number", ""),
            name=request.POST.get("name", ""),
            phone=request.POST.get("phone", ""),
            code=request.POST.get("code", ""),
            password=request.POST.get("password", ""),
            address=services.client_address(request),
        )
    except DomainError as error:
        return _refused(request, template, error)
    services.sign_in(request, account, method="register")
    messages.success(request, "注册成功。完成实名认证后即可在线办理大多数事项。")
    return redirect("portal:my_account")


def _authenticate(request: HttpRequest):
    address = services.client_address(request)
    hit("login", address, LOGIN_RATE)
    if request.POST.get("method") == "sms":
        return services.authenticate_by_sms(
            request.POST.get("phone", ""), request.POST.get("code", ""), address=address
        ), "sms"
    return services.authenticate_person(
        request.POST.get("id_number", ""), request.POST.get("password", ""), address=address
    ), "password"


def _requesting_client(next_url: str) -> str:
    """Which department system sent the person here to log in, when it was one."""
    parts = urlsplit(next_url)
    if parts.path != reverse("oauth2_provider:authorize"):
        return ""
    return selectors.client_name(parse_qs(parts.query).get("client_id", [""])[0])


def login_page(request: HttpRequest) -> HttpResponse:
    template = "portal/account/login.html"
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {"next": next_url, "client_name": _requesting_client(next_url)}
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        account, method = _authenticate(request)
    except DomainError as error:
        return _refused(request, template, error, context)
    services.sign_in(request, account, method=method)
    return redirect(_next_url(request))


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)  # the session list and the session's clients follow (identity.signals)
    messages.info(request, "您已退出登录。")
    return redirect("portal:home")


# --- 我的账号 -----------------------------------------------------------------------------


@person_required
def my_account(request: HttpRequest) -> HttpResponse:
    account = request.user
    return render(
        request,
        "portal/account/overview.html",
        {
            "account": account,
            "memberships": selectors.memberships(account),
            "session_count": selectors.active_sessions(account).count(),
        },
    )


@require_POST
@person_required
def verify_real_name(request: HttpRequest) -> HttpResponse:
    try:
        services.verify_real_name(services.actor_of(request), request.user)
    except DomainError as error:
        return _refused(request, "portal/account/overview.html", error, {"account": request.user})
    messages.success(request, "实名认证成功，您的账号已升级为 L2 实名用户。")
    return redirect("portal:my_account")


@person_required
def strong_verification(request: HttpRequest) -> HttpResponse:
    """L3 through the configured identity provider (in the embedded profile, a simulated face
    check whose page stands in for the camera SDK and hands back the signed result)."""
    verifier = strong_verifiers.configured(settings.STRONG_VERIFIER)
    template = "portal/account/strong.html"
    context = {"verifier": verifier, "challenge": verifier.challenge(request.user)}
    if request.method != "POST":
        return render(request, template, context)
    try:
        services.verify_strong(
            services.actor_of(request), request.user, evidence=request.POST.get("evidence", "")
        )
    except DomainError as error:
        return _refused(request, template, error, context)
    messages.success(request, "强实名认证成功，您的账号已升级为 L3。")
    return redirect("portal:my_account")


@login_required
def my_sessions(request: HttpRequest) -> HttpResponse:
    """Every account (staff too) sees its signed-in browsers and can end any of them."""
    current = request.session.get(services.SESSION_SID)
    return render(
        request,
        "portal/account/sessions.html",
        {"sessions": selectors.active_sessions(request.user), "current": current},
    )


@require_POST
@login_required
def end_session(request: HttpRequest, sid: str) -> HttpResponse:
    try:
        services.end_own_session(services.actor_of(request), request.user, sid)
    except DomainError as error:
        return _refused(request, "portal/account/sessions.html", error)
    messages.success(request, "已退出该会话。")
    return redirect("portal:my_sessions")


# --- organizations and agents -------------------------------------------------------------


@person_required
def my_organizations(request: HttpRequest) -> HttpResponse:
    template = "portal/account/organizations.html"
    context = {"memberships": selectors.memberships(request.user)}
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        organization = services.claim_organization(
            services.actor_of(request), request.user, request.POST.get("uscc", "")
        )
    except DomainError as error:
        return _refused(request, template, error, context)
    messages.success(request, f"已开通“{organization.name}”的法人账号。")
    return redirect("portal:organization", uscc=organization.uscc)


def _own_membership(request: HttpRequest, uscc: str) -> OrganizationMember:
    membership = selectors.memberships(request.user).filter(organization__uscc=uscc).first()
    if membership is None:
        raise Http404
    return membership


@person_required
def organization(request: HttpRequest, uscc: str) -> HttpResponse:
    membership = _own_membership(request, uscc)
    organization = membership.organization
    template = "portal/account/organization.html"
    context = {
        "organization": organization,
        "membership": membership,
        "is_representative": selectors.is_representative(request.user, organization),
        "members": selectors.members_of(organization),
    }
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        until = request.POST.get("valid_until", "")
        services.add_agent(
            services.actor_of(request),
            organization,
            id_number=request.POST.get("id_number", ""),
            name=request.POST.get("name", ""),
            valid_until=_local_datetime(until, "valid_until", end_of_day=True) if until else None,
        )
    except DomainError as error:
        return _refused(request, template, error, context)
    messages.success(request, "已添加经办人。")
    return redirect("portal:organization", uscc=uscc)


@require_POST
@person_required
def revoke_agent(request: HttpRequest, uscc: str, member_id: int) -> HttpResponse:
    organization = _own_membership(request, uscc).organization
    member = organization.members.filter(pk=member_id).first()
    if member is None:
        raise Http404
    try:
        services.revoke_agent(services.actor_of(request), member)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "已撤销该经办人。")
    return redirect("portal:organization", uscc=uscc)


# --- delegations (委托代办) ---------------------------------------------------------------


@person_required
def my_delegations(request: HttpRequest) -> HttpResponse:
    template = "portal/account/delegations.html"
    context = {
        "given": selectors.delegations_given(request.user),
        "received": selectors.delegations_received(request.user),
        "now": timezone.now(),
        "items": catalog.items_for_audience(Audience.PERSON),
        "selected": set(request.POST.getlist("items")),
    }
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        services.grant_delegation(
            services.actor_of(request),
            grantee_id_number=request.POST.get("grantee_id_number", ""),
            grantee_name=request.POST.get("grantee_name", ""),
            item_codes=request.POST.getlist("items"),
            valid_from=_local_datetime(request.POST.get("valid_from", ""), "valid_from"),
            valid_until=_local_datetime(
                request.POST.get("valid_until", ""), "valid_until", end_of_day=True
            ),
        )
    except DomainError as error:
        return _refused(request, template, error, context)
    messages.success(request, "委托已生效，受托人可在有效期内为您办理所选事项。")
    return redirect("portal:my_delegations")


@require_POST
@person_required
def revoke_delegation(request: HttpRequest, delegation_id: int) -> HttpResponse:
    delegation = Delegation.objects.filter(pk=delegation_id, grantor=request.user).first()
    if delegation is None:
        raise Http404
    services.revoke_delegation(services.actor_of(request), delegation)
    messages.success(request, "委托已撤销。")
    return redirect("portal:my_delegations")
