"""The signed lifecycle of an e-license by its issuing authority.

- 变更 and 延续 make a new version with the same serial (version + 1, linked to the one it
  replaces), and cancel the old one ("已变更为第N版"); 注销 and 撤销 end a license with a reason.
- Only approvers of the issuing agency may (or region-wide approvers above it); the platform
  itself renews when a renewal item's case completes (issuance).
- Each step, issuance included, is a LifecycleRecord signed by the agency's seal over
  {identifier, action, occurred_at, reason}, logged as a seal use, audited, and announced to
  the holder's accounts.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from yiwang.core.audit import record_audit
from yiwang.core.crypto import CryptoError, load_public_key, sm2_verify, sm3_hex
from yiwang.core.errors import Conflict, DomainError, Forbidden
from yiwang.core.events import record_event
from yiwang.identity import selectors as identity
from yiwang.identity.constants import Role
from yiwang.identity.models import Account
from yiwang.licenses import identifiers, license_data, selectors, services, signing
from yiwang.licenses.constants import DocumentKind, LicenseStatus, LifecycleAction, SealStatus
from yiwang.licenses.models import License, LifecycleRecord, Seal, SealUse

REASON_MAX = 500


# --- signed lifecycle steps -------------------------------------------------------------------


def lifecycle_payload(*, identifier: str, action: str, occurred_at: datetime, reason: str) -> dict:
    """What a lifecycle step's seal signs (canonical JSON, as licenses are signed)."""
    return {
        "identifier": identifier,
        "action": action,
        "occurred_at": signing.utc_instant(occurred_at),
        "reason": reason,
    }


def sign_step(
    license: License,
    *,
    action: str,
    actor: str,
    reason: str,
    seal: Seal,
    keyring: services.Keyring,
) -> LifecycleRecord:
    """One signed step: the record and its seal use, written together."""
    occurred_at = timezone.now().replace(microsecond=0)
    message = signing.canonical(
        lifecycle_payload(
            identifier=license.identifier, action=action, occurred_at=occurred_at, reason=reason
        )
    )
    digest = sm3_hex(message)
    signature = keyring.signing_key(seal).sign(message)
    record = LifecycleRecord.objects.create(
        license=license,
        action=action,
        actor=actor[:150],
        reason=reason,
        occurred_at=occurred_at,
        seal=seal,
        digest=digest,
        signature=base64.b64encode(signature).decode(),
    )
    SealUse.objects.create(
        seal=seal,
        actor=actor[:150],
        document_kind=DocumentKind.LIFECYCLE,
        document_reference=license.identifier,
        digest=digest,
        used_at=occurred_at,
    )
    return record


def verify_lifecycle_record(record: LifecycleRecord) -> bool:
    """Does the record's signature hold over its fields, by the seal it names?"""
    if record.seal is None or not record.signature:
        return False
    message = signing.canonical(
        lifecycle_payload(
            identifier=record.license.identifier,
            action=record.action,
            occurred_at=record.occurred_at,
            reason=record.reason,
        )
    )
    try:
        key = load_public_key(record.seal.public_key_pem.encode())
        return sm3_hex(message) == record.digest and sm2_verify(
            key, base64.b64decode(record.signature), message
        )
    except (CryptoError, ValueError):
        return False


# --- lifecycle by the issuing authority -------------------------------------------------------

# What each status may become; a change or renewal cancels the version it replaces.
TRANSITIONS = {
    LicenseStatus.VALID: {LicenseStatus.CANCELLED, LicenseStatus.REVOKED},
    LicenseStatus.CANCELLED: set(),
    LicenseStatus.REVOKED: set(),
}
ACTION_STATUS = {
    LifecycleAction.CANCELLED: LicenseStatus.CANCELLED,
    LifecycleAction.REVOKED: LicenseStatus.REVOKED,
}


def require_issuer_staff(actor: Account, license: License, what: str) -> None:
    issuer = license.issuer
    if not identity.has_role(
        actor, Role.APPROVER, region_code=issuer.region.code, agency_id=issuer.pk
    ):
        raise Forbidden(f"只有发证机关（{issuer.name}）的审批人员可以{what}该证照")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise DomainError.of("reason", f"请写明原因（不超过{REASON_MAX}个字）")
    return reason


