"""Who may open a workbench page: a signed-in staff member, holding one of the page's roles."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from yiwang.identity import selectors
from yiwang.identity.constants import Role

View = Callable[..., HttpResponse]


def staff_required(*roles: Role) -> Callable[[View], View]:
    """Anonymous visitors go to the staff login, persons to their own account page; staff
    without any of `roles` (when named) get a 403 page that says which role is missing."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "workbench:login")
            if not user.is_staff_member:
                return redirect("portal:my_account")
            if roles and not any(selectors.has_role(user, role) for role in roles):
                return forbidden(request, roles)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def forbidden(request: HttpRequest, roles: tuple[Role, ...]) -> HttpResponse:
    needed = "或".join(f"“{Role(role).label}”" for role in roles)
    return render(request, "workbench/forbidden.html", {"needed": needed}, status=403)
