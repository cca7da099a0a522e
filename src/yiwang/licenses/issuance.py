"""Issuance of e-licenses when cases complete, renewal by a renewal item's case, and expiry
reminders. The authority's own 变更、延续、注销、撤销 are licenses.lifecycle.

- 电子证照与纸质证照同步签发: when a case completes (`case.completed`) and its catalog item has
  an IssuanceRule, the license is signed by the case agency's active seal of the rule's name,
  for the organization (USCC) of an organization's case, else for the applicant (ID number),
  with data drawn from the case by the rule's field sources and checked by the type's schema.
  A completed case issues once (License.case_number is unique), however often the event comes.
- 延续 on completion: a completed case of an item that a rule names as its renewal item renews
  the applicant's own license of the rule's type (found by the applicant's blind index, as 免提交
  finds it), in force and not permanent, as lifecycle renews; the new version carries the
  case number, so a redelivered event renews nothing more. An applicant who holds no such
  license (or several, or one another region issued) is audited and nothing else happens.
- A case that cannot issue (no seal, a bad rule, data the schema refuses) must not hold up
  the other consumers of `case.completed` (the applicant's notice, the indicators): the failure
  is logged and audited, and a `license.issuance_retry` event carries the issuance on, retried
  by the outbox's back-off until someone fixes the seal or the rule.
- 主动服务: valid licenses running out within their rule's reminder window are announced once
  (`license.expiring`, with the renewal item's guide), which notifications turns into messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case
from yiwang.catalog.models import CatalogItem, ServiceItem
from yiwang.core import keys
from yiwang.core.audit import record_audit
from yiwang.core.crypto import CryptoError
from yiwang.core.errors import Conflict, DomainError
from yiwang.core.events import consumer, record_event
from yiwang.identity.models import Account
from yiwang.licenses import license_data, lifecycle, plugins, selectors, services
from yiwang.licenses.constants import (
    HolderKind,
    LicenseStatus,
    LifecycleAction,
    SealStatus,
)
from yiwang.licenses.models import (
    IssuanceRule,
    License,
    LicenseType,
    Seal,
)
from yiwang.registries.constants import ID_NUMBER_PURPOSE

logger = logging.getLogger(__name__)

ISSUANCE_ACTOR = "系统（办结自动签发）"
RENEWAL_ACTOR = "系统（办结自动延续）"
RETRY_TOPIC = "license.issuance_retry"
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


@transaction.atomic
def issue_license_for_case(
    *, case_uid: str, keyring: services.Keyring | None = None
) -> License | None:
    """电子证照与纸质证照同步签发: the license of a completed case — issued when its item has
    an issuance rule, else renewed when its item is a rule's renewal item — or None when
    neither applies or the case's license exists already. Refusals (DomainError) name what
    to fix."""
    case = (
        Case.objects.select_related(
            "service_item__catalog_item", "agency", "applicant", "organization"
        )
        .filter(uid=case_uid)
        .first()
    )
    if case is None or case.status != CaseStatus.COMPLETED or not case.number:
        return None
    if License.objects.filter(case_number=case.number).exists():
        return None
    keyring = keyring or services.Keyring()
    rule = (
        IssuanceRule.objects.select_related("license_type")
        .filter(catalog_item=case.service_item.catalog_item)
        .first()
    )
    if rule is None:
        return _renew_for_case(case, keyring)
    return _issue_for_case(case, rule, keyring)


def _issue_for_case(case: Case, rule: IssuanceRule, keyring: services.Keyring) -> License:
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
    lifecycle.sign_step(
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
        **selectors.holder_recipients(license),
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


# --- 延续 on completion of a renewal item's case ----------------------------------------------


def _renew_for_case(case: Case, keyring: services.Keyring) -> License | None:
    """延续 by a completed case of a renewal item: the applicant's own license of the type of a
    rule naming that item, renewed as lifecycle renews, the new version carrying the case
    number. None when the item renews nothing, or (audited) when the applicant holds no
    license to renew, several, or one the case's agency may not renew."""
    type_ids = set(
        IssuanceRule.objects.filter(renewal_item=case.service_item.catalog_item).values_list(
            "license_type_id", flat=True
        )
    )
    if not type_ids:
        return None
    license, why_not = _license_to_renew(case, type_ids)
    if license is None:
        record_audit(
            "license.renewal_skipped",
            actor=RENEWAL_ACTOR,
            target=case.number,
            detail={"case": case.number, "reason": why_not},
        )
        return None
    renewed = lifecycle.renew_for_system(
        license, actor=RENEWAL_ACTOR, reason=f"办件{case.number}办结", keyring=keyring
    )
    License.objects.filter(pk=renewed.pk).update(case_number=case.number)
    renewed.case_number = case.number
    return renewed


def _license_to_renew(case: Case, type_ids: set[int]) -> tuple[License | None, str]:
    """The one license of these types the case's applicant holds in force with an end date,
    found by the applicant's own blind index (never anyone else's), or None and why not."""
    names = "、".join(
        LicenseType.objects.filter(pk__in=type_ids).order_by("name").values_list("name", flat=True)
    )
    holder = plugins.case_holder(case)
    if holder is None:
        return None, f"申请人{case.applicant.name}的账号未经实名认证，无法确认其持有的{names}"
    held = list(
        License.objects.select_related("issuer")
        .filter(
            holder_id_index=holder[1],
            license_type_id__in=type_ids,
            status=LicenseStatus.VALID,
            valid_until__gte=timezone.localdate(),  # not expired, not permanent (NULL)
        )
        .order_by("pk")[:2]
    )
    if not held:
        return None, f"申请人未持有在有效期内可延续的{names}，未延续任何证照"
    if len(held) > 1:
        return None, f"申请人持有多张有效的{names}，无法确定延续哪一张，请由发证机关办理延续"
    license = held[0]
    if not _may_renew(case, license):
        return None, (
            f"证照{license.identifier}由{license.issuer.name}签发，"
            f"{case.agency.name}不是发证机关，也不在其所在地区，不能延续"
        )
    return license, ""


def _may_renew(case: Case, license: License) -> bool:
    """The issuing agency renews, or the renewal item's implementation in the issuer's region —
    where the expiry reminder sends the holder (renewal_service_item)."""
    issuer = license.issuer
    return case.agency_id == issuer.pk or case.service_item.region_id == issuer.region_id


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
            **selectors.holder_recipients(license),
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
