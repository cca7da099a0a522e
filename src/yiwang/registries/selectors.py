"""Reads of the base registries: lookups by blind index, real-name matching, credit lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from yiwang.core.identifiers import validate_id_number
from yiwang.core.keys import Sealer
from yiwang.registries.constants import ID_NUMBER_PURPOSE, PersonStatus, SubjectKind
from yiwang.registries.models import CreditListing, LegalPersonRecord, PersonRecord


def person_by_id_number(id_number: str) -> PersonRecord | None:
    index = Sealer(ID_NUMBER_PURPOSE).index(validate_id_number(id_number))
    return (
        PersonRecord.objects.select_related("household_region")
        .filter(id_number_index=index)
        .first()
    )


@dataclass(frozen=True)
class RealNameCheck:
    matched: bool
    reason: str
    person: PersonRecord | None = None


def check_real_name(name: str, id_number: str) -> RealNameCheck:
    """Does the name match the population registry's holder of this living ID number?"""
    person = person_by_id_number(id_number)
    if person is None:
        return RealNameCheck(False, "人口库中没有该公民身份号码")
    if person.name != (name or "").strip():
        return RealNameCheck(False, "姓名与公民身份号码不一致")
    if person.status != PersonStatus.ALIVE:
        return RealNameCheck(False, "该公民身份号码的持有人已死亡")
    return RealNameCheck(True, "一致", person)


def legal_person_by_uscc(uscc: str) -> LegalPersonRecord | None:
    return LegalPersonRecord.objects.select_related("registered_region").filter(uscc=uscc).first()


def organizations_represented_by(id_number: str) -> QuerySet[LegalPersonRecord]:
    index = Sealer(ID_NUMBER_PURPOSE).index(validate_id_number(id_number))
    return LegalPersonRecord.objects.filter(representative_id_index=index).order_by("name")


def credit_listings(
    subject_kind: str, subject: str, on: date | None = None
) -> QuerySet[CreditListing]:
    """The listings in force on a day (today by default)."""
    on = on or date.today()
    key = subject
    if subject_kind == SubjectKind.PERSON:
        key = Sealer(ID_NUMBER_PURPOSE).index(validate_id_number(subject, field="subject"))
    return CreditListing.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=on),
        subject_kind=subject_kind,
        subject_key=key,
        listed_on__lte=on,
    )


def person_by_index(index: str) -> PersonRecord | None:
    """The record behind a blind index other contexts already hold (an account's)."""
    return (
        PersonRecord.objects.select_related("household_region")
        .filter(id_number_index=index)
        .first()
    )
