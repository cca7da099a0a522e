"""`yiwang bench licenses`: verification and issuance with millions of licenses stored.

The licenses live in a database of their own (DATABASE_URL's database + "_licenses_bench_<n>"
on PostgreSQL, var/bench-licenses-<n>.sqlite3 otherwise), built once by licenses.scale and
kept for later runs; the command re-runs itself inside it. There, in one run:

Before measuring, the license table and its identifier index are read into the page cache
(PostgreSQL: pg_prewarm), as on a server that has been answering for a while.

- **floor**: raw SM2 verifications per second, core.crypto.sm2_verify over prepared
  canonical bytes and signatures of stored licenses, keys loaded, one core.
- **library**: selectors.license_by_identifier + services.verify_license for random signed
  identifiers (one query, the holder id opened, the canonical form rebuilt and verified),
  one process, one Keyring. Ratio: library / floor (goal ≥ 0.8). A second floor does the
  library's work with the bare engines: the same prepared statement on the driver's own
  connection, then a raw SM2 verify (`lookup_and_sm2_verify_per_s`), so the ratio
  `library_vs_lookup_and_raw_verify` shows what the library's Python adds to them. The
  three take turns in five slices each, so a busy moment of the machine weighs on each.
- **offline**: what a verifier without our database does with a downloaded JSON: parse it,
  check its shape, verify it against the published trust list (goal as for the library).
- **library batch**: the same for batches of 100 identifiers, one statement a batch, as
  verification.verify_batch looks them up (a bank checking its loan files, a bulk audit).
- **API**: GET /api/licenses/verify?identifier=&code= for random signed identifiers, the code
  from documents.verification_code, served as deployed (core.bench.Server: granian, one
  process per core, two threads each) on loopback, keep-alive connections as a verifier's
  client or a proxy keeps them, at a fixed concurrency (goal ≥ 1,000/s on 2 cores); then
  POST /api/licenses/verify/batch with 100 pairs a request, at a lower concurrency. The
  client runs on the same cores, so it is a lean one and its CPU a request is reported
  (`api_client_cpu_ms`). Rate limits are off, since every request comes from one address.
- **issuance**: services.sign_license in a loop with one Keyring, each license its own
  transaction (identifier, serial counter, signature, SealUse row); next to raw SM2 signs.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone

from yiwang.core import crypto
from yiwang.core.bench import (
    SERVER_SETTINGS,
    Benchmark,
    BenchResult,
    Server,
    benchmarks,
    percentiles,
)
from yiwang.licenses import documents, scale, selectors, services, signing, verification
from yiwang.licenses.constants import Verdict
from yiwang.licenses.models import License, LicenseType, Seal

INNER_FLAG = "--inside-bench-database"
AUTHENTIC = {Verdict.VALID, Verdict.EXPIRED, Verdict.NOT_YET_VALID}
API_PATH = "/api/licenses/verify"
API_BATCH_PATH = "/api/licenses/verify/batch"
BATCH = verification.BATCH_MAX  # verifications per batch request
SLICES = 5  # timed slices of each rate, taking turns where several are measured together
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length: *(\d+)", re.IGNORECASE)


# --- the database ----------------------------------------------------------------------------


def _database_url(size: int, template: str) -> str:
    if template:
        return template
    current = settings.DATABASE_URL
    parsed = dj_database_url.parse(current)
    if parsed["ENGINE"].endswith("postgresql"):
        parts = urllib.parse.urlsplit(current)
        name = f"/{parsed['NAME']}_licenses_bench_{size}"
        return urllib.parse.urlunsplit(parts._replace(path=name))
    return f"sqlite:///{Path(settings.VAR_DIR) / f'bench-licenses-{size}.sqlite3'}"


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


# --- measurements ----------------------------------------------------------------------------


def _rates(operations: dict[str, Callable[[int], object]], seconds: float) -> dict:
    """{name: (operations per second, operations done)} over `seconds` each: the median of
    SLICES timed slices, the operations taking turns slice by slice, so that a moment when
    the machine is busy elsewhere weighs on each alike. An operation gets a running number of
    its own to pick its input with."""
    rates: dict[str, list[float]] = {name: [] for name in operations}
    counts = dict.fromkeys(operations, 0)
    for _ in range(SLICES):
        for name, operation in operations.items():
            done, started = 0, time.perf_counter()
            while (elapsed := time.perf_counter() - started) < seconds / SLICES:
                operation(counts[name])
                done += 1
                counts[name] += 1
            rates[name].append(done / elapsed)
    return {name: (round(statistics.median(rates[name]), 1), counts[name]) for name in operations}


def _rate(operation: Callable[[int], object], seconds: float) -> tuple[float, int]:
    return _rates({"": operation}, seconds)[""]


def _failures(verdicts: Counter[str]) -> int:
    """How many verifications found a license not authentic (all measured ones are)."""
    return sum(count for verdict, count in verdicts.items() if verdict not in AUTHENTIC)


def _signed_sample(count: int, size: int, signed_every: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    signed_rows = (size + signed_every - 1) // signed_every
    picks = rng.sample(range(signed_rows), min(count, signed_rows))
    return [pick * signed_every for pick in picks]


def _signature_checks(identifiers: list[str]) -> list[tuple]:
    """(public key, signature, canonical bytes) of each stored license, keys loaded once."""
    keyring = services.Keyring()
    keys: dict[int, object] = {}
    prepared = []
    for identifier in identifiers:
        license = selectors.license_by_identifier(identifier)
        signed = services.signed_license_of(license, keyring=keyring)
        if license.seal_id not in keys:
            keys[license.seal_id] = crypto.load_public_key(license.seal.public_key_pem.encode())
        message = signing.canonical(signed.payload)
        prepared.append((keys[license.seal_id], signed.signature, message))
    return prepared


def _raw_verification(checks: list[tuple]) -> Callable[[int], object]:
    """The floor: SM2 verifications of stored licenses' canonical bytes, nothing else."""
    return lambda n: crypto.sm2_verify(*checks[n % len(checks)])


