"""Millions of licenses for the licenses benchmark (`yiwang bench licenses`).

The world is small and real: four county market-regulation agencies with valid USCCs, each
with a seal made by services.make_seal (in force since 2016), and two license types (食品经营
许可证 for organizations, 健康证明 for persons). The licenses are synthetic and many, as if the
platform had issued them over ten years (2016–2025): row i has a deterministic identifier
(type, agency, year + counter serial with a valid check character), a valid holder id
(GB 32100 / GB 11643) sealed under its data key with its blind index, schema-valid data, the
type's validity period, and was signed on its issue day.

Signing is what costs: SM2 signs about 1,800 a second per core here, so 5,000,000 genuine
signatures would take ~25 minutes of both cores before PostgreSQL has written anything. Every
`signed_every`-th row therefore carries a real SM2 signature over its canonical form (and its
SealUse row); the others have the same shape (sealed holder id, index, SM3 digest of their own
canonical form) but a signature of another text, and would verify as tampered. The benchmark
verifies signed rows only; they are spread evenly through the table and its indexes.

Rows are made by a pool of processes (one per core), each writing its own chunks with COPY in
its own transaction, so a build interrupted keeps the chunks done and a rerun adds the rest.
On PostgreSQL the secondary indexes are dropped for the build and made afterwards.
"""

from __future__ import annotations

import base64
import json
import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection, connections, transaction
from django.utils import timezone

from yiwang.core.bulk import insert_rows
from yiwang.core.crypto import sm3_hex
from yiwang.core.identifiers import make_id_number, make_uscc, mask
from yiwang.core.keys import Sealer
from yiwang.licenses import identifiers, services, signing
from yiwang.licenses.constants import (
    HOLDER_ID_PURPOSE,
    DocumentKind,
    HolderKind,
    LicenseSource,
    LicenseStatus,
    ValidityKind,
)
from yiwang.licenses.models import License, LicenseType, Seal, SealUse, SerialCounter
from yiwang.regions.models import Organization, Region
from yiwang.regions.services import DivisionRow, import_divisions

