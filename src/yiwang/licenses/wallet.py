"""The wallet (我的证照): a holder's licenses, 亮证, 授权用证 and 用证记录.

- Holders. A person holds the licenses filed under their account's ID-number blind index and
  acts on those of the organizations they may act for now (legal representative or agent).
  Every page and endpoint finds a license through `access_license(account, identifier)`, so
  another holder's license — guessed identifier or not — is simply not found.
- 亮证. Each showing has a random token; only its blind index (HMAC-SM3 under the
  `license.show_token` key) is stored, so the database never holds a working link. It lives
  LICENSE_SHOW_SECONDS. A verifier who opens it (no login) sees the license, its verification
  and its status; every opening is logged (SHOWN, with the address). A forged or expired
  token is refused with a Chinese reason, written to the audit trail, and shows nothing.
- 授权用证. The holder authorizes an agency (an Organization) or a third party (name + USCC)
  for a purpose and a period of at most AUTHORIZATION_MAX_DAYS, and may revoke it. Agency staff
  — a case-handling role assigned at the grantee agency — read the license under the
  authorization while it is in force; a third party presents the one-time access code the holder
  was shown when granting (only its blind index is kept; it opens the license once). Every read
  logs AUTHORIZED_USE with its authorization. Every refusal (another agency, another license,
  not yet in force, expired, revoked, a used or wrong code) is written to the audit trail with
  its reason, and nothing of the license is returned.
- Downloads (PDF, JSON) log DOWNLOADED.
- Retries. Showing and authorizing take an Idempotency-Key (core.idempotency): a retry gets the
  first answer again, the link or the access code included, and nothing is made twice. Those
  secrets are random without a key; with one they are derived from the account and the key
  under a platform key (HMAC-SM3), so a retry can be given them again while the database still
  holds only their blind index.
- Housekeeping. Showings expired longer than LICENSE_SHOWING_RETENTION_DAYS are deleted; the
  use log names a showing only by its id, so 用证记录 keeps every entry.

The authorization row is locked while it is used or revoked, so a read and a revocation that
race are ordered, and a one-time code cannot be used twice.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from yiwang.core import idempotency
from yiwang.core.audit import record_audit
from yiwang.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound
from yiwang.core.identifiers import validate_uscc
from yiwang.core.keys import Sealer, blind_index
from yiwang.identity import selectors as identity
from yiwang.identity.constants import Role
from yiwang.identity.models import Account, RoleAssignment
from yiwang.licenses import identifiers, services, signing
from yiwang.licenses.constants import (
    HOLDER_ID_PURPOSE,
    GranteeKind,
    HolderKind,
    LicenseStatus,
    UseKind,
    Verdict,
)
from yiwang.licenses.models import Authorization, License, LicenseUse, Showing
from yiwang.licenses.selectors import VERIFICATION_JOINS
from yiwang.regions.models import Organization

SHOW_TOKEN_PURPOSE = "license.show_token"
ACCESS_CODE_PURPOSE = "license.access_code"
REPLAYED_SECRET_PURPOSE = "license.replayed_secret"
SHOWN_PATH = "/licenses/shown/{token}/"
TOKEN_BYTES = 24  # 32 characters of URL-safe Base64
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")
# Crockford's base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits
CODE_BYTES = 10
CODE_SHAPE = re.compile(rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
AUTHORIZATION_MAX_DAYS = 366
CLOCK_SKEW = timedelta(minutes=5)  # a start "now" typed a moment ago is not in the past
PURPOSE_MAX = 200
GRANTEE_NAME_MAX = 200
# Staff who handle cases at the grantee agency may use a license authorized to it; the three
# administrators (三员), catalog and data administrators do not handle applicants' licenses.
LICENSE_USER_ROLES = (Role.WINDOW_CLERK, Role.REVIEWER, Role.APPROVER)
ANONYMOUS_VERIFIER = "匿名查验（扫码）"
HOUSEKEEPING_ACTOR = "系统（定期清理）"
PURGE_BATCH = 5000


# --- reads: the holder's licenses ----------------------------------------------------------


def holder_indexes(account: Account) -> list[str]:
    """The blind indexes of every holder this person may act as: themselves (the account's
    ID-number index) and each organization they may act for now."""
    if not account.is_authenticated or not account.is_person or not account.is_active:
        return []
    indexes = [account.id_number_index] if account.id_number_index else []
    usccs = [member.organization.uscc for member in identity.memberships(account)]
    if usccs:
        sealer = Sealer(HOLDER_ID_PURPOSE[HolderKind.ORGANIZATION])
        indexes += [sealer.index(uscc) for uscc in usccs]
    return indexes


def wallet_licenses(account: Account) -> QuerySet[License]:
    """我的证照: the person's own licenses and their organizations', newest first."""
    return (
        License.objects.select_related("license_type", "issuer")
        .filter(holder_id_index__in=holder_indexes(account))
        .order_by("-issued_on", "-id")
    )


def access_license(account: Account, identifier: str) -> License:
    """A license this person holds (or may act for), by identifier; anything else — another
    holder's license, an unknown or malformed identifier — is NotFound alike."""
    try:
        normalized = str(identifiers.parse_identifier(identifier))
    except DomainError as error:
        raise NotFound("证照") from error
    license = (
        License.objects.select_related(*VERIFICATION_JOINS)
        .filter(identifier=normalized, holder_id_index__in=holder_indexes(account))
        .first()
    )
    if license is None:
        raise NotFound("证照")
    return license


