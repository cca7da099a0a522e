"""A province's worth of submitted cases for the cases benchmark (`yiwang bench cases`).

The world is small and real: the demo's divisions around the demo regions, the demo items an
L2 person can apply for online with one upload (the ID card is held, 免提交), implemented by
their real agencies, and a pool of applicants registered the way the identity demo registers
its people (population registry record, sealed identifiers, real-name L2).

The cases are synthetic and many: two years of submissions ending yesterday, spread over the
world's items, agencies and applicants, numbered in the real format (YYYYMMDD + basic code +
a six-digit serial per day and item, carried on in CaseNumberCounter so real submissions never
collide). Recent cases are mostly still open, with due dates on both sides of today; a few
old ones were never closed — the red list. Each case has the trail a real one has (drafted,
material added, submitted, then acceptance and decision events as its status implies). Rows
are written with COPY on PostgreSQL; the build only appends, so a database keeps its cases for
later runs of the same size. Simplifications: due dates count calendar days (a working-day
clock is ~7 days per 5), materials rows are not written (no read measured here needs them),
and closed cases carry no engine state (open ones carry a real serialized process).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from yiwang.cases import form_data, workflow
from yiwang.cases.constants import OPEN_STATUSES, CaseStatus, Channel, SubjectKind
from yiwang.cases.models import Case, CaseEvent, CaseNumberCounter
from yiwang.cases.plugins.held import ID_CARD
from yiwang.catalog.constants import MaterialSource as GuideSource
from yiwang.catalog.constants import OnlineStage
from yiwang.catalog.demo import (
    DEMO_REGIONS,
    DIVISIONS,
    DIVISIONS_DATASET,
    DemoStats,
    ensure_agency,
    ensure_catalog_item,
    implement,
    read,
)
from yiwang.catalog.guide import Guide
from yiwang.catalog.models import ServiceItem
from yiwang.catalog.selectors import published_version
from yiwang.core.bulk import insert_rows
from yiwang.core.identifiers import make_id_number
from yiwang.core.keys import Sealer
from yiwang.identity import services as identity
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import Account
from yiwang.regions.constants import LEVEL_KEYS, Level
from yiwang.regions.models import Region
from yiwang.regions.services import import_divisions, read_divisions_csv
from yiwang.registries import selectors as registries
from yiwang.registries import services as registry_services
from yiwang.registries.constants import ID_NUMBER_PURPOSE

HOUSEHOLD_REGION = "430102000000"  # 芙蓉区, where the applicant pool is registered
SYSTEM = identity.Actor(None, "127.0.0.1")
DAYS = 730  # submissions spread over two years ending yesterday
RECENT_DAYS = 30  # younger cases are still open with a falling likelihood
STALE_OPEN = 0.003  # share of older cases never closed: overdue, red
CHUNK = 50_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲建国志明晓东海燕雪梅"


@dataclass(frozen=True)
class BenchItem:
    """One implementation the benchmark applies for, and what its cases reference."""

    service_item_id: int
    version_id: int
    agency_id: int
    region_code: str
    basic_code: str
    implementation_code: str
    process: str
    material: str  # the one material an applicant uploads


@dataclass
class World:
    items: list[BenchItem]
    applicant_ids: list[int]


@dataclass
class BuildStats:
    cases: int = 0
    events: int = 0
    seconds: float = 0.0
    counters: dict[tuple[date, str], int] = field(default_factory=dict)


# --- the world ----------------------------------------------------------------------------


def _single_upload(entry: dict) -> str | None:
    """The one material a person uploads for the item online, or None when the item asks
    for more (or is for organizations only, or has its own form): not this benchmark's path."""
    guide = entry["guide"]
    online = OnlineStage.ACCEPT in guide.get("online_stages", [])
    if "person" not in entry["audience"] or "form" in guide or not online:
        return None
    needed = [m for m in guide["materials"] if m.get("required", True) and not m.get("condition")]
    uploads = [m for m in needed if m.get("source", GuideSource.APPLICANT) == GuideSource.APPLICANT]
    held = [m for m in needed if m.get("license_type") == ID_CARD]
    if len(uploads) != 1 or len(uploads) + len(held) != len(needed):
        return None
    return uploads[0]["name"]