def _bare_lookup_and_verification(
    identifiers: list[str], checks: list[tuple]
) -> Callable[[int], object]:
    """The library's work done by the bare engines: the very statement license_by_identifier
    sends, prepared, on the driver's own connection (no Django, no rows made into models),
    then a raw SM2 verify of a license's canonical bytes, prepared beforehand."""
    sql = selectors.BY_IDENTIFIER.statement
    if connection.vendor == "postgresql":
        cursor = psycopg.Cursor(connection.connection)  # server-side binding, as prepared

        def look_up(identifier: str) -> None:
            cursor.execute(sql, [identifier], prepare=True).fetchone()
    else:  # sqlite3 keeps its own statement cache
        cursor = connection.connection.cursor()

        def look_up(identifier: str) -> None:
            cursor.execute(sql.replace("%s", "?"), [identifier]).fetchone()

    def work(n: int) -> None:  # the library's random identifiers, any license's signature
        look_up(identifiers[n % len(identifiers)])
        crypto.sm2_verify(*checks[n % len(checks)])

    return work


class _Library:
    """Look up and verify, one identifier after another, as the public page does; the
    latency of each and the verdicts are kept."""

    WARM = 200  # verifications that warm the keys, the plan and the pages

    def __init__(self, identifiers: list[str]):
        self._identifiers = identifiers
        self._keyring, self._today = services.Keyring(), timezone.localdate()
        self._samples: list[float] = []
        self._verdicts: Counter[str] = Counter()
        for n in range(min(self.WARM, len(identifiers))):
            self(n - self.WARM)
        self._samples.clear()
        self._verdicts.clear()

    def __call__(self, n: int) -> None:
        started = time.perf_counter()
        identifier = self._identifiers[(n + self.WARM) % len(self._identifiers)]
        license = selectors.license_by_identifier(identifier)
        result = services.verify_license(license, today=self._today, keyring=self._keyring)
        self._samples.append((time.perf_counter() - started) * 1000)
        self._verdicts[result.verdict] += 1

    def figures(self, rate: float, done: int) -> dict:
        measured = percentiles(self._samples)
        return {
            "library_verifications_per_s": rate,
            "library_p50_ms": measured["p50_ms"],
            "library_p95_ms": measured["p95_ms"],
            "library_failures": _failures(self._verdicts),
            "library_verifications": done,
        }


def _library_and_floors(identifiers: list[str], seconds: float) -> tuple[dict, dict]:
    """(metrics, floor): the library, raw SM2 and the bare engines' lookup + verify, taking
    turns, each for `seconds`."""
    checks = _signature_checks(identifiers[:2000])
    library = _Library(identifiers)
    rates = _rates(
        {
            "raw": _raw_verification(checks),
            "bare": _bare_lookup_and_verification(identifiers, checks),
            "library": library,
        },
        seconds,
    )
    floor = {
        "sm2_verify_per_s": rates["raw"][0],
        "prepared_failures": sum(not crypto.sm2_verify(*check) for check in checks),
        "lookup_and_sm2_verify_per_s": rates["bare"][0],
    }
    return library.figures(*rates["library"]), floor