def uses_of(license: License) -> QuerySet[LicenseUse]:
    """用证记录, newest first, through the (license, -used_at) index."""
    return license.uses.select_related("authorization").order_by("-used_at", "-id")


def authorizations_of(license: License) -> QuerySet[Authorization]:
    return license.authorizations.select_related("grantee_agency").order_by("-created_at", "-id")


def license_state(license: License, today: date | None = None) -> Verdict:
    """The status a holder reads: the registry's revocation or cancellation first, then the
    validity period counted with today's date."""
    today = today or timezone.localdate()
    if license.status == LicenseStatus.REVOKED:
        return Verdict.REVOKED
    if license.status == LicenseStatus.CANCELLED:
        return Verdict.CANCELLED
    if license.valid_until is not None and today > license.valid_until:
        return Verdict.EXPIRED
    if today < license.valid_from:
        return Verdict.NOT_YET_VALID
    return Verdict.VALID


def display_title(license: License) -> str:
    hints = license.license_type.display_hints or {}
    return hints.get("title") or license.license_type.name


def license_fields(license: License) -> list[tuple[str, str]]:
    """(title, value) of the license's data, in the type's display order, then the schema's."""
    properties = license.license_type.data_schema.get("properties", {})
    order = list((license.license_type.display_hints or {}).get("order", []))
    names = order + [name for name in properties if name not in order]
    names += [name for name in license.data if name not in names]
    return [
        (properties.get(name, {}).get("title", name), _shown_value(license.data[name]))
        for name in names
        if name in license.data
    ]


def _shown_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_shown_value(item) for item in value)
    return str(value)


