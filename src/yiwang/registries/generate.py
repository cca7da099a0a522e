"""Synthetic but valid registry records (marked `generated`), for the demo and for scale.

Every ID number has a correct check character, a real Hunan county code and a birth date that
the record repeats; every USCC a correct check character; each person's household is a real
village of that county. Generation is seeded, so a second run with the same seed and counts
adds nothing (records are keyed by the blind index and the USCC).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from stdnum.cn import ric

from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.core.keys import Sealer
from yiwang.regions.constants import Level, RegionKind
from yiwang.regions.models import Region
from yiwang.registries.constants import ID_NUMBER_PURPOSE, USCC_PREFIX, OrganizationKind
from yiwang.registries.models import LegalPersonRecord, PersonRecord
from yiwang.registries.services import person_fields

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
    "许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞"
    "平刚桂英华建国志红文辉玉梅鹏飞婷湘雨晨欣怡浩宇子轩梓涵"
)
TRADES = [
    "建材",
    "餐饮",
    "农业科技",
    "电子商务",
    "物流",
    "食品",
    "服装",
    "装饰工程",
    "医药",
    "文化传媒",
    "茶业",
    "机械",
]
BATCH = 5000
OLDEST = date(1940, 1, 1)
SPAN_DAYS = (date(2020, 12, 31) - OLDEST).days


@dataclass
class GenerationStats:
    persons: int = 0
    organizations: int = 0


def _villages_by_county() -> dict[str, list[Region]]:
    villages = defaultdict(list)
    for village in Region.objects.filter(level=Level.VILLAGE).only("pk", "code"):
        villages[village.code[:6]].append(village)
    counties = Region.objects.filter(level=Level.COUNTY, kind=RegionKind.DIVISION)
    return {c.code[:6]: villages[c.code[:6]] for c in counties if villages[c.code[:6]]}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _person(rng: random.Random, number: int, villages: dict[str, list[Region]], sealer: Sealer):
    """A person born in a county whose code existed in the birth year (stdnum knows when)."""
    counties = sorted(villages)
    while True:
        county = rng.choice(counties)
        birth = OLDEST + timedelta(days=rng.randrange(SPAN_DAYS))
        female = rng.random() < 0.5
        id_number = make_id_number(division6=county, birth=birth, sequence=number, female=female)
        if ric.is_valid(id_number):
            break
    record = PersonRecord(
        name=_name(rng),
        household_region=rng.choice(villages[county]),
        generated=True,
        **person_fields(sealer, id_number),
    )
    return record, id_number


def generate_persons(count: int, *, seed: int = 2026) -> tuple[int, list[str]]:
    """Create up to `count` persons; returns how many were new and a sample of ID numbers."""
    rng, sealer, villages = random.Random(seed), Sealer(ID_NUMBER_PURPOSE), _villages_by_county()
    before, sample, batch = PersonRecord.objects.count(), [], []
    for number in range(count):
        record, id_number = _person(rng, number, villages, sealer)
        batch.append(record)
        if len(sample) < 1000 and record.birth_date.year < 2002:  # adults can represent
            sample.append(id_number)
        if len(batch) == BATCH:
            _save(PersonRecord, batch)
    _save(PersonRecord, batch)
    return PersonRecord.objects.count() - before, sample


def generate_organizations(count: int, representatives: list[str], *, seed: int = 2026) -> int:
    rng, sealer = random.Random(seed + 1), Sealer(ID_NUMBER_PURPOSE)
    counties = list(Region.objects.filter(level=Level.COUNTY, kind=RegionKind.DIVISION))
    kinds = (
        [OrganizationKind.ENTERPRISE] * 6
        + [OrganizationKind.INDIVIDUAL_BUSINESS] * 3
        + [OrganizationKind.SOCIAL_ORGANIZATION]
    )
    before, batch = LegalPersonRecord.objects.count(), []
    for number in range(count):
        county, kind = rng.choice(counties), rng.choice(kinds)
        authority, kind_char = USCC_PREFIX[kind]
        representative = rng.choice(representatives)
        uscc = make_uscc(
            authority=authority,
            kind=kind_char,
            division6=county.code[:6],
            organization8=f"{(seed * 7919 + number) % 10**8:08d}",
        )
        trade = rng.choice(TRADES)
        name = (
            f"{county.name}{_name(rng)}{trade}店"
            if kind == OrganizationKind.INDIVIDUAL_BUSINESS
            else f"湖南{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{trade}有限公司"
            if kind == OrganizationKind.ENTERPRISE
            else f"{county.name}{trade}协会"
        )
        batch.append(
            LegalPersonRecord(
                name=name,
                uscc=uscc,
                kind=kind,
                representative_name=_name(rng),
                representative_id_sealed=sealer.seal(representative),
                representative_id_index=sealer.index(representative),
                registered_region=county,
                generated=True,
            )
        )
        if len(batch) == BATCH:
            _save(LegalPersonRecord, batch)
    _save(LegalPersonRecord, batch)
    return LegalPersonRecord.objects.count() - before


def _save(model, batch: list) -> None:
    with transaction.atomic():
        model.objects.bulk_create(batch, ignore_conflicts=True)
    batch.clear()


def generate(persons: int, organizations: int, *, seed: int = 2026) -> GenerationStats:
    created, sample = generate_persons(persons, seed=seed)
    made = (
        generate_organizations(organizations, sample, seed=seed) if organizations and sample else 0
    )
    return GenerationStats(persons=created, organizations=made)