def _library_batch(identifiers: list[str], seconds: float) -> dict:
    """Look up BATCH identifiers in one statement and verify each, as verify_batch does."""
    keyring, today = services.Keyring(), timezone.localdate()
    chunks = [identifiers[k : k + BATCH] for k in range(0, len(identifiers) - BATCH + 1, BATCH)]
    verdicts: Counter[str] = Counter()

    def verify(n: int) -> None:
        for license in selectors.licenses_by_identifiers(chunks[n % len(chunks)]).values():
            verdict = services.verify_license(license, today=today, keyring=keyring).verdict
            verdicts[verdict] += 1

    verify(len(chunks) - 1)  # the statement prepared before timing
    verdicts.clear()
    rate, _ = _rate(verify, seconds)
    return {
        "library_batch_verifications_per_s": round(rate * BATCH, 1),
        "library_batch_failures": _failures(verdicts),
    }


def _library_offline(identifiers: list[str], seconds: float) -> dict:
    """An offline verifier's work: a downloaded license's JSON bytes parsed, checked and
    verified against the published trust list, with no database."""
    keyring, today = services.Keyring(), timezone.localdate()
    documents_ = [
        json.dumps(
            services.signed_license_of(
                selectors.license_by_identifier(identifier), keyring=keyring
            ).to_document(),
            ensure_ascii=False,
        ).encode()
        for identifier in identifiers
    ]
    trust = signing.TrustList.from_document(selectors.trust_list_document())
    verdicts: Counter[str] = Counter()

    def verify(n: int) -> None:
        signed = signing.SignedLicense.from_document(json.loads(documents_[n % len(documents_)]))
        result = signing.verify(signed, trust, today=today)
        verdicts[result.verdict] += 1

    rate, _ = _rate(verify, seconds)
    return {
        "offline_verifications_per_s": rate,
        "offline_failures": _failures(verdicts),
    }


@dataclass(frozen=True)
class Call:
    """One API request of the plan and the verifications it asks for."""

    method: str
    url: str
    body: bytes | None = None
    verifications: int = 1


def _single_call(identifier: str, code: str) -> Call:
    query = urllib.parse.urlencode({"identifier": identifier, "code": code})
    return Call("GET", f"{API_PATH}?{query}")


def _batch_call(pairs: list[tuple[str, str]]) -> Call:
    items = [{"identifier": identifier, "code": code} for identifier, code in pairs]
    return Call("POST", API_BATCH_PATH, json.dumps({"items": items}).encode(), len(pairs))


def _authentic(body: bytes) -> bool:
    """Every verification the answer holds is of an authentic license."""
    answer = json.loads(body)
    if "results" not in answer:
        return answer.get("verdict") in AUTHENTIC
    results = [item["verification"] or {} for item in answer["results"]]
    return all(result.get("verdict") in AUTHENTIC for result in results)


class _Client:
    """One keep-alive HTTP/1.1 connection reading just the status and the Content-Length body.
    The client shares the two cores with the server: http.client parses every response's
    headers through the email package, 0.27 ms of CPU a request against 0.11 ms here (both
    with the JSON answer parsed), which the server would otherwise lose."""

    def __init__(self, port: int):
        self._port = port
        self._socket: socket.socket | None = None
        self._buffer = b""

    def send(self, call: Call) -> tuple[int, bytes]:
        """(status, body), or (0, the reason) when the connection failed; it reopens next time."""
        try:
            return self._exchange(call)
        except (OSError, ValueError) as error:
            self.close()
            return 0, str(error).encode()

    def _exchange(self, call: Call) -> tuple[int, bytes]:
        if self._socket is None:
            self._socket = socket.create_connection(("127.0.0.1", self._port), timeout=60)
        head = f"{call.method} {call.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if call.body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(call.body)}\r\n"
        self._socket.sendall(head.encode() + b"\r\n" + (call.body or b""))
        while b"\r\n\r\n" not in self._buffer:
            self._receive()
        header, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        found = _CONTENT_LENGTH.search(header)
        if not header.startswith(b"HTTP/1.1 ") or found is None:
            raise ValueError(f"unexpected response: {header[:200]!r}")
        length = int(found[1])
        while len(self._buffer) < length:
            self._receive()
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        return int(header[9:12]), body

    def _receive(self) -> None:
        chunk = self._socket.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self._buffer += chunk

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket, self._buffer = None, b""


