"""Public license verification over HTTP (网上验证核对), no login: by identifier + code, by the
QR code's URL, by an uploaded PDF or JSON; and the trust list a verifier needs offline, at
the well-known address /.well-known/yiwang-trust-list.json (and under /api/ for the docs).

The GET is the hot path (benchmarked): one rate-limit count, one indexed lookup with its
joins, the verification with keys the process already holds, one use-log insert."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe
from ninja import File, Form, Router, Schema, UploadedFile

from yiwang.core.api import Problem
from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import client_address
from yiwang.licenses import selectors, verification

router = Router(tags=["电子证照核验"])
TRUST_LIST_MAX_AGE = 300  # seconds a verifier may keep the list before asking again


class ChangedField(Schema):
    field: str
    label: str


class LicenseFieldOut(Schema):
    name: str
    title: str
    value: str


class VerificationOut(Schema):
    """The verdict and, when the license is authentic, what it says. A person's name is
    masked (张*), an organization's shown whole; ID numbers are masked."""

    verdict: str
    verdict_label: str
    detail: str
    identifier: str
    license_name: str
    holder_name: str
    holder_id_masked: str
    issuer: str
    issuer_uscc: str
    seal_name: str
    platform: str
    issued_on: date | None
    valid_from: date | None
    valid_until: date | None
    status: str | None
    status_label: str
    signed_while_valid: bool
    changed_fields: list[str]
    changed: list[ChangedField]
    fields: list[LicenseFieldOut]


SCALARS = [name for name in VerificationOut.model_fields if name not in ("changed", "fields")]


def verification_out(outcome: verification.Outcome) -> dict:
    body = {name: getattr(outcome, name) for name in SCALARS}
    body["changed_fields"] = list(outcome.changed_fields)
    body["changed"] = [
        {"field": name, "label": label}
        for name, label in zip(outcome.changed_fields, outcome.changed_labels, strict=True)
    ]
    body["fields"] = [vars(row) for row in outcome.fields]
    return body


ERRORS = {400: Problem, 404: Problem, 429: Problem}


@router.get(
    "/licenses/verify",
    auth=None,
    response={200: VerificationOut, **ERRORS},
    summary="核验电子证照（证照标识 + 验证码）",
)
def verify(request: HttpRequest, identifier: str, code: str):
    address = client_address(request)
    verification.limit_lookup(address)
    return verification_out(verification.verify_by_code(identifier, code, address=address))


@router.post(
    "/licenses/verify",
    auth=None,
    response={200: VerificationOut, **ERRORS},
    summary="核验电子证照（上传 PDF 或 JSON 文件，或提交二维码内容）",
)
def verify_file(request: HttpRequest, file: File[UploadedFile] = None, qr: Form[str] = ""):
    address = client_address(request)
    if file is None and not qr:
        raise DomainError.of("file", "请上传电子证照的 PDF 或 JSON 文件，或提交二维码内容")
    if file is None:
        verification.limit_lookup(address)
        return verification_out(verification.verify_qr(qr, address=address))
    verification.limit_upload(address)
    data = file.read(settings.MAX_UPLOAD_BYTES + 1)
    return verification_out(verification.verify_upload(data, address=address))


@router.get(
    "/licenses/trust-list",
    auth=None,
    response=dict,
    summary="信任列表（本平台全部印章的公钥、有效期与状态，供离线核验）",
)
def trust_list(request: HttpRequest):
    return selectors.trust_list_document()


@require_safe
def well_known_trust_list(request: HttpRequest) -> JsonResponse:
    """/.well-known/yiwang-trust-list.json: public, cacheable, readable from any origin."""
    response = JsonResponse(
        selectors.trust_list_document(), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = f"public, max-age={TRUST_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response
