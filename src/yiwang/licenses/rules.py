"""Issuance rules as the back office keeps them (电子证照与纸质证照同步签发).

A rule says which license a completed case of a catalog item issues, signed by which seal of
the case's agency, with each field drawn from which case data. A case whose rule does not fit
is not issued: it waits in the retry queue until someone fixes the rule or the seal. So a rule
is checked when it is saved, against what `issuance.issue_license_for_case` will ask of it,
and every fault is named at once:

- one rule per catalog item;
- the field sources (`issuance.source_problems`), a source for every required field of the
  type, and no organization source for a person's license (its cases are persons' cases);
- every agency implementing the item belongs to the type's issuing sector and holds an active,
  unexpired seal of the rule's name (issuance signs with exactly that seal);
- a reminder window of at most a year.

Every save is audited with what changed (`issuance_rule.created` / `issuance_rule.changed`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.db import transaction
from django.utils import timezone

from yiwang.catalog.models import CatalogItem
from yiwang.core.audit import record_audit
from yiwang.core.errors import DomainError, FieldError
from yiwang.licenses import issuance, license_data
from yiwang.licenses.constants import HolderKind, SealStatus
from yiwang.licenses.models import IssuanceRule, LicenseType, Seal
from yiwang.regions.models import Organization

RULE_FIELDS = (
    "catalog_item",
    "license_type",
    "seal_name",
    "field_sources",
    "renewal_item",
    "remind_days_before",
)
SEAL_NAME_MAX = IssuanceRule._meta.get_field("seal_name").max_length
REMIND_DAYS_MAX = 365
ORGANIZATION_SOURCE = "organization."
NAMES_LISTED = 10  # agencies named in one message; the rest are counted


@dataclass(frozen=True)
class RuleTerms:
    catalog_item: CatalogItem
    license_type: LicenseType
    seal_name: str
    field_sources: object
    renewal_item: CatalogItem | None = None
    remind_days_before: int = 30


def check_rule(terms: RuleTerms, *, rule: IssuanceRule | None = None) -> RuleTerms:
    """The terms as they will be saved (seal name trimmed), or a DomainError naming every
    fault; `rule` is the rule being changed (None for a new one)."""
    terms = replace(terms, seal_name=(terms.seal_name or "").strip())
    errors = [
        *_item_errors(terms.catalog_item, rule),
        *_source_errors(terms.field_sources, terms.license_type),
        *_issuer_errors(terms),
        *_remind_errors(terms.remind_days_before),
    ]
    if errors:
        raise DomainError(errors)
    return terms


def _item_errors(item: CatalogItem, rule: IssuanceRule | None) -> list[FieldError]:
    others = IssuanceRule.objects.filter(catalog_item=item).select_related("license_type")
    existing = others.exclude(pk=rule.pk).first() if rule else others.first()
    if existing is None:
        return []
    reason = f"“{item.name}”已有证照签发规则（签发{existing.license_type.name}），请修改原规则"
    return [FieldError("catalog_item", reason)]


def _source_errors(field_sources: object, license_type: LicenseType) -> list[FieldError]:
    schema = license_type.data_schema
    problems = issuance.source_problems(field_sources, schema)
    if isinstance(field_sources, dict):
        problems += [
            f"必填数据项“{license_data.field_title(schema, name)}”（{name}）没有来源"
            for name in schema.get("required", [])
            if name not in field_sources
        ]
        if license_type.holder_kind == HolderKind.PERSON:
            problems += [
                f"数据项“{name}”的来源“{source}”取自单位，而{license_type.name}的持证主体为"
                "自然人，只签发给个人申请的办件"
                for name, source in sorted(field_sources.items())
                if isinstance(source, str) and source.startswith(ORGANIZATION_SOURCE)
            ]
    return [FieldError("field_sources", problem) for problem in problems]


def _listed(names: list[str]) -> str:
    shown = "、".join(names[:NAMES_LISTED])
    return shown + (f"等{len(names)}个机构" if len(names) > NAMES_LISTED else "")


def _issuer_errors(terms: RuleTerms) -> list[FieldError]:
    """The implementing agencies that could not sign this license: outside the type's sector,
    or without an active seal of the rule's name."""
    name, license_type = terms.seal_name, terms.license_type
    if not name or len(name) > SEAL_NAME_MAX:
        return [FieldError("seal_name", f"请填写用章名称（不超过{SEAL_NAME_MAX}个字）")]
    agencies = list(
        Organization.objects.filter(service_items__catalog_item=terms.catalog_item)
        .distinct()
        .order_by("region__code", "name")
    )
    errors = []
    sector = license_type.issuing_sector
    if outside := [agency.name for agency in agencies if sector and agency.sector != sector]:
        reason = f"实施机构{_listed(outside)}不属于{sector}领域，不能签发{license_type.name}"
        errors.append(FieldError("license_type", reason))
    sealed = set(
        Seal.objects.filter(
            agency__in=agencies, name=name, status=SealStatus.ACTIVE, valid_until__gt=timezone.now()
        ).values_list("agency_id", flat=True)
    )
    if unsealed := [agency.name for agency in agencies if agency.pk not in sealed]:
        reason = f"实施机构{_listed(unsealed)}没有有效的“{name}”，请先制章或填写其已有的印章名称"
        errors.append(FieldError("seal_name", reason))
    return errors


def _remind_errors(days: int) -> list[FieldError]:
    if 0 <= days <= REMIND_DAYS_MAX:
        return []
    return [FieldError("remind_days_before", f"提前提醒天数应在0至{REMIND_DAYS_MAX}天之间")]


def _snapshot(rule: IssuanceRule) -> dict:
    """The rule as the audit trail keeps it: items and types by their codes."""
    return {
        "catalog_item": rule.catalog_item.basic_code,
        "license_type": rule.license_type.code,
        "seal_name": rule.seal_name,
        "field_sources": rule.field_sources,
        "renewal_item": rule.renewal_item.basic_code if rule.renewal_item else None,
        "remind_days_before": rule.remind_days_before,
    }


@transaction.atomic
def save_issuance_rule(
    *, actor: str, terms: RuleTerms, rule: IssuanceRule | None = None
) -> IssuanceRule:
    """A new rule, or `rule` changed to `terms`, checked as issuance will use it; audited with
    each changed field's old and new value. Saving a rule unchanged writes nothing."""
    stored = IssuanceRule.objects.select_for_update().get(pk=rule.pk) if rule else None
    terms = check_rule(terms, rule=stored)
    before = _snapshot(stored) if stored else dict.fromkeys(RULE_FIELDS)
    saved = stored or IssuanceRule()
    for name in RULE_FIELDS:
        setattr(saved, name, getattr(terms, name))
    after = _snapshot(saved)
    changes = {name: [before[name], new] for name, new in after.items() if before[name] != new}
    if not changes:
        return saved
    saved.save()
    record_audit(
        "issuance_rule.changed" if stored else "issuance_rule.created",
        actor=actor,
        target=f"IssuanceRule:{saved.pk}",
        detail={"item": after["catalog_item"], "changes": changes},
    )
    return saved