def _api(plan: dict[str, list[Call]], options: dict, log) -> tuple[dict, dict]:
    """Each plan (`single`: one verification a request, `batch`: BATCH a request) at its
    concurrency through one server, after a warm-up; the batch plan's clients are fewer,
    as a bank's batch job runs a few at a time."""
    workers, threads = options["workers"] or os.cpu_count() or 1, options["threads"]
    concurrency = {"single": options["concurrency"], "batch": options["batch_concurrency"]}
    params = {
        "api_workers": workers,
        "api_threads": threads,
        "api_concurrency": concurrency["single"],
        "api_batch_concurrency": concurrency["batch"],
        "api_requests": options["requests"],
        "api_batch_requests": options["batch_requests"],
        "batch": BATCH,
    }
    metrics: dict = {}
    with Server(workers=workers, threads=threads) as server:
        probe = _Client(server.port)
        status, body = probe.send(plan["single"][0])
        probe.close()
        if status != 200:
            reason = f"HTTP {status}: {body[:200].decode(errors='replace')}"
            log(f"API verification unavailable ({reason})")
            return {"api_verifications_per_s": None}, params | {"api_unavailable": reason}
        for name, calls in plan.items():
            prefix = "api" if name == "single" else "api_batch"
            metrics |= _measure_calls(server.port, calls, concurrency[name], prefix, log)
    return metrics, params


def _api_plan(options: dict, size: int, every: int, maker) -> dict[str, list[Call]]:
    """Random signed licenses, warm-up included: single requests, then batches of BATCH."""
    single = options["requests"] + 4 * options["concurrency"]
    batched = (options["batch_requests"] + 4 * options["batch_concurrency"]) * BATCH
    picks = _signed_sample(single + batched, size, every, 7)
    pairs = [(maker(i), documents.verification_code(maker(i))) for i in picks]
    batches = [pairs[k : k + BATCH] for k in range(single, len(pairs) - BATCH + 1, BATCH)]
    return {
        "single": [_single_call(*pair) for pair in pairs[:single]],
        "batch": [_batch_call(batch) for batch in batches],
    }