def bench_entries(count: int) -> list[tuple[dict, str]]:
    """The first `count` demo items (by basic code) applied for with one upload."""
    entries = sorted(read("items.json")["items"], key=lambda e: e["basic_code"])
    chosen = [(e, m) for e in entries if (m := _single_upload(e)) and not e.get("main_code")]
    return chosen[:count]


def _world_regions() -> None:
    """The demo regions and their ancestors, not the whole province: quick on every run."""
    rows = read_divisions_csv(DIVISIONS)
    by_code = {row.code: row for row in rows}
    wanted: set[str] = set()
    for code in (c for codes in DEMO_REGIONS.values() for c in codes):
        while code and code not in wanted:
            wanted.add(code)
            code = by_code[code].parent_code
    import_divisions([by_code[c] for c in wanted], dataset=DIVISIONS_DATASET)


@transaction.atomic
def _implement_items(count: int) -> list[BenchItem]:
    _world_regions()
    departments = {d["kind"]: d for d in read("items.json")["departments"]}
    regions = Region.objects.in_bulk(
        [c for codes in DEMO_REGIONS.values() for c in codes], field_name="code"
    )
    stats, items = DemoStats(), []
    for entry, material in bench_entries(count):
        catalog_item = ensure_catalog_item(entry, stats)
        for level_key in entry["levels"]:
            for code in DEMO_REGIONS[Level(LEVEL_KEYS[level_key])]:
                agency = ensure_agency(departments[entry["department"]], regions[code], stats)
                implement(entry, catalog_item, agency, stats)
        for service_item in ServiceItem.objects.filter(catalog_item=catalog_item).select_related(
            "region"
        ):
            version = published_version(service_item)
            guide = Guide.model_validate(version.guide)
            items.append(
                BenchItem(
                    service_item_id=service_item.pk,
                    version_id=version.pk,
                    agency_id=service_item.agency_id,
                    region_code=service_item.region.code,
                    basic_code=catalog_item.basic_code,
                    implementation_code=service_item.implementation_code,
                    process=workflow.PROCESS_OF_KIND[guide.handling_kind],
                    material=material,
                )
            )
    return sorted(items, key=lambda item: item.service_item_id)