CHUNK = 20_000
FIRST_YEAR, YEARS = 2016, 10
ACTOR = "yiwang bench licenses"
DEFINER_USCC = "11100000000013338W"  # DOMAIN-NOTES §3's defining authority
DIVISIONS = [
    DivisionRow("430000000000", "湖南省", 1, ""),
    DivisionRow("430100000000", "长沙市", 2, "430000000000"),
    DivisionRow("430102000000", "芙蓉区", 3, "430100000000"),
    DivisionRow("430103000000", "天心区", 3, "430100000000"),
    DivisionRow("430104000000", "岳麓区", 3, "430100000000"),
    DivisionRow("430105000000", "开福区", 3, "430100000000"),
]
AGENCIES = [("430102000000", "芙蓉区"), ("430103000000", "天心区")]
AGENCIES += [("430104000000", "岳麓区"), ("430105000000", "开福区")]
FOOD = {
    "code": f"{DEFINER_USCC}901",
    "name": "食品经营许可证",
    "holder_kind": HolderKind.ORGANIZATION,
    "validity_years": 5,
    "data_schema": {
        "type": "object",
        "properties": {
            "business_scope": {"title": "经营项目", "type": "string", "maxLength": 200},
            "premises": {"title": "经营场所", "type": "string", "maxLength": 200},
            "seats": {"title": "餐位数", "type": "integer", "minimum": 0},
        },
        "required": ["business_scope", "premises"],
    },
}
HEALTH = {
    "code": f"{DEFINER_USCC}902",
    "name": "健康证明",
    "holder_kind": HolderKind.PERSON,
    "validity_years": 1,
    "data_schema": {
        "type": "object",
        "properties": {"occupation": {"title": "从业类别", "type": "string"}},
        "required": ["occupation"],
    },
}
SCOPES = ["热食类食品制售", "预包装食品销售", "冷食类食品制售", "自制饮品制售", "糕点类食品制售"]
OCCUPATIONS = ["食品生产", "食品经营", "公共场所服务", "饮用水供应", "托幼机构"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲建国志晓东海燕雪梅"
TRADES = ["湘江", "岳麓", "橘洲", "芙蓉", "天心", "开福", "星城", "麓山", "浏阳", "洞庭"]


@dataclass(frozen=True)
class World:
    """Ids of what the licenses reference, in the order rows cycle through them."""

    type_ids: list[int]
    agency_ids: list[int]
    seal_ids: list[int]  # one per agency


@dataclass
class BuildStats:
    licenses: int = 0
    signed: int = 0
    seconds: float = 0.0


# --- the world -------------------------------------------------------------------------------


def _license_type(spec: dict) -> LicenseType:
    found = LicenseType.objects.filter(code=spec["code"]).first()
    if found:
        return found
    license_type = LicenseType(
        **spec,
        issuing_sector="市场监管",
        validity_kind=ValidityKind.YEARS,
        display_hints={"title": spec["name"]},
    )
    license_type.full_clean()
    license_type.save()
    return license_type


def _agency(region: Region, county: str, seed: int) -> Organization:
    uscc = make_uscc(
        authority="1", kind="1", division6=region.code[:6], organization8=f"{seed:08d}"
    )
    agency, _ = Organization.objects.get_or_create(
        uscc=uscc,
        defaults={
            "name": f"{county}市场监督管理局",
            "region": region,
            "kind": "department",
            "sector": "市场监管",
        },
    )
    return agency


def _seal(agency: Organization) -> Seal:
    found = Seal.objects.filter(agency=agency, name="行政审批专用章").order_by("pk").first()
    if found:
        return found
    return services.make_seal(
        agency=agency,
        name="行政审批专用章",
        actor=ACTOR,
        valid_from=datetime(FIRST_YEAR - 1, 12, 31, tzinfo=UTC),
        valid_until=timezone.now() + timedelta(days=5 * 365),
    )


@transaction.atomic
def build_world() -> World:
    """Idempotent: a second call finds everything."""
    import_divisions(DIVISIONS, dataset="bench-licenses")
    regions = Region.objects.in_bulk([code for code, _ in AGENCIES], field_name="code")
    types = [_license_type(FOOD), _license_type(HEALTH)]
    agencies = [
        _agency(regions[code], county, 20_000_001 + n) for n, (code, county) in enumerate(AGENCIES)
    ]
    seals = [_seal(agency) for agency in agencies]
    for kind in HolderKind.values:  # the data keys exist before processes race to make them
        sealer = Sealer(HOLDER_ID_PURPOSE[kind])
        sealer.index("0")
        sealer.seal("0")
    return World([t.pk for t in types], [a.pk for a in agencies], [s.pk for s in seals])


# --- one row ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    """Where row i sits: its type, agency and identifier. A pure function of i."""

    type_index: int
    agency_index: int
    year: int
    counter: int

    @property
    def serial(self) -> str:
        return identifiers.serial_for(self.year, self.counter)


def slot(index: int, world: World) -> Slot:
    pairs = len(world.type_ids) * len(world.agency_ids)
    pair, k = index % pairs, index // pairs
    return Slot(
        type_index=pair % len(world.type_ids),
        agency_index=pair // len(world.type_ids),
        year=FIRST_YEAR + k % YEARS,
        counter=k // YEARS + 1,
    )


def identifier_of(world: World) -> Callable[[int], str]:
    """Row i's identifier, computed without asking the database for the row."""
    types = LicenseType.objects.in_bulk(world.type_ids)
    seals = Seal.objects.select_related("agency").in_bulk(world.seal_ids)
    type_codes = [types[pk].code for pk in world.type_ids]
    usccs = [seals[pk].agency.uscc for pk in world.seal_ids]

    def identifier(index: int) -> str:
        where = slot(index, world)
        return str(
            identifiers.LicenseIdentifier(
                type_code=type_codes[where.type_index],
                issuer_uscc=usccs[where.agency_index],
                serial=where.serial,
                version=1,
            )
        )

    return identifier


def company_uscc(number: int) -> str:
    return make_uscc(
        authority="9", kind="1", division6="430102", organization8=f"{number % 10**8:08d}"
    )


def is_signed(index: int, signed_every: int) -> bool:
    return index % signed_every == 0


class _Maker:
    """Makes rows in one process: the types, agencies, seals and keys loaded once."""

    def __init__(self, world: World, signed_every: int) -> None:
        self.world, self.signed_every = world, signed_every
        types = LicenseType.objects.in_bulk(world.type_ids)
        self.types = [types[pk] for pk in world.type_ids]
        seals = Seal.objects.select_related("agency").in_bulk(world.seal_ids)
        self.seals = [seals[pk] for pk in world.seal_ids]
        keyring = services.Keyring()
        self.keys = [keyring.signing_key(seal) for seal in self.seals]
        self.sealers = {kind: Sealer(HOLDER_ID_PURPOSE[kind]) for kind in HolderKind.values}
        self.postgres = connection.vendor == "postgresql"
        self.filler = self.keys[0].sign(b"yiwang bench licenses: an unsigned row")
        self.fill_sealed = {
            kind: sealer.seal("0" * 18, context="unsigned") for kind, sealer in self.sealers.items()
        }
        self.columns = [f.column for f in License._meta.concrete_fields]
        self.defaults = [(f.column, _default(f)) for f in License._meta.concrete_fields]
        self.identifier = identifier_of(world)

    def _when(self, moment: datetime):
        return moment if self.postgres else connection.ops.adapt_datetimefield_value(moment)

    def rows(self, start: int, stop: int) -> tuple[list[tuple], list[tuple]]:
        licenses, uses = [], []
        for index in range(start, stop):
            license, use = self._row(index)
            licenses.append(license)
            if use:
                uses.append(use)
        return licenses, uses

    def _row(self, index: int) -> tuple[tuple, tuple | None]:
        where = slot(index, self.world)
        license_type, seal = self.types[where.type_index], self.seals[where.agency_index]
        identifier = self.identifier(index)
        issued_on = date(where.year, 1, 1) + timedelta(days=where.counter % 365)
        valid_until = license_type.valid_until_for(issued_on)
        signed_at = datetime(issued_on.year, issued_on.month, issued_on.day, 2, tzinfo=UTC)
        signed_at += timedelta(seconds=index % 28_800)
        holder_id, holder_name, data = _holder(license_type.holder_kind, index)
        payload = signing.license_payload(
            identifier=identifier,
            type_code=license_type.code,
            holder_kind=license_type.holder_kind,
            holder_id=holder_id,
            holder_name=holder_name,
            issuer_uscc=seal.agency.uscc,
            data=data,
            issued_on=issued_on,
            valid_from=issued_on,
            valid_until=valid_until,
            version=1,
            seal_id=seal.key_id,
            signed_at=signed_at,
        )
        message = signing.canonical(payload)
        digest = sm3_hex(message)
        signed = is_signed(index, self.signed_every)
        signature = self.keys[where.agency_index].sign(message) if signed else self.filler
        sealer = self.sealers[license_type.holder_kind]
        # A row never verified keeps a sealed value of the same shape, sealed once: SM4 per
        # row would cost the build a third of its time.
        sealed = (
            sealer.seal(holder_id, context=identifier)
            if signed
            else self.fill_sealed[license_type.holder_kind]
        )
        values = {
            "id": index + 1,
            "identifier": identifier,
            "license_type_id": license_type.pk,
            "holder_kind": license_type.holder_kind,
            "holder_id_sealed": sealed,
            "holder_id_index": sealer.index(holder_id),
            "holder_id_masked": mask(holder_id),
            "holder_name": holder_name,
            "issuer_id": seal.agency_id,
            "data": json.dumps(data, ensure_ascii=False),
            "issued_on": issued_on,
            "valid_from": issued_on,
            "valid_until": valid_until,
            "version": 1,
            "status": LicenseStatus.VALID,
            "status_reason": "",
            "seal_id": seal.pk,
            "signed_at": self._when(signed_at),
            "digest": digest,
            "signature": base64.b64encode(signature).decode(),
            "source": LicenseSource.ISSUED,
        }
        row = tuple(values.get(column, default) for column, default in self.defaults)
        use = None
        if signed:
            when = self._when(signed_at)
            use = (seal.pk, ACTOR, DocumentKind.LICENSE, identifier, digest, when)
        return row, use


def _default(field):
    """For a column this generator does not know (added since): the field's default."""
    value = field.get_default()
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def _holder(holder_kind: str, index: int) -> tuple[str, str, dict]:
    if holder_kind == HolderKind.ORGANIZATION:
        uscc = company_uscc(index)
        name = f"长沙{TRADES[index % 10]}{SURNAMES[index // 10 % len(SURNAMES)]}记餐饮有限公司"
        data = {
            "business_scope": SCOPES[index % len(SCOPES)],
            "premises": f"长沙市芙蓉区五一大道{index % 997 + 1}号",
            "seats": index % 200,
        }
        return uscc, name, data
    id_number = make_id_number(
        division6="430102",
        birth=date(1985, 1, 1) + timedelta(days=index // 1000 % 7_000),  # 430102 exists
        sequence=index % 500,
        female=bool(index // 500 % 2),
    )
    surname, given = SURNAMES[index % len(SURNAMES)], GIVEN[index // 100 % len(GIVEN)]
    name = surname + given + GIVEN[index // 10_000 % len(GIVEN)]
    return id_number, name, {"occupation": OCCUPATIONS[index % len(OCCUPATIONS)]}


# --- writing ---------------------------------------------------------------------------------

SEAL_USE_COLUMNS = ("seal_id", "actor", "document_kind", "document_reference", "digest", "used_at")
_maker: _Maker | None = None


@contextmanager
def _unchecked_references() -> Iterator[None]:
    """Every row references the world just built, so PostgreSQL is spared the per-row
    foreign-key triggers during COPY (a superuser's session setting; else they stay on)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        unchecked = cursor.fetchone()[0] == "on"
        if unchecked:
            cursor.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            if unchecked:
                cursor.execute("RESET session_replication_role")


def _write_chunk(job: tuple[World, int, int, int]) -> tuple[int, int]:
    """One chunk, in the calling process: (licenses written, of them signed)."""
    global _maker
    world, signed_every, start, stop = job
    if _maker is None or _maker.world != world or _maker.signed_every != signed_every:
        _maker = _Maker(world, signed_every)
    licenses, uses = _maker.rows(start, stop)
    with _unchecked_references(), transaction.atomic():
        insert_rows(License._meta.db_table, _maker.columns, licenses)
        insert_rows(SealUse._meta.db_table, SEAL_USE_COLUMNS, uses)
    return len(licenses), len(uses)


def _done_chunks(count: int) -> set[int]:
    """Chunks fully written (each is one transaction, so written means whole)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (id - 1) / {CHUNK}, COUNT(*) FROM {License._meta.db_table} "
            "WHERE id <= %s GROUP BY 1",
            [count],
        )
        return {int(chunk) for chunk, _ in cursor.fetchall()}


def generated_licenses(count: int) -> int:
    return License.objects.filter(pk__lte=count).count()


def _secondary_indexes() -> list[tuple]:
    return [(model, index) for model in (License, SealUse) for index in model._meta.indexes]


def _drop_secondary_indexes() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for _, index in _secondary_indexes():
            cursor.execute(f'DROP INDEX IF EXISTS "{index.name}"')


def _make_secondary_indexes(log: Callable[[str], None]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
    for model, index in _secondary_indexes():
        present = connection.introspection.get_constraints(
            connection.cursor(), model._meta.db_table
        )
        if index.name not in present:
            started = time.monotonic()
            with connection.schema_editor() as editor:
                editor.add_index(model, index)
            log(f"  index {index.name} made ({time.monotonic() - started:.0f}s)")


def _after_build(world: World, count: int, log: Callable[[str], None]) -> None:
    """The counters past every generated serial, the indexes back, the sequence moved on."""
    maker = _Maker(world, 1)
    last: dict[tuple[int, int, int], int] = {}
    cycle = len(world.type_ids) * len(world.agency_ids) * YEARS  # each key once per cycle
    for index in range(max(0, count - cycle), count):
        where = slot(index, world)
        key = (where.type_index, where.agency_index, where.year)
        last[key] = max(last.get(key, 0), where.counter)
    SerialCounter.objects.bulk_create(
        [
            SerialCounter(
                type_code=maker.types[t].code,
                issuer_uscc=maker.seals[a].agency.uscc,
                year=year,
                last=counter,
            )
            for (t, a, year), counter in last.items()
        ],
        update_conflicts=True,
        unique_fields=["type_code", "issuer_uscc", "year"],
        update_fields=["last"],
    )
    _make_secondary_indexes(log)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in (License._meta.db_table, SealUse._meta.db_table):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
                cursor.execute(f"VACUUM ANALYZE {table}")


def build_licenses(
    count: int, world: World, *, signed_every: int, processes: int, log: Callable[[str], None]
) -> BuildStats:
    """Rows 0..count-1 that are missing, in chunks over `processes` processes (one on SQLite,
    which takes one writer at a time)."""
    started = time.monotonic()
    done = _done_chunks(count)
    jobs = [
        (world, signed_every, start, min(start + CHUNK, count))
        for start in range(0, count, CHUNK)
        if start // CHUNK not in done
    ]
    stats = BuildStats()
    if jobs:
        _drop_secondary_indexes()
    if connection.vendor != "postgresql" or processes <= 1:
        results: Iterator[tuple[int, int]] = map(_write_chunk, jobs)
        _collect(results, stats, len(jobs), started, log)
    elif jobs:
        connections.close_all()  # each process opens its own; none shares the parent's socket
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            _collect(pool.imap_unordered(_write_chunk, jobs), stats, len(jobs), started, log)
    _after_build(world, count, log)
    stats.seconds = time.monotonic() - started
    return stats


def _collect(results, stats: BuildStats, jobs: int, started: float, log) -> None:
    for number, (written, signed) in enumerate(results, start=1):
        stats.licenses += written
        stats.signed += signed
        if number % 25 == 0 or number == jobs:
            elapsed = time.monotonic() - started
            log(
                f"  {stats.licenses:,} licenses ({stats.signed:,} signed) in {elapsed:.0f}s, "
                f"{stats.licenses / max(elapsed, 1e-9):,.0f}/s"
            )
