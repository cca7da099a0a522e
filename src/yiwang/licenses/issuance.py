"""Issuance and lifecycle of e-licenses by their issuing authority, and expiry reminders.

- 电子证照与纸质证照同步签发: when a case completes (`case.completed`) and its catalog item has
  an IssuanceRule, the license is signed by the case agency's active seal of the rule's name,
  for the organization (USCC) of an organization's case, else for the applicant (ID number),
  with data drawn from the case by the rule's field sources and checked by the type's schema.
  A completed case issues once (License.case_number is unique), however often the event comes.
- A case that cannot issue (no seal, a bad rule, data the schema refuses) must not hold up
  the other consumers of `case.completed` (the applicant's notice, the indicators): the failure
  is logged and audited, and a `license.issuance_retry` event carries the issuance on, retried
  by the outbox's back-off until someone fixes the seal or the rule.
- 变更 and 延续 make a new version with the same serial (version + 1, linked to the one it
  replaces), and cancel the old one ("已变更为第N版"); 注销 and 撤销 end a license with a reason.
  Only approvers of the issuing agency may; each step is a LifecycleRecord signed by the
  agency's seal over {identifier, action, occurred_at, reason}, logged as a seal use, audited.
- 主动服务: valid licenses running out within their rule's reminder window are announced once
  (`license.expiring`, with the renewal item's guide), which notifications turns into messages.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case
from yiwang.catalog.models import CatalogItem, ServiceItem
from yiwang.core import keys
from yiwang.core.audit import record_audit
from yiwang.core.crypto import CryptoError, load_public_key, sm2_verify, sm3_hex
from yiwang.core.errors import Conflict, DomainError, Forbidden
from yiwang.core.events import consumer, record_event
from yiwang.identity import selectors as identity
from yiwang.identity.constants import AccountKind, Role
from yiwang.identity.models import Account, OrganizationAccount, OrganizationMember
from yiwang.licenses import identifiers, license_data, services, signing
from yiwang.licenses.constants import (
    DocumentKind,
    HolderKind,
    LicenseStatus,
    LifecycleAction,
    SealStatus,
)
from yiwang.licenses.models import (
    IssuanceRule,
    License,
    LicenseType,
    LifecycleRecord,
    Seal,
    SealUse,
)
from yiwang.registries.constants import ID_NUMBER_PURPOSE

logger = logging.getLogger(__name__)

ISSUANCE_ACTOR = "系统（办结自动签发）"
RETRY_TOPIC = "license.issuance_retry"
REASON_MAX = 500
# What keeps a case from issuing until someone acts: a refused seal, rule or data, or a seal
# key that does not open. Anything else (the database going away) fails the event as usual.
ISSUANCE_FAILURES = (DomainError, CryptoError)

# --- field sources of an issuance rule ------------------------------------------------------

CASE_SOURCES = {
    "applicant.name": "申请人姓名",
    "applicant.id_number": "申请人证件号码",
    "organization.name": "单位名称",
    "organization.uscc": "统一社会信用代码",
    "agency.name": "实施机构名称",
    "case.number": "办件编号",
    "case.decided_on": "决定日期",
}
FORM_PREFIX = "form."
LITERAL_PREFIX = "="


def source_problems(field_sources: object, schema: dict) -> list[str]:
    """Why a rule's field sources cannot fill a license type's fields (empty when they can):
    every key a field of the type, every value a known source, `form.<field>` or `=literal`."""
    if not isinstance(field_sources, dict):
        return ["证照数据来源须是 JSON 对象（证照字段 → 来源）"]
    known = set(schema.get("properties") or {})
    problems = [f"“{name}”不是该类证照的数据项" for name in sorted(set(field_sources) - known)]
    for name, source in sorted(field_sources.items()):
        if not isinstance(source, str) or not _source_known(source):
            problems.append(
                f"数据项“{name}”的来源“{source}”无法识别（可用：{'、'.join(CASE_SOURCES)}、"
                "form.表单字段、=固定值）"
            )
    return problems


def _source_known(source: str) -> bool:
    if source.startswith(LITERAL_PREFIX):
        return len(source) > len(LITERAL_PREFIX)
    if source.startswith(FORM_PREFIX):
        return len(source) > len(FORM_PREFIX)
    return source in CASE_SOURCES


@dataclass(frozen=True)
class Holder:
    kind: str
    id: str
    name: str


def _person_id_number(account: Account) -> str:
    if not account.id_number_sealed:
        raise DomainError.of("holder_id", f"申请人{account.name}的账号没有实名证件号码")
    return keys.open_sealed(ID_NUMBER_PURPOSE, account.id_number_sealed)


def holder_of(case: Case, license_type: LicenseType) -> Holder:
    """Who the license of a completed case belongs to: the organization of an organization's
    case, else the applicant; refused when the type is for the other kind of holder."""
    if case.organization_id:
        if license_type.holder_kind != HolderKind.ORGANIZATION:
            raise DomainError.of(
                "license_type", f"{license_type.name}的持证主体为自然人，不能签发给单位申请的办件"
            )
        return Holder(HolderKind.ORGANIZATION, case.organization.uscc, case.organization.name)
    if license_type.holder_kind != HolderKind.PERSON:
        raise DomainError.of(
            "license_type", f"{license_type.name}的持证主体为单位，不能签发给个人申请的办件"
        )
    person = case.applicant
    return Holder(HolderKind.PERSON, _person_id_number(person), person.name)


def _decided_on(case: Case) -> str:
    moment = case.decided_at or case.completed_at or timezone.now()
    return timezone.localdate(moment).isoformat()


def _source_value(source: str, case: Case, holder: Holder):
    if source.startswith(LITERAL_PREFIX):
        return source[len(LITERAL_PREFIX) :]
    if source.startswith(FORM_PREFIX):
        return (case.form or {}).get(source[len(FORM_PREFIX) :])
    if source.startswith("organization.") and case.organization is None:
        raise DomainError.of("field_sources", f"来源“{source}”要求单位申请，该办件由个人申请")
    return {
        "applicant.name": lambda: case.applicant.name,
        "applicant.id_number": lambda: (
            holder.id if holder.kind == HolderKind.PERSON else _person_id_number(case.applicant)
        ),
        "organization.name": lambda: case.organization.name,
        "organization.uscc": lambda: case.organization.uscc,
        "agency.name": lambda: case.agency.name,
        "case.number": lambda: case.number,
        "case.decided_on": lambda: _decided_on(case),
    }[source]()


def license_data_for(rule: IssuanceRule, case: Case, holder: Holder) -> dict:
    """The license's data drawn from the case by the rule, checked by the type's schema (every
    fault at once, `data.<field>`). Empty values are left out, so a required field without a
    value is named as missing rather than signed blank."""
    schema = rule.license_type.data_schema
    if problems := source_problems(rule.field_sources, schema):
        raise DomainError.of("field_sources", "；".join(problems))
    data = {}
    for name, source in rule.field_sources.items():
        value = _source_value(source, case, holder)
        if value is not None and value != "":
            data[name] = value
    return license_data.validate_data(schema, data)


# --- signed lifecycle steps -------------------------------------------------------------------


def lifecycle_payload(*, identifier: str, action: str, occurred_at: datetime, reason: str) -> dict:
    """What a lifecycle step's seal signs (canonical JSON, as licenses are signed)."""
    return {
        "identifier": identifier,
        "action": action,
        "occurred_at": signing.utc_instant(occurred_at),
        "reason": reason,
    }