def authorization_state(authorization: Authorization, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if authorization.revoked_at is not None:
        return "已撤回"
    if authorization.access_code_used_at is not None:
        return "已使用"
    if now < authorization.valid_from:
        return "未生效"
    if now >= authorization.valid_until:
        return "已到期"
    return "有效"


# --- 亮证 ------------------------------------------------------------------------------------


def shown_url(token: str) -> str:
    """The address a showing's QR code carries (the portal serves it)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + SHOWN_PATH.format(token=token)


def _secret_bytes(what: str, account: Account | None, key: str, *context: str, size: int) -> bytes:
    """Random bytes; for a request with an Idempotency-Key, bytes derived from what they are
    for, the account, the key and `context`, so that the request's retry gets them again."""
    if not key:
        return secrets.token_bytes(size)
    message = "\x00".join((what, str(account.pk), key, *context))
    return bytes.fromhex(blind_index(REPLAYED_SECRET_PURPOSE, message))[:size]


def _show_token(account: Account, key: str, expires_at: datetime) -> str:
    # The expiry is part of a derived token: a key used again after its showing was deleted
    # (housekeeping) makes a new link, not the old one again.
    moment = expires_at.astimezone(UTC).isoformat()
    return base64.urlsafe_b64encode(
        _secret_bytes("show", account, key, moment, size=TOKEN_BYTES)
    ).decode()


def _same_license(row: Showing | Authorization, license: License) -> None:
    if row.license_id != license.pk:
        raise Conflict(
            idempotency.HEADER, "该 Idempotency-Key 已用于另一张证照的请求，新的请求请换一个"
        )


@transaction.atomic
def show_license(
    *, license: License, account: Account, address: str = "", idempotency_key: str = ""
) -> tuple[Showing, str]:
    """亮证: a new showing of a license the person holds; returns it and its token, which
    exists only in this answer (and the QR code made from it). A retry with the same
    Idempotency-Key gets the same showing and token."""
    key = idempotency_key

    def show() -> tuple[Showing, str]:
        expires_at = timezone.now() + timedelta(seconds=settings.LICENSE_SHOW_SECONDS)
        token = _show_token(account, key, expires_at)
        showing = Showing.objects.create(
            license=license,
            token_index=blind_index(SHOW_TOKEN_PURPOSE, token),
            created_by=account,
            expires_at=expires_at,
            idempotency_key=key,
        )
        record_audit(
            "license.shown",
            actor=str(account),
            target=license.identifier,
            address=address,
            detail={"showing": showing.pk, "expires_at": showing.expires_at.isoformat()},
        )
        return showing, token

    def shown_before() -> tuple[Showing, str] | None:
        showing = Showing.objects.filter(created_by=account, idempotency_key=key).first()
        return (showing, _show_token(account, key, showing.expires_at)) if showing else None

    showing, token = idempotency.once(key, show, shown_before)
    _same_license(showing, license)
    return showing, token


@dataclass(frozen=True)
class ShownLicense:
    """What a verifier sees: the license, its verification, and until when the code lives."""

    license: License
    verification: signing.Verification
    expires_at: datetime


def _refuse(
    error: DomainError, *, action: str, actor: str, target: str, address: str, **detail
) -> DomainError:
    """Audit a refusal in a transaction of its own (the refusal itself changes nothing)."""
    with transaction.atomic():
        record_audit(
            action,
            actor=actor,
            target=target,
            address=address,
            detail={"reason": error.detail, **detail},
        )
    return error


def open_showing(
    *, token: str, address: str = "", today: date | None = None, keyring=None
) -> ShownLicense:
    """A verifier opens a showing's link: the license and its verification while the token
    lives, logged as SHOWN; a forged or expired token is refused (404 / 410) and audited."""
    token = (token or "").strip()
    showing = None
    if TOKEN_SHAPE.fullmatch(token):
        showing = (
            Showing.objects.select_related(*(f"license__{join}" for join in VERIFICATION_JOINS))
            .filter(token_index=blind_index(SHOW_TOKEN_PURPOSE, token))
            .first()
        )
    if showing is None:
        refusal = DomainError.of(
            "", "亮证二维码无效：请持证人重新亮证后再扫码", status=404, title="亮证码无效"
        )
        raise _refuse(
            refusal,
            action="license.showing_refused",
            actor=ANONYMOUS_VERIFIER,
            target="",
            address=address,
        )
    if timezone.now() >= showing.expires_at:
        refusal = DomainError.of(
            "",
            "亮证二维码已过期：请持证人重新亮证后再扫码",
            status=410,
            title="亮证码已过期",
        )
        raise _refuse(
            refusal,
            action="license.showing_refused",
            actor=ANONYMOUS_VERIFIER,
            target=showing.license.identifier,
            address=address,
            showing=showing.pk,
        )
    license = showing.license
    verification = services.verify_license(license, today=today, keyring=keyring)
    LicenseUse.objects.create(
        license=license,
        kind=UseKind.SHOWN,
        used_at=timezone.now(),
        user=ANONYMOUS_VERIFIER,
        address=address[:45],
        detail={"showing": showing.pk, "verdict": str(verification.verdict)},
    )
    return ShownLicense(license, verification, showing.expires_at)


def purge_expired_showings(*, now: datetime | None = None) -> int:
    """Delete the showings expired more than LICENSE_SHOWING_RETENTION_DAYS ago; returns how
    many. Until then a late scan is told 已过期 (410) rather than 无效 (404). Batches of
    PURGE_BATCH, each its own transaction, so a large purge holds no lock for long. The use
    log keeps every entry: a LicenseUse names its showing only by id, in `detail`."""
    days = settings.LICENSE_SHOWING_RETENTION_DAYS
    if days < 0:  # a negative period would delete showings still in use
        raise ImproperlyConfigured("YIWANG_LICENSE_SHOWING_RETENTION_DAYS must be 0 or more")
    expired_before = (now or timezone.now()) - timedelta(days=days)
    expired = Showing.objects.filter(expires_at__lt=expired_before)
    deleted = 0
    while batch := list(expired.values_list("pk", flat=True)[:PURGE_BATCH]):
        with transaction.atomic():
            deleted += Showing.objects.filter(pk__in=batch).delete()[0]
    if deleted:
        with transaction.atomic():
            record_audit(
                "license.showings_purged",
                actor=HOUSEKEEPING_ACTOR,
                target="Showing",
                detail={"deleted": deleted, "expired_before": expired_before.isoformat()},
            )
    return deleted


# --- downloads -----------------------------------------------------------------------------


def record_download(*, license: License, account: Account, form: str, address: str = "") -> None:
    """A holder took the license away as `form` (pdf, json): logged in 用证记录."""
    LicenseUse.objects.create(
        license=license,
        kind=UseKind.DOWNLOADED,
        used_at=timezone.now(),
        user=f"持证人（{account.name}）" if account.name else "持证人",
        address=address[:45],
        detail={"format": form},
    )


# --- 授权用证: granting and revoking ----------------------------------------------------------


def _text(value: str, field: str, label: str, max_length: int, errors: list[FieldError]) -> str:
    value = (value or "").strip()
    if not value:
        errors.append(FieldError(field, f"请填写{label}"))
    elif len(value) > max_length:
        errors.append(FieldError(field, f"{label}不超过{max_length}个字"))
    return value


def _aware(moment):
    """Times without a zone are read as Beijing time (Asia/Shanghai, the platform's zone)."""
    if isinstance(moment, datetime) and timezone.is_naive(moment):
        return timezone.make_aware(moment)
    return moment


def _period_errors(valid_from, valid_until, now: datetime) -> list[FieldError]:
    errors = []
    if not isinstance(valid_from, datetime):
        errors.append(FieldError("valid_from", "请填写生效时间"))
    elif valid_from < now - CLOCK_SKEW:
        errors.append(FieldError("valid_from", "生效时间不能早于当前时间"))
    if not isinstance(valid_until, datetime):
        errors.append(FieldError("valid_until", "请填写失效时间"))
    elif isinstance(valid_from, datetime):
        if valid_until <= valid_from:
            errors.append(FieldError("valid_until", "失效时间应晚于生效时间"))
        elif valid_until <= now:
            errors.append(FieldError("valid_until", "失效时间不能早于当前时间"))
        elif valid_until - valid_from > timedelta(days=AUTHORIZATION_MAX_DAYS):
            errors.append(FieldError("valid_until", f"授权期限最长{AUTHORIZATION_MAX_DAYS}天"))
    return errors


def new_access_code(account: Account | None = None, key: str = "") -> str:
    """A one-time access code: random, or derived for a request with an Idempotency-Key."""
    number = int.from_bytes(_secret_bytes("access_code", account, key, size=CODE_BYTES), "big")
    shifts = range(5 * (CODE_LENGTH - 1), -1, -5)  # 5 bits a symbol, most significant first
    return "".join(CODE_ALPHABET[(number >> shift) & 0b11111] for shift in shifts)


def normalized_access_code(code: str) -> str:
    """Upper case without separators; O, I and L read as 0, 1, 1 (Crockford)."""
    compact = re.sub(r"[\s-]", "", code or "").upper()
    return compact.translate(str.maketrans("OIL", "011"))


def grouped(code: str) -> str:
    """A code as the holder reads it out: XXXX-XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@transaction.atomic
def authorize_use(
    *,
    license: License,
    account: Account,
    grantee_kind: str,
    purpose: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    grantee_agency_id: int | str | None = None,
    grantee_name: str = "",
    grantee_uscc: str = "",
    address: str = "",
    idempotency_key: str = "",
) -> tuple[Authorization, str]:
    """授权用证: let an agency or a third party use the license for a purpose and a period.
    Returns the authorization and, for a third party, its one-time access code (shown to the
    holder once, never stored in clear; "" for an agency). Every fault is named at once. A
    retry with the same Idempotency-Key gets the first answer again, the code included."""
    key = idempotency_key

    def grant() -> tuple[Authorization, str]:
        return _grant(
            license=license,
            account=account,
            grantee_kind=grantee_kind,
            grantee_agency_id=grantee_agency_id,
            grantee_name=grantee_name,
            grantee_uscc=grantee_uscc,
            purpose=purpose,
            valid_from=valid_from,
            valid_until=valid_until,
            address=address,
            key=key,
        )

    def granted_before() -> tuple[Authorization, str] | None:
        earlier = Authorization.objects.filter(created_by=account, idempotency_key=key).first()
        if earlier is None:
            return None
        third_party = earlier.grantee_kind == GranteeKind.THIRD_PARTY
        return earlier, new_access_code(account, key) if third_party else ""

    authorization, code = idempotency.once(key, grant, granted_before)
    _same_license(authorization, license)
    return authorization, code


def _grant(
    *,
    license: License,
    account: Account,
    grantee_kind: str,
    grantee_agency_id: int | str | None,
    grantee_name: str,
    grantee_uscc: str,
    purpose: str,
    valid_from: datetime | None,
    valid_until: datetime | None,
    address: str,
    key: str,
) -> tuple[Authorization, str]:
    now = timezone.now()
    errors: list[FieldError] = []
    agency = None
    if grantee_kind == GranteeKind.AGENCY:
        agency = _agency(grantee_agency_id)
        if agency is None:
            errors.append(FieldError("grantee_agency", "请选择被授权的政务部门"))
        else:
            grantee_name, grantee_uscc = agency.name, agency.uscc
    elif grantee_kind == GranteeKind.THIRD_PARTY:
        grantee_name = _text(
            grantee_name, "grantee_name", "被授权机构名称", GRANTEE_NAME_MAX, errors
        )
        try:
            grantee_uscc = validate_uscc((grantee_uscc or "").strip().upper(), field="grantee_uscc")
        except DomainError as error:
            errors += error.errors
    else:
        errors.append(FieldError("grantee_kind", "请选择被授权方类别（政务部门或第三方机构）"))
    purpose = _text(purpose, "purpose", "用途", PURPOSE_MAX, errors)
    valid_from, valid_until = _aware(valid_from), _aware(valid_until)
    errors += _period_errors(valid_from, valid_until, now)
    state = license_state(license)
    if state in (Verdict.REVOKED, Verdict.CANCELLED, Verdict.EXPIRED):
        errors.append(FieldError("", f"该证照{state.label}，不能授权他人使用"))
    if errors:
        raise DomainError(errors)
    code = new_access_code(account, key) if grantee_kind == GranteeKind.THIRD_PARTY else ""
    authorization = Authorization.objects.create(
        license=license,
        grantee_kind=grantee_kind,
        grantee_agency=agency,
        grantee_name=grantee_name,
        grantee_uscc=grantee_uscc,
        purpose=purpose,
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=account,
        access_code_index=blind_index(ACCESS_CODE_PURPOSE, code) if code else "",
        idempotency_key=key,
    )
    record_audit(
        "license.authorized",
        actor=str(account),
        target=license.identifier,
        address=address,
        detail={
            "authorization": authorization.pk,
            "grantee": f"{grantee_name}（{grantee_uscc}）",
            "purpose": purpose,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
        },
    )
    return authorization, code


def _agency(agency_id) -> Organization | None:
    try:
        agency_id = int(agency_id)
    except (TypeError, ValueError):
        return None
    return Organization.objects.filter(pk=agency_id).first()


@transaction.atomic
def revoke_authorization(
    *, authorization: Authorization, account: Account, address: str = ""
) -> Authorization:
    """The holder takes an authorization back; a second revocation is refused."""
    authorization = (
        Authorization.objects.select_for_update(of=("self",))
        .select_related("license")
        .get(pk=authorization.pk)
    )
    if authorization.revoked_at is not None:
        raise Conflict("", "该授权已撤回")
    authorization.revoked_at = timezone.now()
    authorization.save(update_fields=["revoked_at"])
    record_audit(
        "license.authorization_revoked",
        actor=str(account),
        target=authorization.license.identifier,
        address=address,
        detail={"authorization": authorization.pk, "grantee": authorization.grantee_name},
    )
    return authorization


def access_authorization(license: License, authorization_id: int) -> Authorization:
    """One of this license's authorizations (the holder's view); another's is NotFound."""
    authorization = license.authorizations.filter(pk=authorization_id).first()
    if authorization is None:
        raise NotFound("授权")
    return authorization