def _locked(license: License) -> License:
    return (
        License.objects.select_for_update(of=("self",))
        .select_related("license_type", "issuer__region", "seal")
        .get(pk=license.pk)
    )


def _check_transition(license: License, to: str, what: str) -> None:
    if to not in TRANSITIONS[license.status]:
        status = LicenseStatus(license.status).label
        raise Conflict("status", f"证照当前为“{status}”，不能{what}")


def _authority_seal(license: License) -> Seal:
    """The issuing agency's seal that signs the step: the active one of the name that signed
    the license, else another active one of the agency; in force now."""
    now = timezone.now()
    seals = Seal.objects.filter(
        agency_id=license.issuer_id,
        status=SealStatus.ACTIVE,
        valid_from__lte=now,
        valid_until__gt=now,
    )
    seal = seals.filter(name=license.seal.name).first() or seals.order_by("name").first()
    if seal is None:
        raise Conflict("seal", f"{license.issuer.name}没有有效的电子印章，请先制章")
    return seal


def _end(license: License, status: str, reason: str) -> None:
    license.status = status
    license.status_changed_at = timezone.now()
    license.status_reason = reason
    license.save(update_fields=["status", "status_changed_at", "status_reason"])


def _new_version(
    old: License,
    *,
    actor: str,
    action: str,
    reason: str,
    data: dict,
    holder_name: str,
    valid_from: date,
    valid_until: date | None,
    keyring: services.Keyring,
) -> License:
    """The next version of `old` (same serial, version + 1, linked back), signed, and `old`
    cancelled as replaced; both steps signed and the change audited."""
    seal = _authority_seal(old)
    holder_id = keyring.sealer(old.holder_kind).open(old.holder_id_sealed, context=old.identifier)
    version = old.version + 1
    new = services.sign_license(
        license_type=old.license_type,
        seal=seal,
        holder_id=holder_id,
        holder_name=holder_name,
        data=data,
        issued_on=timezone.localdate(),
        actor=actor,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        serial=identifiers.parse_identifier(old.identifier).serial,
        keyring=keyring,
    )
    License.objects.filter(pk=new.pk).update(previous=old)
    new.previous = old
    verb = LifecycleAction(action).label
    replaced = f"已{verb}为第{version}版"
    _end(old, LicenseStatus.CANCELLED, replaced)
    sign_step(
        old,
        action=LifecycleAction.CANCELLED,
        actor=actor,
        reason=replaced,
        seal=seal,
        keyring=keyring,
    )
    sign_step(new, action=action, actor=actor, reason=reason, seal=seal, keyring=keyring)
    record_audit(
        f"license.{action}",
        actor=actor,
        target=f"License:{new.identifier}",
        detail={"previous": old.identifier, "version": version, "reason": reason},
    )
    record_event(
        f"license.{action}",
        action=str(action),
        identifier=new.identifier,
        previous=old.identifier,
        reason=reason,
        **selectors.holder_recipients(new),
    )
    return new


def _changeable(actor: Account, license: License, what: str) -> License:
    license = _locked(license)
    require_issuer_staff(actor, license, what)
    _check_replaceable(license, what)
    return license


def _check_replaceable(license: License, what: str) -> None:
    """A new version replaces only a valid license that has not expired."""
    _check_transition(license, LicenseStatus.CANCELLED, what)
    if license.valid_until is not None and license.valid_until < timezone.localdate():
        raise Conflict(
            "status", f"证照已于{signing.chinese_date(license.valid_until)}到期，不能{what}"
        )


