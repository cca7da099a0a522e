"""The wallet over HTTP: holders list their licenses, show them (亮证), authorize and revoke
their use and read the usage log; grantees use a license under an authorization — agency staff
signed in, a third party with its one-time access code.

Holders reach only licenses they hold or may act for (another's is 404, like a wrong
identifier); a grantee's refusal is 403 with the Chinese reason, audited, with nothing of the
license in it. The rules live in licenses.wallet.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.security import django_auth

from yiwang.core.api import Problem
from yiwang.core.errors import NotFound
from yiwang.core.ratelimit import client_address, hit
from yiwang.licenses import wallet
from yiwang.licenses.models import Authorization, License, LicenseUse

router = Router(tags=["我的证照"])
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 429: Problem}
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


class VerificationOut(Schema):
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
    verification: VerificationOut


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
    verification = read.verification
    return {
        "authorization_id": read.authorization.pk,
        "purpose": read.authorization.purpose,
        "valid_until": read.authorization.valid_until,
        "license": _license_out(read.license, detailed=True),
        "verification": {
            "verdict": str(verification.verdict),
            "verdict_label": verification.verdict.label,
            "detail": verification.detail,
        },
    }


def _holder(request: HttpRequest):
    """Holder endpoints are for persons; a staff session holds no licenses of its own."""
    if not request.user.is_person:
        raise NotFound("证照")
    return request.user


# --- holders ----------------------------------------------------------------------------------


@router.get(
    "/wallet/licenses",
    response={200: list[LicenseOut], **ERRORS},
    auth=django_auth,
    summary="我的证照：本人及可代表的单位持有的证照",
)
def list_licenses(request):
    return [_license_out(license) for license in wallet.wallet_licenses(_holder(request))]


@router.get(
    "/wallet/licenses/{identifier}",
    response={200: LicenseDetailOut, **ERRORS},
    auth=django_auth,
    summary="证照详情",
)
def license_detail(request, identifier: str):
    return _license_out(wallet.access_license(_holder(request), identifier), detailed=True)


@router.get(
    "/wallet/licenses/{identifier}/uses",
    response={200: list[UseOut], **ERRORS},
    auth=django_auth,
    summary="用证记录（最新在前，最多200条）",
)
def license_uses(request, identifier: str):
    license = wallet.access_license(_holder(request), identifier)
    return [_use_out(use) for use in wallet.uses_of(license)[:200]]


@router.post(
    "/wallet/licenses/{identifier}/showings",
    response={201: ShowingOut, **ERRORS},
    auth=django_auth,
    summary="亮证：生成限时查验链接（用于二维码）",
)
def show_license(request, identifier: str):
    license = wallet.access_license(_holder(request), identifier)
    showing, token = wallet.show_license(
        license=license, account=request.user, address=client_address(request)
    )
    return Status(201, {"url": wallet.shown_url(token), "expires_at": showing.expires_at})


@router.get(
    "/wallet/licenses/{identifier}/authorizations",
    response={200: list[AuthorizationOut], **ERRORS},
    auth=django_auth,
    summary="授权用证记录",
)
def list_authorizations(request, identifier: str):
    license = wallet.access_license(_holder(request), identifier)
    return [_authorization_out(a) for a in wallet.authorizations_of(license)]


@router.post(
    "/wallet/licenses/{identifier}/authorizations",
    response={201: GrantedOut, **ERRORS},
    auth=django_auth,
    summary="授权政务部门或第三方机构在一定期限内使用证照（第三方返回一次性访问码，仅显示一次）",
)
def authorize(request, identifier: str, payload: AuthorizationIn):
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
    )
    return Status(201, _authorization_out(authorization, code))


@router.post(
    "/wallet/licenses/{identifier}/authorizations/{authorization_id}/revoke",
    response={200: AuthorizationOut, **ERRORS},
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


@router.post(
    "/authorized-licenses/access-code",
    response={200: AuthorizedLicenseOut, **ERRORS},
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


@router.get(
    "/authorized-licenses/{authorization_id}",
    response={200: AuthorizedLicenseOut, **ERRORS},
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
