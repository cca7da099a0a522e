"""授权用证 on the workbench: staff of an agency that holders authorized list the licenses
they may use now and read one — each read logged in the holder's 用证记录 with the
authorization; a read outside the authorization (another agency, another license, expired,
revoked, not yet in force) is refused with the reason, audited, and shows nothing.

The rules live in licenses.wallet; the authorization's agency is checked against the staff
member's case-handling role assignments there, not here.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import client_address
from yiwang.licenses import wallet
from yiwang.workbench.access import staff_required

LICENSE_USERS = wallet.LICENSE_USER_ROLES


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