@transaction.atomic
def change_license(
    *,
    actor: Account,
    license: License,
    reason: str,
    changes: dict | None = None,
    holder_name: str | None = None,
    keyring: services.Keyring | None = None,
) -> License:
    """变更: the data fields in `changes` (None removes an optional one) and/or the holder's
    name, as a new version; the validity period stays as it was."""
    reason = _reason(reason)
    license = _changeable(actor, license, "变更")
    if changes is not None and not isinstance(changes, dict):
        raise DomainError.of("changes", "变更内容须是 JSON 对象")
    data = {**license.data, **(changes or {})}
    data = {name: value for name, value in data.items() if value is not None}
    data = license_data.validate_data(license.license_type.data_schema, data, field="changes")
    name = license.holder_name if holder_name is None else holder_name
    if data == license.data and name == license.holder_name:
        raise DomainError.of("changes", "变更内容与现证照相同，没有需要变更的内容")
    return _new_version(
        license,
        actor=str(actor),
        action=LifecycleAction.CHANGED,
        reason=reason,
        data=data,
        holder_name=name,
        valid_from=license.valid_from,
        valid_until=license.valid_until,
        keyring=keyring or services.Keyring(),
    )


@transaction.atomic
def renew_license(
    *,
    actor: Account,
    license: License,
    reason: str = "有效期届满延续",
    valid_until: date | None = None,
    keyring: services.Keyring | None = None,
) -> License:
    """延续: a new version valid from today (the holder is never without a valid license)
    until the type's period counted from the day after the old one ends, or `valid_until`."""
    reason = _reason(reason)
    license = _changeable(actor, license, "延续")
    return _renewed(
        license,
        actor=str(actor),
        reason=reason,
        valid_until=valid_until,
        keyring=keyring or services.Keyring(),
    )


def _renewed(
    license: License,
    *,
    actor: str,
    reason: str,
    keyring: services.Keyring,
    valid_until: date | None = None,
) -> License:
    """The renewal of a locked, replaceable license (see renew_license)."""
    if license.valid_until is None:
        raise Conflict("valid_until", "长期有效的证照无需延续")
    until = valid_until or license.license_type.valid_until_for(
        license.valid_until + timedelta(days=1)
    )
    if until is None or until <= license.valid_until:
        end = signing.chinese_date(license.valid_until)
        raise DomainError.of("valid_until", f"延续后的有效期截止日期应晚于原截止日期（{end}）")
    return _new_version(
        license,
        actor=actor,
        action=LifecycleAction.RENEWED,
        reason=reason,
        data=license.data,
        holder_name=license.holder_name,
        valid_from=timezone.localdate(),
        valid_until=until,
        keyring=keyring,
    )


def renew_for_system(
    license: License, *, actor: str, reason: str, keyring: services.Keyring
) -> License:
    """延续 on the platform's own initiative (a renewal item's case completed): the license
    locked and checked as renew_license does, without a member's permission check."""
    license = _locked(license)
    _check_replaceable(license, "延续")
    return _renewed(license, actor=actor, reason=reason, keyring=keyring)


def _end_by_authority(actor: Account, license: License, action: str, reason: str) -> License:
    what = LifecycleAction(action).label
    reason = _reason(reason)
    license = _locked(license)
    require_issuer_staff(actor, license, what)
    _check_transition(license, ACTION_STATUS[action], what)
    seal = _authority_seal(license)
    _end(license, ACTION_STATUS[action], reason)
    keyring = services.Keyring()
    sign_step(license, action=action, actor=str(actor), reason=reason, seal=seal, keyring=keyring)
    record_audit(
        f"license.{action}",
        actor=str(actor),
        target=f"License:{license.identifier}",
        detail={"reason": reason},
    )
    record_event(
        f"license.{action}",
        action=str(action),
        identifier=license.identifier,
        reason=reason,
        **selectors.holder_recipients(license),
    )
    return license


@transaction.atomic
def cancel_license(*, actor: Account, license: License, reason: str) -> License:
    """注销: the license ends (the holder gave it up, the business closed, …)."""
    return _end_by_authority(actor, license, LifecycleAction.CANCELLED, reason)


@transaction.atomic
def revoke_license(*, actor: Account, license: License, reason: str) -> License:
    """撤销: the issuing authority withdraws a license that should not have been issued."""
    return _end_by_authority(actor, license, LifecycleAction.REVOKED, reason)