# --- 授权用证: the grantee's side -------------------------------------------------------------


def staff_agency_ids(account: Account) -> set[int]:
    """The agencies whose authorized licenses this staff member may use: those where they
    hold a case-handling role now."""
    if not account.is_authenticated or not account.is_active or account.is_person:
        return set()
    return set(
        RoleAssignment.objects.filter(
            account=account,
            role__in=LICENSE_USER_ROLES,
            revoked_at__isnull=True,
            agency__isnull=False,
        ).values_list("agency_id", flat=True)
    )


def authorizations_for_staff(account: Account) -> QuerySet[Authorization]:
    """Authorizations granted to the staff member's agencies, in force now, newest first."""
    now = timezone.now()
    return (
        Authorization.objects.select_related("license__license_type", "grantee_agency")
        .filter(
            grantee_kind=GranteeKind.AGENCY,
            grantee_agency_id__in=staff_agency_ids(account),
            revoked_at__isnull=True,
            valid_from__lte=now,
            valid_until__gt=now,
        )
        .order_by("-created_at", "-id")
    )


def _term_refusal(authorization: Authorization, now: datetime) -> str:
    """Why an authorization does not hold now ("" when it does)."""
    local = timezone.localtime
    if authorization.revoked_at is not None:
        return f"持证人已于{local(authorization.revoked_at):%Y-%m-%d %H:%M}撤回该授权"
    if now < authorization.valid_from:
        return f"该授权尚未生效（{local(authorization.valid_from):%Y-%m-%d %H:%M}起生效）"
    if now >= authorization.valid_until:
        return f"该授权已于{local(authorization.valid_until):%Y-%m-%d %H:%M}到期"
    return ""


