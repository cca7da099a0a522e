"""People for identity tests, made the way real ones are: a population-registry record, then
registration through the SMS code the outbox gateway received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from yiwang.core import sms
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.identity import services
from yiwang.identity.constants import CodePurpose
from yiwang.identity.models import Account
from yiwang.registries import services as registries
from yiwang.registries.constants import OrganizationKind

FURONG = "430102000000"
PASSWORD = "Yiwang-test-2026"


def id_number(sequence: int, *, female: bool = False) -> str:
    return make_id_number(
        division6="430102", birth=date(1985, 3, 1 + sequence % 27), sequence=sequence, female=female
    )


@dataclass
class Person:
    name: str
    id_number: str
    phone: str
    account: Account | None = None


def in_registry(name: str, sequence: int, **kwargs) -> Person:
    number = id_number(sequence)
    registries.register_person(name=name, id_number=number, household_region_code=FURONG, **kwargs)
    return Person(name, number, f"139{sequence:08d}")


def registered(person: Person, *, real_name: bool = True) -> Person:
    services.request_code(person.phone, CodePurpose.REGISTER, address="10.0.0.1")
    person.account = services.register_person(
        id_number=person.id_number,
        name=person.name,
        phone=person.phone,
        code=sms.latest_outbox_code(person.phone),
        password=PASSWORD,
    )
    if real_name:
        services.verify_real_name(services.Actor(person.account), person.account)
        person.account.refresh_from_db()
    return person


def company(representative: Person, seed: int, name: str = "长沙湘江餐饮有限公司") -> str:
    uscc = make_uscc(authority="9", kind="1", division6="430102", organization8=f"{seed:08d}")
    registries.register_legal_person(
        name=name,
        uscc=uscc,
        kind=OrganizationKind.ENTERPRISE,
        representative_name=representative.name,
        representative_id_number=representative.id_number,
        registered_region_code=FURONG,
    )
    return uscc
