"""`yiwang bench cases`: online submissions, public progress and the red list at scale.

Each case-table size gets a database of its own (DATABASE_URL's database + "_cases_bench_<n>"
on PostgreSQL, var/bench-cases-<n>.sqlite3 otherwise), so nothing touches real data and a
size once built is kept for later runs; the command re-runs itself inside each. There it
builds the world and the synthetic cases (cases.scale), then measures:

- **submissions** (largest size only): signed-in applicants (server-side sessions, as a login
  leaves them) apply through HTTP at a fixed concurrency against the server on loopback, each
  with a PDF of its own and an Idempotency-Key: in one request (POST /api/applications: form,
  file, submission — the headline figure), and the portal's way in three (POST /api/cases,
  upload, submit). The floor is a bare Django view taking the same request and writing the
  same rows as 一次提交 (file blob and row, case, two materials, two trail events, the task,
  the outbox event, the counter serial and number, an audit-like record behind a locked head
  in twin tables) with no checks, no lookups and no engine, served by the same server
  (granian, as deployed), driven alike.
- **public progress** (every size): GET /api/progress?number=…&id_tail=… one at a time, next
  to the floor: the very SQL the lookup issues, captured in-process and replayed.
- **red list** (largest size): selectors.red_cases(agency, today)[:50] in-process for the
  agencies with the most overdue cases, with the plan PostgreSQL chose for it.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.client import HTTPConnection, HTTPException
from importlib import import_module
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, reset_queries, transaction
from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.views.decorators.http import require_POST

from yiwang.cases import scale, selectors
from yiwang.cases.constants import OPEN_STATUSES, CaseStatus, Channel, MaterialSource, SubjectKind
from yiwang.cases.models import Case, CaseEvent, CaseMaterial, CaseNumberCounter, CaseTask
from yiwang.core.bench import (
    SERVER_SETTINGS,
    Benchmark,
    BenchResult,
    Server,
    benchmarks,
    percentiles,
)
from yiwang.core.crypto import sm3_hex
from yiwang.core.models import Event, StoredFile
from yiwang.identity import services as identity
from yiwang.identity.models import Account, SessionRecord
from yiwang.regions.models import Organization

INNER_FLAG = "--inside-bench-database"
PHASES = ("progress", "red", "submissions")
SLICES = 5  # platform and floor submissions alternate in this many slices each
WARM_LOOKUPS = 50  # progress lookups of other cases before the timed ones
FLOOR_TOPIC = "bench.floor_submitted"
FLOOR_AUDIT_TABLE = "cases_bench_floor_audit"
FLOOR_AUDIT_HEAD = "cases_bench_floor_audit_head"
FLOOR_COUNTER = "BENCHFLOOR"  # the floor's own serials in the case counter table
FLOOR_SETTINGS = "yiwang_cases_bench_floor"
FLOOR_SETTINGS_SOURCE = f'''"""The floor server: the platform's settings, bare view only."""

from {SERVER_SETTINGS} import *  # noqa: F403

