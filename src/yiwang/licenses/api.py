"""The licenses context over HTTP.

- Public verification (网上验证核对), no login: by identifier + code, by the QR code's URL, by
  an uploaded PDF or JSON; and the trust list a verifier needs offline, at the well-known
  address /.well-known/yiwang-trust-list.json (and under /api/ for the docs). The GET is the
  hot path (benchmarked): one rate-limit count, one indexed lookup with its joins, the
  verification with keys the process already holds, one use-log insert.
- The wallet (我的证照): holders list their licenses, show them (亮证), authorize and revoke
  their use and read the usage log; grantees use a license under an authorization — agency
  staff signed in, a third party with its one-time access code. Holders reach only licenses
  they hold or may act for (another's is 404, like a wrong identifier); a grantee's refusal is
  403 with the Chinese reason, audited, with nothing of the license in it. The rules live in
  licenses.wallet.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.security import django_auth
from pydantic import BaseModel

from yiwang.core import idempotency
from yiwang.core.api import Problem, model_response
from yiwang.core.errors import DomainError, NotFound
from yiwang.core.ratelimit import client_address, hit
from yiwang.licenses import verification, wallet
from yiwang.licenses.models import Authorization, License, LicenseUse

router = Router(tags=["电子证照核验"])
TRUST_LIST_MAX_AGE = 300  # seconds a verifier may keep the list before asking again


# The verification answers are plain pydantic models, built by the views and encoded by
# pydantic (core.api.model_response): django-ninja would validate a dict of nested Schemas
# through its attribute getter field by field, then encode it again with its JSON encoder.


class ChangedField(BaseModel):
    field: str
    label: str


class LicenseFieldOut(BaseModel):
    name: str
    title: str
    value: str


class VerificationOut(BaseModel):
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


def verification_out(outcome: verification.Outcome) -> VerificationOut:
    return VerificationOut(
        **{name: getattr(outcome, name) for name in SCALARS},
        changed=[
            ChangedField(field=name, label=label)
            for name, label in zip(outcome.changed_fields, outcome.changed_labels, strict=True)
        ],
        fields=[LicenseFieldOut(**vars(row)) for row in outcome.fields],
    )


VERIFY_ERRORS = {400: Problem, 404: Problem, 429: Problem}


@router.get(
    "/licenses/verify",
    auth=None,
    response={200: VerificationOut, **VERIFY_ERRORS},
    summary="核验电子证照（证照标识 + 验证码）",
)
def verify(request: HttpRequest, identifier: str, code: str):
    address = client_address(request)
    verification.limit_lookup(address)
    outcome = verification.verify_by_code(identifier, code, address=address)
    return model_response(verification_out(outcome))


@router.post(
    "/licenses/verify",
    auth=None,
    response={200: VerificationOut, **VERIFY_ERRORS},
    summary="核验电子证照（上传 PDF 或 JSON 文件，或提交二维码内容）",
)
def verify_file(request: HttpRequest, file: File[UploadedFile] = None, qr: Form[str] = ""):
    address = client_address(request)
    if file is None and not qr:
        raise DomainError.of("file", "请上传电子证照的 PDF 或 JSON 文件，或提交二维码内容")
    if file is None:
        verification.limit_lookup(address)
        return model_response(verification_out(verification.verify_qr(qr, address=address)))
    verification.limit_upload(address)
    data = file.read(settings.MAX_UPLOAD_BYTES + 1)
    return model_response(verification_out(verification.verify_upload(data, address=address)))


class BatchItemIn(Schema):
    identifier: str
    code: str


class BatchIn(Schema):
    items: list[BatchItemIn]


class BatchItemOut(BaseModel):
    """One license of the batch: its verification, or why it was refused (`field`, `error`:
    a malformed identifier or code, or 未找到 for an unknown identifier and a wrong code alike)."""

    identifier: str
    verification: VerificationOut | None
    field: str
    error: str


class BatchOut(BaseModel):
    results: list[BatchItemOut]


@router.post(
    "/licenses/verify/batch",
    auth=None,
    response={200: BatchOut, 400: Problem, 429: Problem},
    summary="批量核验电子证照（每次至多100个证照标识 + 验证码）",
)
def verify_batch(request: HttpRequest, body: BatchIn):
    address = client_address(request)
    verification.limit_batch(address)
    pairs = [(item.identifier, item.code) for item in body.items]
    answers = verification.verify_batch(pairs, address=address)
    batch = BatchOut(
        results=[
            BatchItemOut(
                identifier=answer.identifier,
                verification=answer.outcome and verification_out(answer.outcome),
                field=answer.field,
                error=answer.error,
            )
            for answer in answers
        ]
    )
    return model_response(batch)


@router.get(
    "/licenses/trust-list",
    auth=None,
    response=dict,
    summary="信任列表（本平台全部印章的公钥、有效期与状态，经平台密钥签名，供离线核验）",
)
def trust_list(request: HttpRequest):
    return verification.published_trust_list()


@require_safe
def well_known_trust_list(request: HttpRequest) -> JsonResponse:
    """/.well-known/yiwang-trust-list.json: public, cacheable, readable from any origin."""
    response = JsonResponse(
        verification.published_trust_list(), json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = f"public, max-age={TRUST_LIST_MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- the wallet ---------------------------------------------------------------------------------

wallet_router = Router()  # mounted on `router` at the end of the module
# Published with these operation ids when the wallet had a module of its own (api_wallet);
# clients generated from the OpenAPI document keep their method names.
WALLET_OPERATION = "yiwang_licenses_api_wallet_"
WALLET_ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem}
ACCESS_CODE_RATE = "10/m"


class FieldOut(Schema):
    title: str
    value: str


class IssuerOut(Schema):
    name: str
    uscc: str


class LicenseOut(Schema):
    identifier: str
    title: str
    type_code: str
    holder_name: str
    holder_id_masked: str
    holder_kind: str
    issuer: IssuerOut
    issued_on: date
    valid_from: date
    valid_until: date | None
    version: int
    status: str
    status_label: str


class LicenseDetailOut(LicenseOut):
    fields: list[FieldOut]
    data: dict


class VerdictOut(Schema):
    verdict: str
    verdict_label: str
    detail: str


class ShowingOut(Schema):
    url: str
    expires_at: datetime


class AuthorizationIn(Schema):
    grantee_kind: str
    grantee_agency_id: int | None = None
    grantee_name: str = ""
    grantee_uscc: str = ""
    purpose: str
    valid_from: datetime
    valid_until: datetime


class AuthorizationOut(Schema):
    id: int
    grantee_kind: str
    grantee_name: str
    grantee_uscc: str
    purpose: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    state: str


class GrantedOut(AuthorizationOut):
    access_code: str = ""


class UseOut(Schema):
    kind: str
    kind_label: str
    used_at: datetime
    user: str
    authorization_id: int | None
    address: str


class AuthorizedLicenseOut(Schema):
    authorization_id: int
    purpose: str
    valid_until: datetime
    license: LicenseDetailOut
    verification: VerdictOut


class AccessCodeIn(Schema):
    access_code: str
    grantee_uscc: str
    identifier: str


def _license_out(license: License, *, detailed: bool = False) -> dict:
    state = wallet.license_state(license)
    out = {
        "identifier": license.identifier,
        "title": wallet.display_title(license),
        "type_code": license.license_type.code,
        "holder_name": license.holder_name,
        "holder_id_masked": license.holder_id_masked,
        "holder_kind": license.holder_kind,
        "issuer": {"name": license.issuer.name, "uscc": license.issuer.uscc},
        "issued_on": license.issued_on,
        "valid_from": license.valid_from,
        "valid_until": license.valid_until,
        "version": license.version,
        "status": str(state),
        "status_label": state.label,
    }
    if detailed:
        out["fields"] = [
            {"title": title, "value": value} for title, value in wallet.license_fields(license)
        ]
        out["data"] = license.data
    return out


def _authorization_out(authorization: Authorization, access_code: str = "") -> dict:
    return {
        "id": authorization.pk,
        "grantee_kind": authorization.grantee_kind,
        "grantee_name": authorization.grantee_name,
        "grantee_uscc": authorization.grantee_uscc,
        "purpose": authorization.purpose,
        "valid_from": authorization.valid_from,
        "valid_until": authorization.valid_until,
        "revoked_at": authorization.revoked_at,
        "state": wallet.authorization_state(authorization),
        "access_code": wallet.grouped(access_code) if access_code else "",
    }


def _use_out(use: LicenseUse) -> dict:
    return {
        "kind": use.kind,
        "kind_label": use.get_kind_display(),
        "used_at": use.used_at,
        "user": use.user,
        "authorization_id": use.authorization_id,
        "address": use.address,
    }


def _read_out(read: wallet.AuthorizedRead) -> dict:
    checked = read.verification
    return {
        "authorization_id": read.authorization.pk,
        "purpose": read.authorization.purpose,
        "valid_until": read.authorization.valid_until,
        "license": _license_out(read.license, detailed=True),
        "verification": {
            "verdict": str(checked.verdict),
            "verdict_label": checked.verdict.label,
            "detail": checked.detail,
        },
    }


def _holder(request: HttpRequest):
    """Holder endpoints are for persons; a staff session holds no licenses of its own."""
    if not request.user.is_person:
        raise NotFound("证照")
    return request.user


# --- holders ----------------------------------------------------------------------------------


@wallet_router.get(
    "/wallet/licenses",
    response={200: list[LicenseOut], **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "list_licenses",
    auth=django_auth,
    summary="我的证照：本人及可代表的单位持有的证照",
)
def list_licenses(request):
    return [_license_out(license) for license in wallet.wallet_licenses(_holder(request))]


@wallet_router.get(
    "/wallet/licenses/{identifier}",
    response={200: LicenseDetailOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "license_detail",
    auth=django_auth,
    summary="证照详情",
)
def license_detail(request, identifier: str):
    return _license_out(wallet.access_license(_holder(request), identifier), detailed=True)


@wallet_router.get(
    "/wallet/licenses/{identifier}/uses",
    response={200: list[UseOut], **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "license_uses",
    auth=django_auth,
    summary="用证记录（最新在前，最多200条）",
)
def license_uses(request, identifier: str):
    license = wallet.access_license(_holder(request), identifier)
    return [_use_out(use) for use in wallet.uses_of(license)[:200]]


@wallet_router.post(
    "/wallet/licenses/{identifier}/showings",
    response={201: ShowingOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "show_license",
    auth=django_auth,
    summary="亮证：生成限时查验链接（用于二维码）",
)
def show_license(request, identifier: str):
    """Send an `Idempotency-Key` header: a retry with the same key answers as the first time
    (the same link, no second showing)."""
    license = wallet.access_license(_holder(request), identifier)
    showing, token = wallet.show_license(
        license=license,
        account=request.user,
        address=client_address(request),
        idempotency_key=idempotency.request_key(request),
    )
    return Status(201, {"url": wallet.shown_url(token), "expires_at": showing.expires_at})


@wallet_router.get(
    "/wallet/licenses/{identifier}/authorizations",
    response={200: list[AuthorizationOut], **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "list_authorizations",
    auth=django_auth,
    summary="授权用证记录",
)
def list_authorizations(request, identifier: str):
    license = wallet.access_license(_holder(request), identifier)
    return [_authorization_out(a) for a in wallet.authorizations_of(license)]


@wallet_router.post(
    "/wallet/licenses/{identifier}/authorizations",
    response={201: GrantedOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "authorize",
    auth=django_auth,
    summary="授权政务部门或第三方机构在一定期限内使用证照（第三方返回一次性访问码，仅显示一次）",
)
def authorize(request, identifier: str, payload: AuthorizationIn):
    """Send an `Idempotency-Key` header: a retry with the same key answers as the first time
    (the same authorization and access code, no second grant)."""
    license = wallet.access_license(_holder(request), identifier)
    authorization, code = wallet.authorize_use(
        license=license,
        account=request.user,
        grantee_kind=payload.grantee_kind,
        grantee_agency_id=payload.grantee_agency_id,
        grantee_name=payload.grantee_name,
        grantee_uscc=payload.grantee_uscc,
        purpose=payload.purpose,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
        address=client_address(request),
        idempotency_key=idempotency.request_key(request),
    )
    return Status(201, _authorization_out(authorization, code))


@wallet_router.post(
    "/wallet/licenses/{identifier}/authorizations/{authorization_id}/revoke",
    response={200: AuthorizationOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "revoke",
    auth=django_auth,
    summary="撤回用证授权",
)
def revoke(request, identifier: str, authorization_id: int):
    license = wallet.access_license(_holder(request), identifier)
    authorization = wallet.revoke_authorization(
        authorization=wallet.access_authorization(license, authorization_id),
        account=request.user,
        address=client_address(request),
    )
    return _authorization_out(authorization)


# --- grantees ---------------------------------------------------------------------------------
# The fixed path goes first: "/authorized-licenses/{authorization_id}" would match it too.


class AgencyReadQuery(Schema):
    identifier: str


@wallet_router.post(
    "/authorized-licenses/access-code",
    response={200: AuthorizedLicenseOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "read_with_access_code",
    auth=None,
    summary="授权用证（第三方机构）：凭持证人交付的一次性访问码读取证照",
)
def read_with_access_code(request, payload: AccessCodeIn):
    hit("license_access_code", client_address(request), ACCESS_CODE_RATE)  # 429 + Retry-After
    read = wallet.read_with_access_code(
        code=payload.access_code,
        grantee_uscc=payload.grantee_uscc,
        identifier=payload.identifier,
        address=client_address(request),
    )
    return _read_out(read)


@wallet_router.get(
    "/authorized-licenses/{authorization_id}",
    response={200: AuthorizedLicenseOut, **WALLET_ERRORS},
    operation_id=WALLET_OPERATION + "read_as_agency",
    auth=django_auth,
    summary="授权用证（政务部门）：被授权部门的工作人员在授权期限内读取证照",
)
def read_as_agency(request, authorization_id: int, query: Query[AgencyReadQuery]):
    read = wallet.read_as_agency(
        account=request.user,
        authorization_id=authorization_id,
        identifier=query.identifier,
        address=client_address(request),
    )
    return _read_out(read)


# One router for the context, as src/yiwang/api.py registers every context's. Tags given at the
# mount replace the parent's; a nested router's own would be added to them.
router.add_router("", wallet_router, tags=["我的证照"])
