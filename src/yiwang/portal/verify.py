"""网上验证核对: the public page that verifies an e-license, for anyone, without an account.

Two ways in, one answer: the identifier and verification code (a GET form, so the QR code's
URL `/licenses/verify/?id=…&code=…` lands here filled in and verifies at once), or an upload
of the license's PDF or JSON. The verdict is shown in Chinese with the issuer and, for a
changed copy, what was changed. The rules live in licenses.verification; a refusal (bad
input, too many attempts) is shown beside the form it concerns.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST, require_safe

from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import client_address
from yiwang.licenses import verification

TEMPLATE = "portal/licenses/verify.html"


def _page(
    request: HttpRequest,
    *,
    outcome: verification.Outcome | None = None,
    error: DomainError | None = None,
    form: str = "code",
) -> HttpResponse:
    context = {
        "identifier": request.GET.get("id", "").strip()[:120],
        "code": request.GET.get("code", "").strip()[:20],
        "outcome": outcome,
        "form": form,
        "errors": error.errors if error else [],
        "field_errors": {e.field: e.message for e in error.errors if e.field} if error else {},
        "max_upload_mb": f"{settings.MAX_UPLOAD_BYTES / (1024 * 1024):.4g}",
    }
    return render(request, TEMPLATE, context, status=error.status if error else 200)


@require_safe
def verify_page(request: HttpRequest) -> HttpResponse:
    identifier, code = request.GET.get("id", ""), request.GET.get("code", "")
    if not identifier and not code:
        return _page(request)
    address = client_address(request)
    try:
        verification.limit_lookup(address)
        outcome = verification.verify_by_code(identifier, code, address=address)
    except DomainError as error:
        return _page(request, error=error)
    return _page(request, outcome=outcome)


@require_POST
def verify_upload(request: HttpRequest) -> HttpResponse:
    address = client_address(request)
    upload = request.FILES.get("file")
    try:
        verification.limit_upload(address)
        if upload is None:
            raise DomainError.of("file", "请选择电子证照的 PDF 或 JSON 文件")
        data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
        outcome = verification.verify_upload(data, address=address)
    except DomainError as error:
        return _page(request, error=error, form="upload")
    return _page(request, outcome=outcome, form="upload")
