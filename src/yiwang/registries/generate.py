"""Synthetic but valid registry records (marked `generated`), for the demo and for scale.

Every ID number has a correct check character, a real Hunan county code and a birth date that
the record repeats; every USCC a correct check character; each person's household is a real
village of that county. Generation is seeded, so a second run with the same seed and counts
adds nothing: records are keyed by the blind index and the USCC, and each batch asks which keys
are stored before sealing anything.

Records are drawn, checked and written a batch at a time, so memory stays flat however many are
asked for. Rows go in with COPY on PostgreSQL and one executemany on SQLite rather than through
model instances and bulk_create, which cost about 34 µs a row on SQLite against 6 µs (sealing
costs 11; docs/registries.md, "Scale").
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import islice

from django.db import transaction
from stdnum.cn import ric

from yiwang.core.bulk import insert_rows
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.core.keys import Sealer
from yiwang.regions.constants import Level, RegionKind
from yiwang.regions.models import Region
from yiwang.registries.constants import (
    ID_NUMBER_PURPOSE,
    USCC_PREFIX,
    OrganizationKind,
    OrganizationStatus,
    PersonStatus,
)
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
BATCH = 10_000
# Keys per stored-or-not query: SQLite takes 999 parameters, and PostgreSQL turns a much longer
# list into a scan of the whole table.
LOOKUP = 999
REPRESENTATIVES = 1000
OLDEST = date(1940, 1, 1)
SPAN_DAYS = (date(2020, 12, 31) - OLDEST).days
KINDS = (
    [OrganizationKind.ENTERPRISE] * 6
    + [OrganizationKind.INDIVIDUAL_BUSINESS] * 3
    + [OrganizationKind.SOCIAL_ORGANIZATION]
)

# Called after each batch with what was generated ("persons", "organizations"), how many of
# them so far and how many were asked for.
Progress = Callable[[str, int, int], None]


@dataclass
class GenerationStats:
    persons: int = 0
    organizations: int = 0
    drawn: int = 0  # records generated, new or already stored: the work done


def _ignore_progress(what: str, done: int, total: int) -> None:
    pass


def _batches(items: Iterable) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _villages_by_county() -> dict[str, list[int]]:
    villages = defaultdict(list)
    for pk, code in Region.objects.filter(level=Level.VILLAGE).values_list("pk", "code"):
        villages[code[:6]].append(pk)
    counties = Region.objects.filter(level=Level.COUNTY, kind=RegionKind.DIVISION)
    codes = counties.values_list("code", flat=True)
    return {code[:6]: villages[code[:6]] for code in codes if villages[code[:6]]}


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@cache
def _county_existed(county: str, year: int) -> bool:
    """Whether stdnum accepts numbers of this county born in this year. Only the pair matters,
    so one number answers for all; asking per number was half of the run time."""
    number = make_id_number(division6=county, birth=date(year, 1, 1), sequence=0, female=False)
    return ric.is_valid(number)


def _id_number(rng: random.Random, counties: list[str], number: int) -> str:
    """A number of a county whose code existed in the birth year (stdnum knows when)."""
    while True:
        county = rng.choice(counties)
        birth = OLDEST + timedelta(days=rng.randrange(SPAN_DAYS))
        female = rng.random() < 0.5
        if _county_existed(county, birth.year):
            return make_id_number(division6=county, birth=birth, sequence=number, female=female)


def _people(count: int, rng: random.Random) -> Iterator[tuple[str, str, int]]:
    """(ID number, name, village id) of each person, drawn in the order earlier versions drew
    them, so a database they generated stays idempotent under this one."""
    villages = _villages_by_county()
    counties = sorted(villages)
    for number in range(count):
        id_number = _id_number(rng, counties, number)
        yield id_number, _name(rng), rng.choice(villages[id_number[:6]])


def _stored(model, field: str, keys: list[str]) -> set[str]:
    """Which keys are stored already."""
    found = set()
    for start in range(0, len(keys), LOOKUP):
        chunk = keys[start : start + LOOKUP]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found


def _insert(model, rows: list[dict]) -> int:
    """Write rows of field values in one transaction: COPY on PostgreSQL, else executemany."""
    if not rows:
        return 0
    columns = [model._meta.get_field(name).column for name in rows[0]]
    with transaction.atomic():
        insert_rows(model._meta.db_table, columns, [tuple(row.values()) for row in rows])
    return len(rows)


def _save_persons(batch: list[tuple[str, str, int]], sealer: Sealer) -> int:
    by_index = {}
    for person in batch:  # the first of equal numbers wins, as it would in the database
        by_index.setdefault(sealer.index(person[0]), person)
    stored = _stored(PersonRecord, "id_number_index", list(by_index))
    rows = [
        {
            "name": name,
            **person_fields(sealer, id_number),
            "household_region": village,
            "status": PersonStatus.ALIVE.value,
            "generated": True,
        }
        for index, (id_number, name, village) in by_index.items()
        if index not in stored
    ]
    return _insert(PersonRecord, rows)


def generate_persons(
    count: int, *, seed: int = 2026, progress: Progress = _ignore_progress
) -> tuple[int, list[str]]:
    """Create up to `count` persons (a number drawn twice, about 350 in a million, is stored
    once); returns how many were new and a sample of adults' ID numbers to represent
    organizations."""
    rng, sealer = random.Random(seed), Sealer(ID_NUMBER_PURPOSE)
    created, done, sample = 0, 0, []
    for batch in _batches(_people(count, rng)):
        adults = [number for number, _, _ in batch if int(number[6:10]) < 2002]
        sample += adults[: REPRESENTATIVES - len(sample)]
        created += _save_persons(batch, sealer)
        done += len(batch)
        progress("persons", done, count)
    return created, sample


def _organizations(
    count: int, rng: random.Random, seed: int, representatives: list[str]
) -> Iterator[tuple[str, dict]]:
    """The representative's ID number, in clear, and the other field values of each one."""
    counties = list(
        Region.objects.filter(level=Level.COUNTY, kind=RegionKind.DIVISION).values_list(
            "pk", "code", "name"
        )
    )
    for number in range(count):
        (county, code, county_name), kind = rng.choice(counties), rng.choice(KINDS)
        authority, kind_char = USCC_PREFIX[kind]
        representative = rng.choice(representatives)
        uscc = make_uscc(
            authority=authority,
            kind=kind_char,
            division6=code[:6],
            organization8=f"{(seed * 7919 + number) % 10**8:08d}",
        )
        trade = rng.choice(TRADES)
        name = (
            f"{county_name}{_name(rng)}{trade}店"
            if kind == OrganizationKind.INDIVIDUAL_BUSINESS
            else f"湖南{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{trade}有限公司"
            if kind == OrganizationKind.ENTERPRISE
            else f"{county_name}{trade}协会"
        )
        yield (
            representative,
            {
                "name": name,
                "uscc": uscc,
                "kind": kind.value,
                "representative_name": _name(rng),
                "registered_region": county,
            },
        )