def _sign_step(
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


# --- issuance on case.completed ---------------------------------------------------------------


def _issuing_seal(case: Case, rule: IssuanceRule) -> Seal:
    seal = Seal.objects.filter(
        agency_id=case.agency_id, name=rule.seal_name, status=SealStatus.ACTIVE
    ).first()
    if seal is None:
        raise Conflict(
            "seal",
            f"{case.agency.name}没有有效的“{rule.seal_name}”，不能签发{rule.license_type.name}",
        )
    return seal


def holder_accounts(license: License) -> list[int]:
    """The accounts to tell about a license: the holder person's account, or the people who
    may act for the holder organization now (its representative and agents)."""
    if license.holder_kind == HolderKind.PERSON:
        people = Account.objects.filter(
            kind=AccountKind.PERSON, id_number_index=license.holder_id_index, is_active=True
        )
        return list(people.values_list("pk", flat=True))
    uscc = (
        services.Keyring()
        .sealer(license.holder_kind)
        .open(license.holder_id_sealed, context=license.identifier)
    )
    now = timezone.now()
    members = OrganizationMember.objects.filter(
        organization__in=OrganizationAccount.objects.filter(uscc=uscc),
        revoked_at__isnull=True,
        valid_from__lte=now,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    return sorted(set(members.values_list("account_id", flat=True)))


def _person_account(license: License) -> int | None:
    if license.holder_kind != HolderKind.PERSON:
        return None
    accounts = holder_accounts(license)
    return accounts[0] if accounts else None


@transaction.atomic
def issue_license_for_case(
    *, case_uid: str, keyring: services.Keyring | None = None
) -> License | None:
    """电子证照与纸质证照同步签发: the license of a completed case, or None when its item
    issues none or the license exists already. Refusals (DomainError) name what to fix."""
    case = (
        Case.objects.select_related(
            "service_item__catalog_item", "agency", "applicant", "organization"
        )
        .filter(uid=case_uid)
        .first()
    )
    if case is None or case.status != CaseStatus.COMPLETED or not case.number:
        return None
    rule = (
        IssuanceRule.objects.select_related("license_type")
        .filter(catalog_item=case.service_item.catalog_item)
        .first()
    )
    if rule is None or License.objects.filter(case_number=case.number).exists():
        return None
    keyring = keyring or services.Keyring()
    holder = holder_of(case, rule.license_type)
    license = services.sign_license(
        license_type=rule.license_type,
        seal=_issuing_seal(case, rule),
        holder_id=holder.id,
        holder_name=holder.name,
        data=license_data_for(rule, case, holder),
        issued_on=timezone.localdate(),
        actor=ISSUANCE_ACTOR,
        keyring=keyring,
    )
    License.objects.filter(pk=license.pk).update(case_number=case.number)
    license.case_number = case.number
    _sign_step(
        license,
        action=LifecycleAction.ISSUED,
        actor=ISSUANCE_ACTOR,
        reason=f"办件{case.number}办结",
        seal=license.seal,
        keyring=keyring,
    )
    record_audit(
        "license.issued",
        actor=ISSUANCE_ACTOR,
        target=f"License:{license.identifier}",
        detail={
            "case": case.number,
            "type": rule.license_type.code,
            "holder": license.holder_id_masked,
        },
    )
    record_event(
        "license.issued",
        identifier=license.identifier,
        case=case.number,
        account=_person_account(license),
        accounts=holder_accounts(license),
    )
    return license


class IssuanceFailed(RuntimeError):
    """A license could not be issued yet; the outbox retries the event with back-off and
    keeps this message as the event's last error."""


@consumer("case.completed")
def issue_on_completion(event_id: int, payload: dict) -> None:
    """Issue in a savepoint; a refusal is logged and audited, and handed to a retry event so
    the other consumers of case.completed are delivered all the same."""
    try:
        with transaction.atomic():
            issue_license_for_case(case_uid=payload["case"])
    except ISSUANCE_FAILURES as error:
        number = payload.get("number", "")
        logger.error("license of case %s not issued: %s", number, error)
        record_audit(
            "license.issuance_failed",
            actor=ISSUANCE_ACTOR,
            target=number,
            detail={"case": number, "reason": str(error)},
        )
        record_event(RETRY_TOPIC, case=payload["case"], number=number)


@consumer(RETRY_TOPIC)
def retry_issuance(event_id: int, payload: dict) -> None:
    """Try again; while it still fails, raise so the outbox backs off and tries later."""
    try:
        issue_license_for_case(case_uid=payload["case"])
    except ISSUANCE_FAILURES as error:
        logger.warning("license of case %s still not issued: %s", payload.get("number"), error)
        raise IssuanceFailed(
            f"办件{payload.get('number', '')}的电子证照未能签发：{error}"
        ) from error


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


def _require_issuer_staff(actor: Account, license: License, what: str) -> None:
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
    actor: Account,
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
        actor=str(actor),
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
    _sign_step(
        old,
        action=LifecycleAction.CANCELLED,
        actor=str(actor),
        reason=replaced,
        seal=seal,
        keyring=keyring,
    )
    _sign_step(new, action=action, actor=str(actor), reason=reason, seal=seal, keyring=keyring)
    record_audit(
        f"license.{action}",
        actor=str(actor),
        target=f"License:{new.identifier}",
        detail={"previous": old.identifier, "version": version, "reason": reason},
    )
    record_event(
        f"license.{action}",
        identifier=new.identifier,
        previous=old.identifier,
        account=_person_account(new),
        accounts=holder_accounts(new),
    )
    return new


def _changeable(actor: Account, license: License, what: str) -> License:
    license = _locked(license)
    _require_issuer_staff(actor, license, what)
    _check_transition(license, LicenseStatus.CANCELLED, what)
    if license.valid_until is not None and license.valid_until < timezone.localdate():
        raise Conflict(
            "status", f"证照已于{signing.chinese_date(license.valid_until)}到期，不能{what}"
        )
    return license


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
        actor=actor,
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
        keyring=keyring or services.Keyring(),
    )


def _end_by_authority(actor: Account, license: License, action: str, reason: str) -> License:
    what = LifecycleAction(action).label
    reason = _reason(reason)
    license = _locked(license)
    _require_issuer_staff(actor, license, what)
    _check_transition(license, ACTION_STATUS[action], what)
    seal = _authority_seal(license)
    _end(license, ACTION_STATUS[action], reason)
    keyring = services.Keyring()
    _sign_step(license, action=action, actor=str(actor), reason=reason, seal=seal, keyring=keyring)
    record_audit(
        f"license.{action}",
        actor=str(actor),
        target=f"License:{license.identifier}",
        detail={"reason": reason},
    )
    record_event(
        f"license.{action}",
        identifier=license.identifier,
        reason=reason,
        account=_person_account(license),
        accounts=holder_accounts(license),
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


# --- 主动服务: expiry reminders -----------------------------------------------------------------


@dataclass(frozen=True)
class ReminderTerms:
    days: int
    renewal_item: CatalogItem | None


def _reminder_terms() -> dict[int, ReminderTerms]:
    """Per license type: the longest reminder window of its rules (remind as early as any
    rule asks) and a renewal item, if one names it."""
    terms: dict[int, ReminderTerms] = {}
    for rule in IssuanceRule.objects.select_related("renewal_item").order_by("pk"):
        known = terms.get(rule.license_type_id)
        days = max(rule.remind_days_before, known.days if known else 0)
        renewal = (known.renewal_item if known else None) or rule.renewal_item
        terms[rule.license_type_id] = ReminderTerms(days, renewal)
    return terms


def renewal_service_item(license: License, item: CatalogItem | None) -> ServiceItem | None:
    """Where the holder renews: the renewal item as the issuing agency implements it, else as
    implemented in the agency's region."""
    if item is None:
        return None
    implementations = ServiceItem.objects.filter(catalog_item=item).order_by("pk")
    return (
        implementations.filter(agency_id=license.issuer_id).first()
        or implementations.filter(region_id=license.issuer.region_id).first()
    )


def _remind(license: License, today: date, terms: ReminderTerms) -> bool:
    with transaction.atomic():
        claimed = License.objects.filter(
            pk=license.pk, reminded_on__isnull=True, status=LicenseStatus.VALID
        ).update(reminded_on=today)
        if not claimed:  # another run reminded it meanwhile
            return False
        renewal = renewal_service_item(license, terms.renewal_item)
        record_event(
            "license.expiring",
            identifier=license.identifier,
            type_name=license.license_type.name,
            valid_until=license.valid_until.isoformat(),
            account=_person_account(license),
            accounts=holder_accounts(license),
            renewal_item=terms.renewal_item.name if renewal else "",
            renewal_code=renewal.implementation_code if renewal else "",
            renewal_link=f"/guide/{renewal.implementation_code}/" if renewal else "",
        )
    return True


def remind_expiring(*, today: date | None = None) -> int:
    """主动服务: announce each valid license that runs out within its reminder window and was
    not announced yet (`license.expiring`), marking it reminded. Returns how many."""
    today = today or timezone.localdate()
    default = ReminderTerms(settings.LICENSE_REMIND_DAYS, None)
    terms = _reminder_terms()
    horizon = today + timedelta(days=max([default.days, *(t.days for t in terms.values())]))
    candidates = (
        License.objects.select_related("license_type", "issuer")
        .filter(
            status=LicenseStatus.VALID,
            reminded_on__isnull=True,
            valid_until__gte=today,
            valid_until__lte=horizon,
        )
        .order_by("valid_until", "pk")
    )
    reminded = 0
    for license in candidates.iterator(chunk_size=500):
        own = terms.get(license.license_type_id, default)
        if license.valid_until <= today + timedelta(days=own.days):
            reminded += _remind(license, today, own)
    return reminded