@dataclass(frozen=True)
class AuthorizedRead:
    license: License
    authorization: Authorization
    verification: signing.Verification


def _parsed(identifier: str) -> str:
    return str(identifiers.parse_identifier(identifier))


@transaction.atomic
def _authorized_read(
    authorization: Authorization, *, user: str, address: str, staff: str = "", today=None
) -> AuthorizedRead:
    license = License.objects.select_related(*VERIFICATION_JOINS).get(pk=authorization.license_id)
    verification = services.verify_license(license, today=today)
    now = timezone.now()
    LicenseUse.objects.create(
        license=license,
        kind=UseKind.AUTHORIZED_USE,
        used_at=now,
        user=user[:200],
        authorization=authorization,
        address=address[:45],
        detail={"purpose": authorization.purpose, **({"staff": staff} if staff else {})},
    )
    if authorization.grantee_kind == GranteeKind.THIRD_PARTY:
        authorization.access_code_used_at = now
        authorization.save(update_fields=["access_code_used_at"])
    record_audit(
        "license.authorized_use",
        actor=staff or user,
        target=license.identifier,
        address=address,
        detail={"authorization": authorization.pk, "purpose": authorization.purpose},
    )
    return AuthorizedRead(license, authorization, verification)


def read_as_agency(
    *, account: Account, authorization_id: int, identifier: str, address: str = "", today=None
) -> AuthorizedRead:
    """Staff of the grantee agency read the license under an authorization in force. Any other
    case is refused (403, audited): not their agency's, another license, not yet in force,
    expired, revoked."""
    identifier = _parsed(identifier)
    with transaction.atomic():
        authorization = (
            Authorization.objects.select_for_update(of=("self",))
            .select_related("license", "grantee_agency")
            .filter(pk=authorization_id, grantee_kind=GranteeKind.AGENCY)
            .first()
        )
        reason = ""
        if authorization is None or authorization.grantee_agency_id not in staff_agency_ids(
            account
        ):
            reason = "您所在部门未获得该证照持证人的用证授权"
        elif authorization.license.identifier != identifier:
            reason = "该授权不包含此证照，只能使用授权所指的证照"
        else:
            reason = _term_refusal(authorization, timezone.now())
        if not reason:
            user = f"{authorization.grantee_agency.name}（{account.name or account.username}）"
            return _authorized_read(
                authorization, user=user, address=address, staff=str(account), today=today
            )
    raise _refuse(
        Forbidden(reason),
        action="license.use_refused",
        actor=str(account),
        target=identifier,
        address=address,
        authorization=authorization_id,
    )


