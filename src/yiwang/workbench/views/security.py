"""The security administrator's pages (安全管理员): staff accounts, their roles, their second
factors. identity.services decides every case, 三员分立 included; these pages only gather the
fields and show the answer."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from yiwang.core.errors import DomainError
from yiwang.identity import selectors, services
from yiwang.identity.constants import Role
from yiwang.identity.models import Account, RoleAssignment
from yiwang.regions import selectors as regions
from yiwang.workbench.access import staff_required
from yiwang.workbench.views.refusals import show_refusal

PER_PAGE = 50


def _staff_member(account_id: int) -> Account:
    account = selectors.staff_account(account_id)
    if account is None:
        raise Http404
    return account


@staff_required(Role.SECURITY_ADMIN)
def staff(request: HttpRequest) -> HttpResponse:
    """Every staff account with its roles; the form below creates one."""
    template = "workbench/security/staff.html"
    query = request.GET.get("q", "").strip()[:64]
    page = Paginator(selectors.staff_accounts(query), PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "q": query, "query": urlencode({"q": query}) if query else ""}
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        account = services.create_staff(
            services.actor_of(request),
            username=request.POST.get("username", ""),
            name=request.POST.get("name", ""),
            password=request.POST.get("password", ""),
        )
    except DomainError as error:
        return show_refusal(request, template, error, context)
    messages.success(request, f"已创建工作人员账号 {account.username}，请为其授予角色。")
    return redirect("workbench:staff_member", account_id=account.pk)


def _assign(request: HttpRequest, account: Account) -> RoleAssignment:
    code = regions.check_region(request.POST.get("region", "").strip())
    if not code:
        raise DomainError.of("region", "请填写12位区划代码")
    return services.assign_role(
        services.actor_of(request),
        account,
        request.POST.get("role", ""),
        region=regions.get_region(code),
        agency=regions.organization_by_reference(request.POST.get("agency", "")),
    )


@staff_required(Role.SECURITY_ADMIN)
def staff_member(request: HttpRequest, account_id: int) -> HttpResponse:
    """One staff member's roles, in force and revoked; the form grants another."""
    account = _staff_member(account_id)
    template = "workbench/security/staff_member.html"
    context = {
        "member": account,
        "assignments": selectors.role_history(account),
        "role_choices": Role.choices,
        "has_second_factor": services.has_confirmed_second_factor(account),
    }
    if request.method != "POST":
        return render(request, template, {**context, "values": {}})
    try:
        assignment = _assign(request, account)
    except DomainError as error:
        return show_refusal(request, template, error, context)
    messages.success(
        request, f"已授予“{assignment.get_role_display()}”（{assignment.region.name}）。"
    )
    return redirect("workbench:staff_member", account_id=account.pk)


@require_POST
@staff_required(Role.SECURITY_ADMIN)
def revoke_role(request: HttpRequest, account_id: int, assignment_id: int) -> HttpResponse:
    account = _staff_member(account_id)
    assignment = selectors.role_history(account).filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404
    try:
        services.revoke_role(services.actor_of(request), assignment)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"已撤销“{assignment.get_role_display()}”。")
    return redirect("workbench:staff_member", account_id=account.pk)


@require_POST
@staff_required(Role.SECURITY_ADMIN)
def reset_second_factor(request: HttpRequest, account_id: int) -> HttpResponse:
    """A lost phone: the member binds a new authenticator at the next login."""
    account = _staff_member(account_id)
    try:
        services.reset_second_factor(services.actor_of(request), account)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(
            request, "已重置动态口令：该工作人员的会话已全部退出，下次登录时需重新绑定。"
        )
    return redirect("workbench:staff_member", account_id=account.pk)
