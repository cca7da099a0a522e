"""Staff login in two steps: password, then a TOTP code (等保 2.0 asks two factors of staff).

The first step leaves only a pending mark in the session (which account, since when); the
session starts in the second step, through identity.services.sign_in. A pending mark lives five
minutes. An account without a confirmed authenticator enrolls one on the second page; a
mistyped code can be retried against the same (sealed) secret, without a new scan.
"""

from __future__ import annotations

import pyotp
import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import hit
from yiwang.core.web import safe_next
from yiwang.identity import selectors, services
from yiwang.identity.models import Account
from yiwang.workbench.views.refusals import show_refusal

PENDING = "workbench.pending"
PENDING_SECONDS = 5 * 60
LOGIN_RATE = "10/m"


def _safe_next(target: str) -> str:
    return safe_next(target, reverse("workbench:home"))


def _begin_pending(request: HttpRequest, account: Account, next_url: str) -> None:
    request.session.cycle_key()  # a session id planted before the password is not carried on
    request.session[PENDING] = {
        "account": account.pk,
        "at": timezone.now().timestamp(),
        "next": next_url,
    }


def _pending_account(request: HttpRequest) -> Account | None:
    """The account that passed the password step within five minutes, if any."""
    pending = request.session.get(PENDING)
    fresh = pending and timezone.now().timestamp() - pending["at"] <= PENDING_SECONDS
    account = selectors.staff_account(pending["account"]) if fresh else None
    if account is None or not account.is_active:
        request.session.pop(PENDING, None)
        return None
    return account


def login(request: HttpRequest) -> HttpResponse:
    template = "workbench/login.html"
    next_url = request.POST.get("next") or request.GET.get("next", "")
    context = {"next": next_url}
    if request.method != "POST":
        if request.user.is_authenticated and request.user.is_staff_member:
            return redirect(_safe_next(next_url))
        return render(request, template, {**context, "values": {}})
    address = services.client_address(request)
    try:
        hit("workbench.login", address, LOGIN_RATE)
        account = services.authenticate_staff(
            request.POST.get("username", ""), request.POST.get("password", ""), address=address
        )
    except DomainError as error:
        return show_refusal(request, template, error, context)
    _begin_pending(request, account, _safe_next(next_url))
    return redirect("workbench:second_factor")


def _enrollment(request: HttpRequest, account: Account) -> dict:
    """What the page shows to bind an authenticator, or nothing when one is bound already."""
    if services.has_confirmed_second_factor(account):
        return {}
    uri = services.enrollment_uri(account)
    secret = pyotp.parse_uri(uri).secret
    qr = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, title="动态口令绑定二维码", svgclass="qr-code", light="#fff"
    )
    return {
        "enrolling": True,
        "qr": mark_safe(qr),  # segno's own SVG markup; the URI is encoded as modules, not text
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


def second_factor(request: HttpRequest) -> HttpResponse:
    account = _pending_account(request)
    if account is None:
        messages.info(request, "登录已超时或尚未验证密码，请重新输入登录名和密码。")
        return redirect("workbench:login")
    template = "workbench/second_factor.html"
    if request.method != "POST":
        return render(request, template, {**_enrollment(request, account), "account": account})
    address = services.client_address(request)
    try:
        hit("workbench.second_factor", address, LOGIN_RATE)
        services.check_second_factor(account, request.POST.get("code", ""), address=address)
    except DomainError as error:
        context = {**_enrollment(request, account), "account": account}
        return show_refusal(request, template, error, context)
    next_url = request.session.pop(PENDING)["next"]
    services.sign_in(request, account, method="password+totp")
    return redirect(next_url)
