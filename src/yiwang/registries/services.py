"""Writes of the base registries (人口库、法人库、信用库).

They are the authoritative sources: identity verifies against them, cases prefill from them,
the exchange shares them. An ID number is validated (GB 11643), sealed with SM4-GCM, indexed
with HMAC-SM3 and masked; sex and birth date are read off the number so they cannot disagree
with it. Revealing a full number is a write: it leaves an audit record.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from yiwang.core.audit import record_audit
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import (
    birth_date_of,
    mask,
    sex_of,
    validate_id_number,
    validate_uscc,
)
from yiwang.core.keys import Sealer
from yiwang.regions.models import Region
from yiwang.registries.constants import (
    ID_NUMBER_PURPOSE,
    CreditList,
    OrganizationKind,
    PersonStatus,
    SubjectKind,
)
from yiwang.registries.models import CreditListing, LegalPersonRecord, PersonRecord


def _region(code: str, field: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise DomainError.of(field, f"行政区划 {code} 不存在")
    return region


def _name(value: str, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_length:
        raise DomainError.of(field, f"{label}不能为空且不超过{max_length}个字")
    return value


def person_fields(sealer: Sealer, id_number: str) -> dict:
    """The stored forms of a valid ID number and what it says of its holder."""
    return {
        "id_number_sealed": sealer.seal(id_number),
        "id_number_index": sealer.index(id_number),
        "id_number_masked": mask(id_number),
        "sex": sex_of(id_number),
        "birth_date": birth_date_of(id_number),
    }


@transaction.atomic
def register_person(
    *, name: str, id_number: str, household_region_code: str, status: str = PersonStatus.ALIVE
) -> PersonRecord:
    id_number = validate_id_number(id_number)
    name = _name(name, "name", "姓名", 50)
    region = _region(household_region_code, "household_region")
    if status not in PersonStatus.values:
        raise DomainError.of("status", "状态应为 alive（在世）或 deceased（死亡）")
    sealer = Sealer(ID_NUMBER_PURPOSE)
    if PersonRecord.objects.filter(id_number_index=sealer.index(id_number)).exists():
        raise DomainError.of("id_number", f"公民身份号码 {mask(id_number)} 已在人口库中")
    return PersonRecord.objects.create(
        name=name, household_region=region, status=status, **person_fields(sealer, id_number)
    )


@transaction.atomic
def register_legal_person(
    *,
    name: str,
    uscc: str,
    kind: str,
    representative_name: str,
    representative_id_number: str,
    registered_region_code: str,
) -> LegalPersonRecord:
    uscc = validate_uscc(uscc)
    representative_id_number = validate_id_number(
        representative_id_number, field="representative_id"
    )
    if kind not in OrganizationKind.values:
        raise DomainError.of("kind", f"法人类型应为 {'、'.join(OrganizationKind.values)} 之一")
    if LegalPersonRecord.objects.filter(uscc=uscc).exists():
        raise DomainError.of("uscc", f"统一社会信用代码 {uscc} 已在法人库中")
    sealer = Sealer(ID_NUMBER_PURPOSE)
    return LegalPersonRecord.objects.create(
        name=_name(name, "name", "名称", 200),
        uscc=uscc,
        kind=kind,
        representative_name=_name(representative_name, "representative_name", "法定代表人姓名", 50),
        representative_id_sealed=sealer.seal(representative_id_number),
        representative_id_index=sealer.index(representative_id_number),
        registered_region=_region(registered_region_code, "registered_region"),
    )


@transaction.atomic
def list_credit(
    *,
    subject_kind: str,
    subject: str,
    credit_list: str,
    reason: str,
    authority: str,
    listed_on: date,
    expires_on: date | None = None,
) -> CreditListing:
    """Put a person (by ID number) or an organization (by USCC) on the red or black list."""
    if subject_kind == SubjectKind.PERSON:
        key = Sealer(ID_NUMBER_PURPOSE).index(validate_id_number(subject, field="subject"))
    elif subject_kind == SubjectKind.ORGANIZATION:
        key = validate_uscc(subject, field="subject")
    else:
        raise DomainError.of("subject_kind", "主体类型应为 person 或 organization")
    if credit_list not in CreditList.values:
        raise DomainError.of("credit_list", "名单应为 red（红名单）或 black（黑名单）")
    if expires_on and expires_on <= listed_on:
        raise DomainError.of("expires_on", "移出日期应晚于列入日期")
    return CreditListing.objects.create(
        subject_kind=subject_kind,
        subject_key=key,
        credit_list=credit_list,
        reason=_name(reason, "reason", "列入事由", 500),
        authority=_name(authority, "authority", "认定部门", 200),
        listed_on=listed_on,
        expires_on=expires_on,
    )


@transaction.atomic
def reveal_id_number(person: PersonRecord, *, actor: str, address: str = "", purpose: str) -> str:
    """The full number, for a role that needs it; the viewing is audited, the number is not."""
    if not purpose.strip():
        raise DomainError.of("purpose", "查看完整身份号码须说明用途")
    record_audit(
        "pii.id_number_viewed",
        actor=actor,
        address=address,
        target=f"PersonRecord:{person.pk}",
        detail={"masked": person.id_number_masked, "purpose": purpose.strip()},
    )
    return Sealer(ID_NUMBER_PURPOSE).open(person.id_number_sealed)