def read_with_access_code(
    *, code: str, grantee_uscc: str, identifier: str, address: str = "", today=None
) -> AuthorizedRead:
    """A third party presents its one-time access code with its USCC and the license's
    identifier; the first read within the period succeeds and uses the code up."""
    errors: list[FieldError] = []
    code = normalized_access_code(code)
    if not CODE_SHAPE.fullmatch(code):
        errors.append(FieldError("access_code", f"访问码应为{CODE_LENGTH}位字母或数字"))
    try:
        grantee_uscc = validate_uscc((grantee_uscc or "").strip().upper(), field="grantee_uscc")
    except DomainError as error:
        errors += error.errors
    try:
        identifier = _parsed(identifier)
    except DomainError as error:
        errors += error.errors
    if errors:
        raise DomainError(errors)
    with transaction.atomic():
        authorization = (
            Authorization.objects.select_for_update(of=("self",))
            .select_related("license")
            .filter(access_code_index=blind_index(ACCESS_CODE_PURPOSE, code))
            .first()
        )
        if authorization is None or authorization.grantee_uscc != grantee_uscc:
            reason = "访问码无效，或与被授权机构的统一社会信用代码不符"
        elif authorization.license.identifier != identifier:
            reason = "该授权不包含此证照，只能使用授权所指的证照"
        elif authorization.access_code_used_at is not None:
            reason = "访问码已使用（仅可使用一次），如需再次用证请持证人重新授权"
        else:
            reason = _term_refusal(authorization, timezone.now())
        if not reason:
            user = f"{authorization.grantee_name}（{authorization.grantee_uscc}）"
            return _authorized_read(authorization, user=user, address=address, today=today)
    raise _refuse(
        Forbidden(reason),
        action="license.use_refused",
        actor=f"第三方机构（{grantee_uscc}）",
        target=identifier,
        address=address,
        authorization=authorization.pk if authorization else None,
    )