def _measure_calls(port: int, calls: list[Call], concurrency: int, prefix: str, log) -> dict:
    warm = min(len(calls) // 5, 4 * concurrency)
    _drive(port, calls[:warm], concurrency)
    started = time.process_time()
    samples, failures, wall = _drive(port, calls[warm:], concurrency)
    client_cpu_ms = 1000 * (time.process_time() - started) / (len(calls) - warm)
    if failures:
        log(f"  {len(failures)} {prefix} requests failed, the first: {failures[0]}")
    measured = percentiles(samples) if len(samples) > 1 else {"p50_ms": None, "p95_ms": None}
    verifications = len(samples) * calls[0].verifications
    return {
        f"{prefix}_verifications_per_s": round(verifications / wall, 1),
        f"{prefix}_p50_ms": measured["p50_ms"],
        f"{prefix}_p95_ms": measured["p95_ms"],
        f"{prefix}_failures": len(failures),
        f"{prefix}_client_cpu_ms": round(client_cpu_ms, 3),
    }


def _drive(port: int, calls: list[Call], concurrency: int):
    """(ms of each success, failures, wall seconds) of the calls, `concurrency` at a time."""
    position = iter(range(len(calls)))
    lock = threading.Lock()
    samples: list[float] = []
    failures: list[str] = []

    def run() -> None:
        client = _Client(port)
        while True:
            with lock:
                index = next(position, None)
            if index is None:
                client.close()
                return
            started = time.perf_counter()
            status, body = client.send(calls[index])
            elapsed = (time.perf_counter() - started) * 1000
            ok = status == 200 and _authentic(body)
            with lock:
                if ok:
                    samples.append(elapsed)
                else:
                    failures.append(f"HTTP {status} {body[:200].decode(errors='replace')}")

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, failures, time.perf_counter() - began


def _issuance(world: scale.World, seconds: float) -> dict:
    """sign_license in a loop with one Keyring: each license its own transaction."""
    license_type = LicenseType.objects.get(pk=world.type_ids[0])
    seal = Seal.objects.select_related("agency").get(pk=world.seal_ids[0])
    keyring, today = services.Keyring(), timezone.localdate()
    base = 90_000_000  # holders no generated row has
    services.sign_license(  # the keys opened and the plan made before timing
        license_type=license_type,
        seal=seal,
        holder_id=scale.company_uscc(base - 1),
        holder_name="长沙基准测试餐饮有限公司",
        data={"business_scope": "热食类食品制售", "premises": "长沙市芙蓉区五一大道1号"},
        issued_on=today,
        actor=scale.ACTOR,
        keyring=keyring,
    )

    def issue(n: int) -> None:
        services.sign_license(
            license_type=license_type,
            seal=seal,
            holder_id=scale.company_uscc(base + n),
            holder_name="长沙基准测试餐饮有限公司",
            data={"business_scope": "热食类食品制售", "premises": f"五一大道{n % 997 + 1}号"},
            issued_on=today,
            actor=scale.ACTOR,
            keyring=keyring,
        )

    rate, done = _rate(issue, seconds)
    pair = crypto.SM2KeyPair.generate()
    message = b"\x5a" * 600
    sign_rate, _ = _rate(lambda n: pair.sign(message), min(seconds, 3.0))
    return {"issuance_per_s": rate, "issued": done, "sm2_sign_per_s": sign_rate}


def _warm_page_cache(log) -> float | None:
    """Read the license table and its identifier index into the operating system's page cache
    (pg_prewarm 'read'; PostgreSQL's own buffers stay as configured), as they are on a server
    that has been answering verifications for a while: a freshly built database of millions
    of rows is otherwise measured at the disk's speed. Seconds taken, or None when not done
    (SQLite, or no pg_prewarm)."""
    if connection.vendor != "postgresql":
        return None
    started = time.perf_counter()
    relations = [License._meta.db_table, _unique_index_of(License, "identifier")]
    try:
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
            for relation in relations:
                cursor.execute("SELECT pg_prewarm(%s::regclass, 'read')", [relation])
    except DatabaseError as error:
        log(f"page cache not warmed ({error})")
        return None
    return round(time.perf_counter() - started, 1)


def _unique_index_of(model, field_name: str) -> str:
    """The index behind a unique column: PostgreSQL names it after its unique constraint."""
    column = model._meta.get_field(field_name).column
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return next(
        name
        for name, details in constraints.items()
        if details["unique"] and details["columns"] == [column]
    )


def _machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        lines = [line for line in cpuinfo.read_text().splitlines() if line.startswith("model name")]
        model = lines[0].split(":", 1)[1].strip() if lines else ""
    return {"nproc": os.cpu_count(), "cpu": model}


def _ratio(measured: float | None, floor: float | None, digits: int = 3) -> float | None:
    return round(measured / floor, digits) if measured and floor else None


# --- the benchmark ---------------------------------------------------------------------------


@benchmarks.register("licenses")
class LicensesBenchmark(Benchmark):
    verbose_name = "电子证照：库内与 HTTP 核验吞吐（对比 SM2 验签下限）与签发速度"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--licenses", type=int, default=5_000_000, help="licenses stored")
        parser.add_argument(
            "--signed-every",
            type=int,
            default=5,
            help="every n-th generated license carries a real SM2 signature (1: all)",
        )
        parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
        parser.add_argument("--seconds", type=float, default=15.0, help="time per measurement")
        parser.add_argument("--sample", type=int, default=60_000, help="random identifiers")
        parser.add_argument("--requests", type=int, default=20_000, help="timed API requests")
        parser.add_argument("--concurrency", type=int, default=16, help="concurrent API clients")
        parser.add_argument(
            "--batch-requests", type=int, default=300, help=f"timed API batches of {BATCH}"
        )
        parser.add_argument(
            "--batch-concurrency", type=int, default=4, help="concurrent API batch clients"
        )
        parser.add_argument("--workers", type=int, default=0, help="server processes (cores)")
        parser.add_argument("--threads", type=int, default=2, help="WSGI threads per process")
        parser.add_argument("--rebuild", action="store_true", help="flush and rebuild")
        parser.add_argument("--database-url", default="", help="bench database (default: derived)")
        parser.add_argument(INNER_FLAG, action="store_true", help="(internal)")

    def run(self, options: dict, log) -> BenchResult:
        if options[INNER_FLAG.lstrip("-").replace("-", "_")]:
            return self._measure(options, log)
        return self._inner(options, log)

    def _inner(self, options: dict, log) -> BenchResult:
        size = options["licenses"]
        url = _database_url(size, options["database_url"])
        if url.startswith("postgres"):
            _ensure_postgres_database(url)
        log(f"bench database: {dj_database_url.parse(url)['NAME']} ({size} licenses)")
        argv = [sys.executable, "-m", "yiwang.manage", "bench", "licenses", "--json", INNER_FLAG]
        passed_on = ("licenses", "signed_every", "processes", "seconds", "sample", "requests")
        api_options = ("concurrency", "batch_requests", "batch_concurrency", "workers", "threads")
        for name in (*passed_on, *api_options):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        if options["rebuild"]:
            argv.append("--rebuild")
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "YIWANG_MEDIA_ROOT": str(Path(settings.VAR_DIR) / "bench-licenses-media"),
            "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
            "DJANGO_DEBUG": "false",
        }
        done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            raise RuntimeError(f"benchmark failed for {size} licenses:\n{done.stdout[-3000:]}")
        inner = json.loads(done.stdout.strip().splitlines()[-1])
        return BenchResult(
            name="licenses",
            params=inner["params"],
            metrics=inner["metrics"],
            floor=inner["floor"],
            ratio=inner["ratio"],
        )

    def _measure(self, options: dict, log) -> BenchResult:
        call_command("migrate", verbosity=0)
        size, every = options["licenses"], max(1, options["signed_every"])
        if options["rebuild"]:
            log("flushing the bench database")
            call_command("flush", interactive=False, verbosity=0)
        world = scale.build_world()
        present, built = scale.generated_licenses(size), None
        if present < size:
            log(f"building {size - present} licenses (every {every}. signed)")
            stats = scale.build_licenses(
                size, world, signed_every=every, processes=options["processes"], log=log
            )
            built = round(stats.seconds, 1)
        else:
            log(f"reusing {present} licenses")
        log("reading the license table and its identifier index into the page cache")
        warmed = _warm_page_cache(log)
        maker = scale.identifier_of(world)
        picks = _signed_sample(options["sample"], size, every, seed=2026)
        identifiers = [maker(i) for i in picks]
        seconds = options["seconds"]
        log(
            f"library, raw SM2 verify and the bare engines' lookup + verify, taking turns,"
            f" {seconds:.0f}s each"
        )
        metrics, floor = _library_and_floors(identifiers, seconds)
        log(f"library: look up and verify batches of {BATCH} for {seconds:.0f}s")
        metrics |= _library_batch(identifiers, seconds)
        log(f"offline: parse and verify downloaded licenses for {seconds:.0f}s")
        metrics |= _library_offline(identifiers[:2000], seconds)
        log(f"API: {options['requests']} verifications at concurrency {options['concurrency']}")
        log(f"     and {options['batch_requests']} batches at {options['batch_concurrency']}")
        api, api_params = _api(_api_plan(options, size, every, maker), options, log)
        metrics |= api
        log(f"issuance: sign_license in a loop for {seconds:.0f}s")
        issued = _issuance(world, seconds)
        floor["sm2_sign_per_s"] = issued.pop("sm2_sign_per_s")
        metrics |= issued
        signed_rows = (size + every - 1) // every
        params = {
            "licenses": size,
            "signed": signed_rows,
            "signed_every": every,
            "unsigned_note": (
                "" if every == 1 else "unsigned rows have the same shape; only signed are verified"
            ),
            "build_seconds": built,
            "page_cache_warm_seconds": warmed,
            "database": connection.vendor,
            "seconds": seconds,
            "sample": len(identifiers),
            "today": date.today().isoformat(),
            **api_params,
            **_machine(),
        }
        ratio = {
            "library_vs_raw_verify": _ratio(
                metrics["library_verifications_per_s"], floor["sm2_verify_per_s"]
            ),
            "library_vs_lookup_and_raw_verify": _ratio(
                metrics["library_verifications_per_s"], floor["lookup_and_sm2_verify_per_s"]
            ),
            "offline_vs_raw_verify": _ratio(
                metrics["offline_verifications_per_s"], floor["sm2_verify_per_s"]
            ),
            "library_batch_vs_raw_verify": _ratio(
                metrics["library_batch_verifications_per_s"], floor["sm2_verify_per_s"]
            ),
            "api_verifications_per_s": metrics["api_verifications_per_s"],
            "api_vs_raw_verify": _ratio(
                metrics["api_verifications_per_s"], floor["sm2_verify_per_s"]
            ),
            "api_batch_verifications_per_s": metrics.get("api_batch_verifications_per_s"),
            "issuance_per_s": metrics["issuance_per_s"],
            "issuance_vs_raw_sign": _ratio(metrics["issuance_per_s"], floor["sm2_sign_per_s"]),
        }
        return BenchResult(
            name="licenses", params=params, metrics=metrics, floor=floor, ratio=ratio
        )
