"""The staff member's start page: the roles held now and the pages they open."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.identity import selectors
from yiwang.identity.constants import Role
from yiwang.licenses import authority
from yiwang.workbench.access import staff_required


@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    roles = list(selectors.roles_of(request.user).order_by("role", "region__code"))
    held = {assignment.role for assignment in roles}
    return render(
        request,
        "workbench/home.html",
        {
            "roles": roles,
            "is_security_admin": Role.SECURITY_ADMIN in held,
            "is_audit_admin": Role.AUDIT_ADMIN in held,
            "works_on_cases": bool(held & {Role.WINDOW_CLERK, Role.REVIEWER, Role.APPROVER}),
            "oversees_deadlines": bool(held & {Role.SUPERVISOR, Role.APPROVER}),
            "manages_licenses": authority.AUTHORITY_ROLE in held,
        },
    )