ROOT_URLCONF = "{__name__}"
'''

# --- databases ----------------------------------------------------------------------------


def _database_url(size: int, template: str) -> str:
    """The bench database of one size, derived from `template` (or DATABASE_URL)."""
    if template.startswith("sqlite"):
        file = Path(dj_database_url.parse(template)["NAME"])
        return f"sqlite:///{file.with_name(f'{file.stem}-{size}{file.suffix}')}"
    if template:
        parts = urllib.parse.urlsplit(template)
        return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path}_{size}"))
    current = settings.DATABASE_URL
    parsed = dj_database_url.parse(current)
    if parsed["ENGINE"].endswith("postgresql"):
        parts = urllib.parse.urlsplit(current)
        return urllib.parse.urlunsplit(parts._replace(path=f"/{parsed['NAME']}_cases_bench_{size}"))
    return f"sqlite:///{Path(settings.VAR_DIR) / f'bench-cases-{size}.sqlite3'}"


def _ensure_postgres_database(url: str) -> None:
    parsed = dj_database_url.parse(url)
    admin = {
        "host": parsed["HOST"] or None,
        "port": parsed["PORT"] or None,
        "user": parsed["USER"] or None,
        "password": parsed["PASSWORD"] or None,
    }
    admin = {key: value for key, value in admin.items() if value is not None}
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        if not conn.execute(query, [parsed["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{parsed["NAME"]}"')


# --- the servers ----------------------------------------------------------------------------


@contextmanager
def _served(options: dict, *, floor: bool = False) -> Iterator[Server]:
    """The platform on loopback; `floor=True` serves the bare view instead, with the same
    workers."""
    server_options = {"workers": options["workers"], "threads": options["threads"]}
    if not floor:
        with Server(**server_options) as server:
            yield server
        return
    with tempfile.TemporaryDirectory(prefix="yiwang-bench-") as settings_dir:
        Path(settings_dir, f"{FLOOR_SETTINGS}.py").write_text(FLOOR_SETTINGS_SOURCE)
        path = os.pathsep.join(p for p in (settings_dir, os.environ.get("PYTHONPATH", "")) if p)
        env = {"DJANGO_SETTINGS_MODULE": FLOOR_SETTINGS, "PYTHONPATH": path}
        with Server(**server_options, env=env) as server:
            yield server


# --- applicants' browsers -----------------------------------------------------------------


def signed_in_session(account: Account) -> str:
    """A session as a login leaves it (auth keys, listed in SessionRecord), made server-side."""
    record = SessionRecord.objects.create(
        sid=secrets.token_urlsafe(32),
        account=account,
        issuer="yiwang-bench",
        address="127.0.0.1",
        user_agent="yiwang bench cases",
    )
    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = str(account.pk)
    session[BACKEND_SESSION_KEY] = identity.BACKEND
    session[HASH_SESSION_KEY] = account.get_session_auth_hash()
    session[identity.SESSION_SID] = record.sid
    session[identity.SESSION_SEEN] = timezone.now().timestamp()
    session.create()
    return session.session_key


class Browser:
    """One signed-in applicant's connection: the session and CSRF cookies a browser sends."""

    def __init__(self, port: int, session_key: str) -> None:
        self.conn = HTTPConnection("127.0.0.1", port, timeout=120)
        csrf = get_random_string(32)
        self.headers = {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={csrf}",
            "X-CSRFToken": csrf,
        }

    def post(self, url: str, body: bytes, content_type: str, **headers) -> tuple[int, bytes]:
        sent = {**self.headers, "Content-Type": content_type, **headers}
        try:
            self.conn.request("POST", url, body=body, headers=sent)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, HTTPException) as error:
            self.conn.close()
            return 0, str(error).encode()


def _multipart(
    fields: dict[str, str], filename: str, data: bytes, file_field: str = "file"
) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="{file_field}"; filename="{filename}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _pdf(run: str, index: int) -> bytes:
    """A small PDF of its own per submission (about 2 KB): each is stored, none deduplicated."""
    body = f"% yiwang bench material {run}-{index}\n".encode()
    return b"%PDF-1.4\n" + body + b"%" + b"0" * 2000 + b"\n%%EOF\n"


def _failure(step: str, status: int, body: bytes) -> str:
    return f"{step}: HTTP {status} {body[:300].decode(errors='replace')}"


def apply_in_one_request(browser: Browser, item: scale.BenchItem, pdf: bytes) -> str:
    """一次提交: the form (the prefill suffices), one file, an Idempotency-Key. "" when done."""
    fields = {
        "implementation_code": item.implementation_code,
        "form": "{}",
        "material_names": item.material,
    }
    form, content_type = _multipart(fields, "材料.pdf", pdf, file_field="files")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    status, body = browser.post("/api/applications", form, content_type, **key)
    return "" if status == 201 else _failure("POST /api/applications", status, body)


def apply_step_by_step(browser: Browser, item: scale.BenchItem, pdf: bytes) -> str:
    """The portal's path: a prefilled draft, one upload, submit. "" when submitted."""
    payload = json.dumps({"implementation_code": item.implementation_code}).encode()
    status, body = browser.post("/api/cases", payload, "application/json")
    if status != 201:
        return _failure("POST /api/cases", status, body)
    uid = json.loads(body)["uid"]
    form, content_type = _multipart({"name": item.material}, "材料.pdf", pdf)
    status, body = browser.post(f"/api/cases/{uid}/materials", form, content_type)
    if status != 201:
        return _failure("POST materials", status, body)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    status, body = browser.post(f"/api/cases/{uid}/submit", b"", "application/json", **key)
    return "" if status == 200 else _failure("POST submit", status, body)


def apply_floor(browser: Browser, item: scale.BenchItem, pdf: bytes) -> str:
    """The same request body as 一次提交, plus what the bare view cannot look up itself."""
    fields = {
        "implementation_code": item.implementation_code,
        "form": "{}",
        "material_names": item.material,
        "service_item": str(item.service_item_id),
        "version": str(item.version_id),
        "agency": str(item.agency_id),
        "region_code": item.region_code,
        "process": item.process,
    }
    form, content_type = _multipart(fields, "材料.pdf", pdf, file_field="files")
    status, answer = browser.post("/bench/floor/submit", form, content_type)
    return "" if status == 201 else _failure("POST floor", status, answer)


def _drive(
    browsers: list[Browser], apply: Callable[[Browser, int], str], count: int, start: int = 0
) -> tuple[list[float], list[str], float]:
    """`count` applications, one thread per browser: (ms of each success, failures, wall s)."""
    tickets = itertools.count(start)
    samples: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def run(browser: Browser) -> None:
        while (index := next(tickets)) < start + count:
            began = time.perf_counter()
            failure = apply(browser, index)
            elapsed = (time.perf_counter() - began) * 1000
            with lock:
                if failure:
                    failures.append(failure)
                else:
                    samples.append(elapsed)

    for browser in browsers:
        browser.conn.close()  # a kept-alive connection may have timed out while idle
    threads = [threading.Thread(target=run, args=(browser,)) for browser in browsers]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, failures, time.perf_counter() - began


# --- the floor's bare view (served only by the floor server, see FLOOR_SETTINGS) -----------


@require_POST
def floor_submit(request: HttpRequest) -> HttpResponse:
    """The rows a one-request submission writes, written bare: the file (SM3-named blob and
    row), the case, its uploaded and held materials, two trail events, the first task, the
    outbox event, a counter serial and the number, an audit-like record behind a locked head.
    No validation, no prefill, no provider, no engine, no response schema."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    data, person, now = request.POST, request.user, timezone.now()
    content = request.FILES["files"].read()
    stored = StoredFile(sm3=sm3_hex(content), size=len(content), content_type="application/pdf")
    stored.extension = "pdf"
    if not default_storage.exists(stored.storage_name):
        default_storage.save(stored.storage_name, ContentFile(content))
    with transaction.atomic():
        StoredFile.objects.bulk_create([stored], ignore_conflicts=True)
        case = Case.objects.create(
            service_item_id=data["service_item"],
            version_id=data["version"],
            agency_id=data["agency"],
            region_code=data["region_code"],
            process=data["process"],
            subject_kind=SubjectKind.PERSON,
            applicant=person,
            submitted_by=person,
            channel=Channel.ONLINE,
            status=CaseStatus.SUBMITTED,
            idempotency_key=request.headers.get("Idempotency-Key", uuid.uuid4().hex),
            submitted_at=now,
            due_on=timezone.localdate() + timedelta(days=7),
            warn_on=timezone.localdate() + timedelta(days=6),
        )
        CaseMaterial.objects.bulk_create(
            [
                CaseMaterial(case=case, name=data["material_names"], file=stored),
                CaseMaterial(case=case, name="居民身份证", source=MaterialSource.HELD),
            ]
        )
        CaseEvent.objects.bulk_create(
            CaseEvent(case=case, occurred_at=now, actor=person, action=action, to_status=to)
            for action, to in (("material_added", ""), ("submitted", CaseStatus.SUBMITTED))
        )
        CaseTask.objects.create(
            case=case,
            task_id=uuid.uuid4(),
            spec="accept",
            lane="window_clerk",
            agency_id=case.agency_id,
        )
        Event.objects.create(topic=FLOOR_TOPIC, payload={"case": str(case.uid)})
        serial = CaseNumberCounter.next(timezone.localdate(), FLOOR_COUNTER)
        Case.objects.filter(pk=case.pk).update(number=f"F{serial:023d}")
        _floor_audit(case, person, now)
    return JsonResponse({"uid": str(case.uid)}, status=201)


def _floor_audit(case: Case, person, now) -> None:
    """What record_audit writes, in the twin tables: lock the head, append, move the head."""
    with connection.cursor() as cursor:
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(f"SELECT sequence, hash FROM {FLOOR_AUDIT_HEAD} WHERE id = 1{lock}")
        sequence, previous = cursor.fetchone()
        cursor.execute(
            f"INSERT INTO {FLOOR_AUDIT_TABLE} (sequence, occurred_at, actor, action, target, "
            "address, detail, previous_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                sequence + 1,
                now,
                str(person),
                "case.submitted",
                str(case.uid),
                "",
                "{}",
                previous,
                "",
            ],
        )
        cursor.execute(f"UPDATE {FLOOR_AUDIT_HEAD} SET sequence = %s WHERE id = 1", [sequence + 1])


def floor_health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/floor/submit", floor_submit),
    path("api/health", floor_health),
]


def _floor_audit_tables() -> None:
    """Twins of the audit chain's tables for the floor (the real chain stays whole)."""
    with connection.cursor() as cursor:
        for twin, original in (
            (FLOOR_AUDIT_TABLE, "core_auditrecord"),
            (FLOOR_AUDIT_HEAD, "core_audithead"),
        ):
            if connection.vendor == "postgresql":
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {twin} (LIKE {original} INCLUDING ALL)")
            else:
                cursor.execute(
                    f"CREATE TABLE IF NOT EXISTS {twin} AS SELECT * FROM {original} WHERE 0"
                )
        cursor.execute(f"DELETE FROM {FLOOR_AUDIT_TABLE}")  # each run starts its chain anew
        cursor.execute(f"DELETE FROM {FLOOR_AUDIT_HEAD}")
        cursor.execute(
            f"INSERT INTO {FLOOR_AUDIT_HEAD} (id, sequence, hash) VALUES (1, 0, %s)", ["0" * 64]
        )


# --- measurements -------------------------------------------------------------------------


@dataclass
class _Tally:
    samples: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall: float = 0.0

    def add(self, driven: tuple[list[float], list[str], float]) -> None:
        self.samples += driven[0]
        self.failures += driven[1]
        self.wall += driven[2]

    def figures(self, prefix: str = "submission") -> dict:
        measured = percentiles(self.samples)
        return {
            f"{prefix}s_per_s": round(len(self.samples) / self.wall, 1),
            f"{prefix}_p50_ms": measured["p50_ms"],
            f"{prefix}_p95_ms": measured["p95_ms"],
            f"{prefix}_failures": len(self.failures),
        }


def _submissions(world: scale.World, options: dict, log) -> tuple[dict, dict]:
    """One request per submission (一次提交), the portal's three steps, and the floor, in
    alternating slices with all servers up throughout, so a machine busy with something else
    for a while weighs on each alike."""
    concurrency, total, rounds = options["concurrency"], options["submissions"], SLICES
    people = Account.objects.filter(pk__in=world.applicant_ids).order_by("pk")[:concurrency]
    sessions = [signed_in_session(person) for person in people]
    items, run = world.items, uuid.uuid4().hex[:12]
    _floor_audit_tables()

    def one_request(browser: Browser, index: int) -> str:
        return apply_in_one_request(browser, items[index % len(items)], _pdf(run, index))

    def step_by_step(browser: Browser, index: int) -> str:
        return apply_step_by_step(browser, items[index % len(items)], _pdf(run, -2 - index))

    def floor(browser: Browser, index: int) -> str:
        return apply_floor(browser, items[index % len(items)], _pdf(run, -(10**7) - index))

    log(f"submissions: {total} of each kind through HTTP at concurrency {concurrency}")
    tallies = {"one request": _Tally(), "three steps": _Tally(), "floor": _Tally()}
    with (
        _served(options) as server,
        _served(options, floor=True) as floor_server,
    ):
        browsers = [Browser(server.port, key) for key in sessions]
        floor_browsers = [Browser(floor_server.port, key) for key in sessions]
        drivers = {
            "one request": (browsers, one_request),
            "three steps": (browsers, step_by_step),
            "floor": (floor_browsers, floor),
        }
        warmup = min(total, 2 * concurrency)
        for clients, apply in drivers.values():
            _drive(clients, apply, warmup)
        for start in range(warmup, warmup + total, -(-total // rounds)):
            count = min(-(-total // rounds), warmup + total - start)
            for name, (clients, apply) in drivers.items():
                tallies[name].add(_drive(clients, apply, count, start=start))
    for name, tally in tallies.items():
        if tally.failures:
            log(f"  {name}: {len(tally.failures)} failed, the first: {tally.failures[0]}")
        if len(tally.samples) < 2:
            raise RuntimeError(f"{name} submissions failed: {tally.failures[:1]}")
    metrics = tallies["one request"].figures()
    metrics |= tallies["three steps"].figures("step_by_step_submission")
    return metrics, tallies["floor"].figures()


def _progress_plan(count: int) -> list[tuple[str, str]]:
    """`count` generated cases picked at random over the table, with their ID tails."""
    bounds = Case.objects.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(2026)
    span = range(bounds["low"], bounds["high"] + 1)
    ids = rng.sample(span, min(len(span), count * 3))
    picked = list(
        Case.objects.filter(pk__in=ids, idempotency_key="", number__isnull=False).values_list(
            "number", "applicant_id"
        )
    )
    rng.shuffle(picked)
    picked = picked[:count]
    tails = scale.id_tails(applicant for _, applicant in picked)
    return [(number, tails[applicant]) for number, applicant in picked]


def _time_progress_http(port: int, plan: list[tuple[str, str]]) -> tuple[list[float], int]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    samples, failures = [], 0
    for number, tail in plan:
        url = "/api/progress?" + urllib.parse.urlencode({"number": number, "id_tail": tail})
        started = time.perf_counter()
        conn.request("GET", url)
        response = conn.getresponse()
        response.read()
        samples.append((time.perf_counter() - started) * 1000)
        failures += response.status != 200
    return samples, failures


def _captured(run: Callable[[], object]) -> list[str]:
    reset_queries()  # a full query log (DEBUG) would capture nothing
    with CaptureQueriesContext(connection) as context:
        run()
    return [query["sql"] for query in context.captured_queries]


def _replay(statements: list[list[str]]) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for sqls in statements:
            started = time.perf_counter()
            for sql in sqls:
                cursor.execute(sql)
                cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def _progress(options: dict, log) -> tuple[dict, dict]:
    chosen = _progress_plan(options["lookups"] + WARM_LOOKUPS)
    warm, plan = chosen[:WARM_LOOKUPS], chosen[WARM_LOOKUPS:]
    log(f"progress: {len(plan)} lookups, captured SQL replayed for the floor")
    statements = [
        _captured(lambda n=number, t=tail: selectors.public_progress(n, id_tail=t))
        for number, tail in plan
    ]
    floor = percentiles(_replay(statements))
    with _served(options) as server:
        _time_progress_http(server.port, warm)
        samples, failures = _time_progress_http(server.port, plan)
    measured = percentiles(samples)
    metrics = {
        "progress_p50_ms": measured["p50_ms"],
        "progress_p95_ms": measured["p95_ms"],
        "progress_failures": failures,
        "progress_queries": len(statements[0]),
    }
    return metrics, {"progress_p50_ms": floor["p50_ms"], "progress_p95_ms": floor["p95_ms"]}


def _red_agencies(count: int, today) -> list[Organization]:
    """The agencies with the most overdue open cases: the longest lists to pick 50 from
    (topped up with any case-holding agency when a small table has fewer red ones)."""
    busiest = (
        Case.objects.filter(status__in=OPEN_STATUSES, paused=False, due_on__lt=today)
        .values("agency")
        .annotate(red=Count("pk"))
        .order_by("-red")[:count]
    )
    chosen = [row["agency"] for row in busiest]
    if len(chosen) < count:
        others = Organization.objects.filter(cases__isnull=False).exclude(pk__in=chosen)
        chosen += list(others.values_list("pk", flat=True).distinct()[: count - len(chosen)])
    return list(Organization.objects.filter(pk__in=chosen))


def _plan_of(agency: Organization, today) -> list[str]:
    query = selectors.red_cases(agency, today)[:50]
    if connection.vendor == "postgresql":
        return query.explain(analyze=True).splitlines()
    return query.explain().splitlines()


def _red_list(options: dict, log) -> tuple[dict, dict, dict]:
    today = timezone.localdate()
    agencies = _red_agencies(options["red_agencies"], today)
    log(f"red list: {len(agencies)} agencies x {options['red_runs']} runs")
    samples = []
    for round_number in range(options["red_runs"] + 1):
        for agency in agencies:
            started = time.perf_counter()
            listed = list(selectors.red_cases(agency, today)[:50])
            if round_number:  # the first round warms the caches
                samples.append((time.perf_counter() - started) * 1000)
    statements = [
        _captured(lambda a=agency: list(selectors.red_cases(a, today)[:50])) for agency in agencies
    ]
    floor = percentiles(_replay(statements * options["red_runs"]))
    plan = _plan_of(agencies[0], today)
    measured = percentiles(samples)
    metrics = {"red_list_p50_ms": measured["p50_ms"], "red_list_p95_ms": measured["p95_ms"]}
    scans = [line.strip() for line in plan if "Scan" in line or "SCAN" in line or "SEARCH" in line]
    params = {
        "red_list_rows": len(listed),
        "red_list_plan": plan[0].strip(),
        "red_list_scan": scans[0] if scans else "",
        "red_list_uses_index": any("case_open_due_idx" in line for line in plan),
    }
    return metrics, {"red_list_p95_ms": floor["p95_ms"]}, params


def _machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        model = lines[0].split(":", 1)[1].strip() if lines else ""
    return {"nproc": os.cpu_count(), "cpu": model}


# --- the benchmark ------------------------------------------------------------------------


def _ratio(measured: float, floor: float, digits: int) -> float | None:
    return round(measured / floor, digits) if floor else None


def _sizes(raw: str) -> list[int]:
    return sorted({int(part.replace("_", "")) for part in raw.split(",") if part.strip()})


@benchmarks.register("cases")
class CasesBenchmark(Benchmark):
    verbose_name = "办件：HTTP 提交吞吐、进度查询与超期清单（与直接写入/查询的下限对比）"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--cases", default="1000000,10000000", help="case-table sizes, comma-separated"
        )
        parser.add_argument("--submissions", type=int, default=2000, help="timed submissions")
        parser.add_argument("--concurrency", type=int, default=16, help="concurrent applicants")
        parser.add_argument("--workers", type=int, default=3, help="server processes")
        parser.add_argument("--threads", type=int, default=1, help="WSGI threads per process")
        parser.add_argument("--lookups", type=int, default=500, help="timed progress lookups")
        parser.add_argument("--red-agencies", type=int, default=5, help="agencies timed")
        parser.add_argument("--red-runs", type=int, default=20, help="red lists per agency")
        parser.add_argument("--applicants", type=int, default=2000, help="applicant pool")
        parser.add_argument("--items", type=int, default=6, help="demo items applied for")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the bench databases")
        parser.add_argument(
            "--database-url", default="", help="bench database template (default: derived)"
        )
        parser.add_argument(INNER_FLAG, action="store_true", help="(internal)")
        parser.add_argument("--phases", default=",".join(PHASES), help="(internal)")

    def run(self, options: dict, log) -> BenchResult:
        if options[INNER_FLAG.lstrip("-").replace("-", "_")]:
            return self._measure(options, log)
        return self._rerun_per_size(options, log)

    # --- the outer run: one inner run per size, merged ------------------------------------

    def _rerun_per_size(self, options: dict, log) -> BenchResult:
        sizes = _sizes(options["cases"])
        results = {}
        for size in sizes:
            phases = ["progress"] + (["red", "submissions"] if size == sizes[-1] else [])
            results[size] = self._inner(size, phases, options, log)
        return self._merged(sizes, results, options)

    def _inner(self, size: int, phases: list[str], options: dict, log) -> dict:
        url = _database_url(size, options["database_url"])
        if url.startswith("postgres"):
            _ensure_postgres_database(url)
        passed = ["submissions", "concurrency", "workers", "threads", "lookups"]
        passed += ["red_agencies", "red_runs", "applicants", "items"]
        argv = [sys.executable, "-m", "yiwang.manage", "bench", "cases", "--json", INNER_FLAG]
        argv += ["--cases", str(size), "--phases", ",".join(phases)]
        for name in passed:
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["rebuild"]:
            argv.append("--rebuild")
        log(f"bench database: {dj_database_url.parse(url)['NAME']} ({size} cases)")
        media = Path(settings.VAR_DIR) / "bench-cases-media"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "YIWANG_MEDIA_ROOT": str(media),
            # The servers' settings: sessions made in-process must open there (SECRET_KEY).
            "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
            "DJANGO_DEBUG": "false",  # no query log to grow while millions of rows go in
        }
        done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            raise RuntimeError(f"benchmark failed for {size} cases:\n{done.stdout[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    @staticmethod
    def _merged(sizes: list[int], results: dict, options: dict) -> BenchResult:
        largest = results[sizes[-1]]
        by_size = {str(size): results[size] for size in sizes}
        metrics = {
            key: value
            for key, value in largest["metrics"].items()
            if key.startswith(("submission", "step_by_step_submission"))
        }
        for key in ("progress_p50_ms", "progress_p95_ms"):
            metrics[key] = {size: r["metrics"][key] for size, r in by_size.items()}
        metrics["progress_failures"] = sum(
            r["metrics"]["progress_failures"] for r in results.values()
        )
        metrics["red_list_p50_ms"] = largest["metrics"]["red_list_p50_ms"]
        metrics["red_list_p95_ms"] = largest["metrics"]["red_list_p95_ms"]
        floor = {
            "submissions_per_s": largest["floor"]["submissions_per_s"],
            "submission_p50_ms": largest["floor"]["submission_p50_ms"],
            "progress_p95_ms": largest["floor"]["progress_p95_ms"],
            "progress_p95_ms_by_size": {
                s: r["floor"]["progress_p95_ms"] for s, r in by_size.items()
            },
            "red_list_p95_ms": largest["floor"]["red_list_p95_ms"],
        }
        params = {
            "cases": {s: r["params"]["cases"] for s, r in by_size.items()},
            "build_seconds": {s: r["params"]["build_seconds"] for s, r in by_size.items()},
            "submissions": options["submissions"],
            "concurrency": options["concurrency"],
            "workers": options["workers"],
            "server": "granian",
            "threads": options["threads"],
            "lookups": options["lookups"],
            **{k: largest["params"][k] for k in ("database", "items", "agencies", "applicants")},
            **{k: largest["params"][k] for k in largest["params"] if k.startswith("red_list")},
            **_machine(),
        }
        ratio = {
            "submissions": _ratio(metrics["submissions_per_s"], floor["submissions_per_s"], 3),
            "step_by_step_submissions": _ratio(
                metrics["step_by_step_submissions_per_s"], floor["submissions_per_s"], 3
            ),
            "progress_p95": _ratio(
                metrics["progress_p95_ms"][str(sizes[-1])], floor["progress_p95_ms"], 2
            ),
            "progress_p95_by_size": {
                s: _ratio(metrics["progress_p95_ms"][s], floor["progress_p95_ms_by_size"][s], 2)
                for s in by_size
            },
            "red_list_p95": _ratio(metrics["red_list_p95_ms"], floor["red_list_p95_ms"], 2),
        }
        return BenchResult(name="cases", params=params, metrics=metrics, floor=floor, ratio=ratio)

    # --- the inner run: inside one bench database ----------------------------------------

    def _measure(self, options: dict, log) -> BenchResult:
        call_command("migrate", verbosity=0)
        size, phases = _sizes(options["cases"])[-1], options["phases"].split(",")
        world, cases, built = self._ensure_data(size, options, log)
        metrics, floor = {}, {}
        params = {
            "cases": cases,
            "build_seconds": built,
            "database": connection.vendor,
            "items": len({item.basic_code for item in world.items}),
            "agencies": len({item.agency_id for item in world.items}),
            "applicants": len(world.applicant_ids),
        }
        if "progress" in phases:
            found, floored = _progress(options, log)
            metrics.update(found)
            floor.update(floored)
        if "red" in phases:
            found, floored, plan = _red_list(options, log)
            metrics.update(found)
            floor.update(floored)
            params.update(plan)
        if "submissions" in phases:
            found, floored = _submissions(world, options, log)
            metrics.update(found)
            floor.update(floored)
        return BenchResult(name="cases", params=params, metrics=metrics, floor=floor)

    @staticmethod
    def _ensure_data(size: int, options: dict, log) -> tuple[scale.World, int, float | None]:
        """The world and `size` generated cases: (world, cases, build seconds or None)."""
        present = scale.generated_cases() if not options["rebuild"] else 0
        if options["rebuild"] or present > size * 1.01:
            log("flushing the bench database")
            call_command("flush", interactive=False, verbosity=0)
            present = 0
        started = time.monotonic()
        world = scale.build_world(items=options["items"], applicants=options["applicants"])
        log(
            f"world: {len(world.items)} implementations, {len(world.applicant_ids)} applicants "
            f"({time.monotonic() - started:.0f}s)"
        )
        if present >= size * 0.99:
            log(f"reusing {present} cases")
            return world, present, None
        log(f"building {size - present} cases")
        stats = scale.build_cases(size - present, world, log=log)
        log(f"built {stats.cases} cases, {stats.events} events in {stats.seconds:.0f}s")
        return world, present + stats.cases, round(stats.seconds, 1)