def _person_name(index: int) -> str:
    rng = random.Random(index)
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def applicant_id_number(index: int) -> str:
    """The pool's index-th person: born on one of 7,000 days from 1985 (430102 is valid from
    then on), 1,000 order codes a day."""
    birth = date(1985, 1, 1) + timedelta(days=index % 7_000)
    return make_id_number(
        division6=HOUSEHOLD_REGION[:6],
        birth=birth,
        sequence=index // 7_000 % 500,
        female=bool(index // 3_500_000 % 2),
    )


@transaction.atomic
def _register_applicant(index: int) -> Account:
    """As the identity demo registers its people: registry record, sealed identifiers, L2.
    No password: the benchmark signs its applicants in with server-side sessions."""
    name, id_number = _person_name(index), applicant_id_number(index)
    if registries.person_by_id_number(id_number) is None:
        registry_services.register_person(
            name=name, id_number=id_number, household_region_code=HOUSEHOLD_REGION
        )
    account = Account(kind=AccountKind.PERSON, username=identity.person_username(), name=name)
    identity.seal_identifiers(account, id_number=id_number, phone=f"137{index:08d}")
    account.set_unusable_password()
    account.save()
    identity.verify_real_name(SYSTEM, account)
    return account


def _applicants(count: int) -> list[int]:
    present = Account.objects.filter(kind=AccountKind.PERSON).count()
    for index in range(present, count):
        _register_applicant(index)
    people = Account.objects.filter(kind=AccountKind.PERSON).order_by("pk")
    return list(people.values_list("pk", flat=True)[:count])


def id_tails(account_ids) -> dict[int, str]:
    """The last six characters of each applicant's ID number, as a lookup proves them."""
    sealer = Sealer(ID_NUMBER_PURPOSE)
    accounts = Account.objects.filter(pk__in=set(account_ids))
    return {a.pk: sealer.open(a.id_number_sealed)[-6:] for a in accounts}


def build_world(*, items: int, applicants: int) -> World:
    """Idempotent: a second call finds everything and adds only missing applicants."""
    return World(items=_implement_items(items), applicant_ids=_applicants(applicants))


# --- the cases ----------------------------------------------------------------------------

OPEN_SPLIT = ((CaseStatus.SUBMITTED, 0.4), (CaseStatus.ACCEPTED, 0.5), (CaseStatus.CORRECTING, 0.1))
CLOSED_SPLIT = (
    (CaseStatus.COMPLETED, 0.85),
    (CaseStatus.APPROVED, 0.05),
    (CaseStatus.REJECTED, 0.04),
    (CaseStatus.WITHDRAWN, 0.04),
    (CaseStatus.DENIED, 0.02),
)
CASE_COLUMNS = (
    "id",
    "uid",
    "number",
    "service_item_id",
    "version_id",
    "agency_id",
    "region_code",
    "process",
    "subject_kind",
    "applicant_id",
    "submitted_by_id",
    "channel",
    "status",
    "form",
    "workflow_state",
    "idempotency_key",
    "acceptance_mode",
    "deferred_materials",
    "decision_basis",
    "created_at",
    "submitted_at",
    "accepted_at",
    "decided_at",
    "completed_at",
    "due_on",
    "warn_on",
    "due_provisional",
    "paused",
    "delivery_method",
    "delivery_address",
    "pickup_code_mac",
    "tracking_number",
)
EVENT_COLUMNS = (
    "case_id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "from_status",
    "to_status",
    "reason",
    "detail",
)
STAFF_LABEL = "受理人员"


def _pick(split, draw: float) -> str:
    for status, share in split:
        if draw < share:
            return status
        draw -= share
    return split[-1][0]


@dataclass
class _Row:
    """What one synthetic case became: its status, clock and moments."""

    status: str
    submitted: datetime
    accepted: datetime | None = None
    decided: datetime | None = None
    completed: datetime | None = None
    due_on: date | None = None
    warn_on: date | None = None


def _life(rng: random.Random, day: date, days_ago: int) -> _Row:
    moment = datetime(day.year, day.month, day.day, 9, tzinfo=timezone.get_current_timezone())
    submitted = moment + timedelta(seconds=rng.randrange(8 * 3600))
    still_open = (
        rng.random() < (RECENT_DAYS - days_ago) / RECENT_DAYS
        if days_ago < RECENT_DAYS
        else rng.random() < STALE_OPEN
    )
    status = _pick(OPEN_SPLIT if still_open else CLOSED_SPLIT, rng.random())
    row = _Row(status=status, submitted=submitted)
    row.due_on, row.warn_on = day + timedelta(days=7), day + timedelta(days=6)
    if status in (CaseStatus.SUBMITTED, CaseStatus.CORRECTING, CaseStatus.WITHDRAWN):
        return row
    if status == CaseStatus.REJECTED:
        row.decided = submitted + timedelta(days=1, hours=rng.randrange(1, 48))
        return row
    row.accepted = submitted + timedelta(days=1, hours=rng.randrange(1, 48))
    accepted_day = timezone.localdate(row.accepted)
    row.due_on = accepted_day + timedelta(days=14)
    row.warn_on = accepted_day + timedelta(days=11)
    if status == CaseStatus.ACCEPTED:
        return row
    row.decided = row.accepted + timedelta(days=rng.randrange(1, 12))
    if status == CaseStatus.COMPLETED:
        row.completed = row.decided + timedelta(hours=rng.randrange(1, 72))
    return row


DECISION = {CaseStatus.APPROVED: "approved", CaseStatus.DENIED: "denied"}


def _events(case_id: int, row: _Row, actor: int, label: str, sm3: str) -> Iterator[tuple]:
    """The trail, as the services leave it: (when, actor, label, action, from, to, detail)."""
    drafted = row.submitted - timedelta(minutes=6)
    trail = [
        (drafted, actor, label, "drafted", "", "", {}),
        (
            row.submitted - timedelta(minutes=2),
            actor,
            label,
            "material_added",
            "",
            "",
            {"sm3": sm3},
        ),
        (row.submitted, actor, label, "submitted", "draft", "submitted", {"channel": "online"}),
    ]
    status, staff = row.status, (None, STAFF_LABEL)
    next_day = row.submitted + timedelta(days=1)
    if status == CaseStatus.CORRECTING:
        trail.append((next_day, *staff, "correction_requested", "submitted", "correcting", {}))
    elif status == CaseStatus.WITHDRAWN:
        trail.append((next_day, actor, label, "withdrawn", "submitted", "withdrawn", {}))
    elif status == CaseStatus.REJECTED:
        trail.append((row.decided, *staff, "rejected", "submitted", "rejected", {}))
    elif row.accepted:
        trail.append((row.accepted, *staff, "accepted", "submitted", "accepted", {}))
    if status in DECISION or row.completed:
        outcome = DECISION.get(status, "approved")
        trail.append((row.decided, *staff, outcome, "accepted", outcome, {}))
    if row.completed:
        trail.append((row.completed, *staff, "completed", "approved", "completed", {}))
    for when, who, who_label, action, before, after, detail in trail:
        yield (case_id, when, who, who_label, action, before, after, "", detail)


class _Writer:
    """Rows in the database's own terms: COPY takes Python values; SQLite wants strings."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def when(self, moment: datetime | None):
        if moment is None or self.postgres:
            return moment
        return connection.ops.adapt_datetimefield_value(moment)

    def uid(self, value: uuid.UUID):
        return value if self.postgres else value.hex

    def json(self, value) -> str:
        return json.dumps(value, ensure_ascii=False)


def _forms(applicant_ids: list[int]) -> dict[int, str]:
    """Each applicant's prefilled default form, as start_application fills it."""
    form = form_data.DEFAULT_FORM
    forms = {}
    for account in Account.objects.filter(pk__in=applicant_ids):
        sources = {
            "applicant.name": account.name,
            "applicant.id_number": account.id_number_masked,
            "applicant.phone": account.phone_masked,
        }
        forms[account.pk] = json.dumps(form_data.prefilled(form, sources), ensure_ascii=False)
    return forms


def _labels(applicant_ids: list[int]) -> dict[int, str]:
    return {a.pk: str(a) for a in Account.objects.filter(pk__in=applicant_ids)}


def _counters(first_day: date) -> dict[tuple[date, str], int]:
    rows = CaseNumberCounter.objects.filter(day__gte=first_day)
    return {(row.day, row.basic_code): row.last for row in rows}


def generated_cases() -> int:
    """Cases the generator wrote: the benchmark's own submissions all carry a key."""
    return Case.objects.filter(idempotency_key="").count()


def _next_id(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1


def _case_rows(count: int, world: World, today: date, stats: BuildStats) -> Iterator[tuple]:
    """(case row, its event rows) for `count` cases, oldest first, ids from the next free."""
    rng = random.Random(f"cases-{_next_id(Case)}-{count}")
    writer, forms, labels = _Writer(), _forms(world.applicant_ids), _labels(world.applicant_ids)
    states = {p: workflow.dumps(workflow.start(p)) for p in {i.process for i in world.items}}
    next_id = _next_id(Case)
    for offset in range(count):
        days_ago = DAYS - offset * DAYS // count
        day = today - timedelta(days=days_ago)
        item = world.items[rng.randrange(len(world.items))]
        applicant = world.applicant_ids[rng.randrange(len(world.applicant_ids))]
        key = (day, item.basic_code)
        stats.counters[key] = serial = stats.counters.get(key, 0) + 1
        row = _life(rng, day, days_ago)
        case_id = next_id + offset
        is_open = row.status in OPEN_STATUSES
        case = (
            case_id,
            writer.uid(uuid.UUID(int=rng.getrandbits(128), version=4)),
            f"{day:%Y%m%d}{item.basic_code}{serial:06d}",
            item.service_item_id,
            item.version_id,
            item.agency_id,
            item.region_code,
            item.process,
            SubjectKind.PERSON,
            applicant,
            applicant,
            Channel.ONLINE,
            row.status,
            forms[applicant],
            states[item.process] if is_open else None,
            "",
            "normal" if row.accepted else "",
            "[]",
            "",
            writer.when(row.submitted - timedelta(minutes=6)),
            writer.when(row.submitted),
            writer.when(row.accepted),
            writer.when(row.decided),
            writer.when(row.completed),
            row.due_on,
            row.warn_on,
            False,
            row.status == CaseStatus.CORRECTING,
            "",
            "",
            "",
            "",
        )
        sm3 = f"{rng.getrandbits(256):064x}"
        events = [
            (cid, writer.when(at), *rest[:-1], writer.json(rest[-1]))
            for cid, at, *rest in _events(case_id, row, applicant, labels[applicant], sm3)
        ]
        yield case, events


def _write(chunk_cases: list, chunk_events: list) -> None:
    with transaction.atomic():
        insert_rows(Case._meta.db_table, CASE_COLUMNS, chunk_cases)
        insert_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, chunk_events)


def _save_counters(counters: dict[tuple[date, str], int]) -> None:
    CaseNumberCounter.objects.bulk_create(
        [
            CaseNumberCounter(day=day, basic_code=code, last=last)
            for (day, code), last in counters.items()
        ],
        update_conflicts=True,
        unique_fields=["day", "basic_code"],
        update_fields=["last"],
        batch_size=2000,
    )


def _after_build() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in (Case._meta.db_table, CaseEvent._meta.db_table):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
            cursor.execute(f"VACUUM ANALYZE {table}")


@contextmanager
def _unchecked_references() -> Iterator[None]:
    """Every generated row references what the world just built, so PostgreSQL is spared the
    per-row foreign-key triggers while COPY appends (a quarter faster). Setting the session's
    replication role needs a superuser; without one the checks simply stay on."""
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


def build_cases(count: int, world: World, *, log: Callable[[str], None]) -> BuildStats:
    """Append `count` submitted cases and their trails; counters move on with them."""
    started, today = time.monotonic(), timezone.localdate()
    stats = BuildStats(counters=_counters(today - timedelta(days=DAYS)))
    with _unchecked_references():
        _write_all(_case_rows(count, world, today, stats), stats, started, log)
    _save_counters(stats.counters)
    _after_build()
    stats.seconds = time.monotonic() - started
    return stats


def _write_all(rows, stats: BuildStats, started: float, log: Callable[[str], None]) -> None:
    chunk_cases: list[tuple] = []
    chunk_events: list[tuple] = []
    for case, events in rows:
        chunk_cases.append(case)
        chunk_events.extend(events)
        if len(chunk_cases) == CHUNK:
            _write(chunk_cases, chunk_events)
            stats.cases += len(chunk_cases)
            stats.events += len(chunk_events)
            chunk_cases, chunk_events = [], []
            if stats.cases % (CHUNK * 20) == 0:
                log(f"  {stats.cases} cases written ({time.monotonic() - started:.0f}s)")
    if chunk_cases:
        _write(chunk_cases, chunk_events)
        stats.cases += len(chunk_cases)
        stats.events += len(chunk_events)
