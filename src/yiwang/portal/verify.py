"""网上验证核对: the public page that verifies an e-license, for anyone, without an account.

Two ways in, one answer: the identifier and verification code (a GET form, so the QR code's
URL `/licenses/verify/?id=…&code=…` lands here filled in and verifies at once), or an upload
of the license's PDF or JSON. The verdict is shown in Chinese with the issuer and, for a
changed copy, what was changed. The rules live in licenses.verification; a refusal (bad
input, too many attempts) is shown beside the form it concerns.

批量核验 (`/licenses/verify/batch/`): up to 100 lines of identifier and code, as a bank clerk
pastes them from a spreadsheet, answered in a table line by line.
"""

from __future__ import annotations

import re
from collections import Counter

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import client_address
from yiwang.licenses import verification

TEMPLATE = "portal/licenses/verify.html"
BATCH_TEMPLATE = "portal/licenses/verify_batch.html"
MAX_BATCH_TEXT = 20_000  # 100 lines of identifier and code with room to spare
_SEPARATORS = re.compile(r"[\s,，;；]+")


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


# --- 批量核验 ---------------------------------------------------------------------------------


def batch_pairs(text: str) -> list[tuple[str, str]]:
    """(identifier, code) from each non-blank line: the identifier first, then the code,
    separated by spaces, a tab (a copy from a spreadsheet) or a comma; a code typed with a
    space inside stays one code. A line with only one item is refused by its number."""
    if len(text) > MAX_BATCH_TEXT:
        raise DomainError.of("lines", f"内容过长，请不超过{verification.BATCH_MAX}行")
    pairs, faulty = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = [part for part in _SEPARATORS.split(line) if part]
        if len(parts) == 1:
            faulty.append(str(number))
        elif parts:
            pairs.append((parts[0], "".join(parts[1:])))
    if faulty:
        lines = "、".join(faulty[:10]) + ("等" if len(faulty) > 10 else "")
        raise DomainError.of("lines", f"第{lines}行应有证照标识和验证码两项，以空格或逗号分隔")
    return pairs


def _batch_page(
    request: HttpRequest,
    *,
    text: str = "",
    answers: list[verification.BatchAnswer] | None = None,
    error: DomainError | None = None,
) -> HttpResponse:
    tally = Counter(
        answer.outcome.verdict_label if answer.outcome else "未核验" for answer in answers or []
    )
    context = {
        "text": text,
        "answers": answers,
        "tally": sorted(tally.items(), key=lambda item: -item[1]),
        "max_lines": verification.BATCH_MAX,
        "errors": error.errors if error else [],
        "field_error": "；".join(e.message for e in error.errors) if error else "",
    }
    return render(request, BATCH_TEMPLATE, context, status=error.status if error else 200)


@require_http_methods(["GET", "POST"])
def verify_batch_page(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _batch_page(request)
    text = request.POST.get("lines", "")
    address = client_address(request)
    try:
        verification.limit_batch(address)
        answers = verification.verify_batch(batch_pairs(text), address=address)
    except DomainError as error:
        return _batch_page(request, text=text[:MAX_BATCH_TEXT], error=error)
    return _batch_page(request, text=text, answers=answers)