def _save_organizations(batch: list[tuple[str, dict]], sealer: Sealer) -> int:
    stored = _stored(LegalPersonRecord, "uscc", [fields["uscc"] for _, fields in batch])
    rows = [
        {
            **fields,
            "representative_id_sealed": sealer.seal(representative),
            "representative_id_index": sealer.index(representative),
            "status": OrganizationStatus.ACTIVE.value,
            "generated": True,
        }
        for representative, fields in batch
        if fields["uscc"] not in stored
    ]
    return _insert(LegalPersonRecord, rows)


def generate_organizations(
    count: int,
    representatives: list[str],
    *,
    seed: int = 2026,
    progress: Progress = _ignore_progress,
) -> int:
    rng, sealer = random.Random(seed + 1), Sealer(ID_NUMBER_PURPOSE)
    created, done = 0, 0
    for batch in _batches(_organizations(count, rng, seed, representatives)):
        created += _save_organizations(batch, sealer)
        done += len(batch)
        progress("organizations", done, count)
    return created


def generate(
    persons: int, organizations: int, *, seed: int = 2026, progress: Progress = _ignore_progress
) -> GenerationStats:
    created, sample = generate_persons(persons, seed=seed, progress=progress)
    if not (organizations and sample):
        return GenerationStats(persons=created, drawn=persons)
    made = generate_organizations(organizations, sample, seed=seed, progress=progress)
    return GenerationStats(persons=created, organizations=made, drawn=persons + organizations)
