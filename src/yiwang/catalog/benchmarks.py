"""`yiwang bench search`: search latency through HTTP at province scale, next to its floor.

The benchmark works in a database of its own (DATABASE_URL's database + "_bench" on
PostgreSQL, var/bench-search.sqlite3 otherwise) so it never touches real data: the command
re-runs itself with that DATABASE_URL, builds the catalog once (kept for later runs of the
same size), starts the server on loopback (granian, as deployed) and times a fixed query set
through HTTP. The floor is the very SQL those searches issue, captured in-process and replayed
straight on the database.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

import dj_database_url
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from yiwang.catalog import scale, selectors
from yiwang.catalog.models import SearchEntry
from yiwang.catalog.search import Filters
from yiwang.core.bench import Benchmark, BenchResult, Server, benchmarks, percentiles
from yiwang.regions import selectors as region_selectors
from yiwang.regions.constants import Level
from yiwang.regions.models import Region

INNER_FLAG = "--inside-bench-database"

QUERIES = [
    "营业执照",
    "yyzz",
    "开饭店",
    "食品经营许可",
    "身份证",
    "办身份证",
    "上户口",
    "出生登记",
    "户口迁移",
    "社保卡",
    "sbk",
    "公积金",
    "gjj",
    "取公积金",
    "结婚",
    "结婚登记",
    "离婚",
    "残疾证",
    "低保",
    "养老保险",
    "医保",
    "异地就医",
    "驾照",
    "房产证",
    "不动产登记",
    "个体户",
    "开公司",
    "开药店",
    "教师资格",
    "护士",
    "烟花爆竹",
    "危险化学品经营许可",
    "道路运输",
    "渔业捕捞",
    "建筑业企业资质",
    "林木采伐",
    "网吧",
    "民办学校",
    "律师执业",
    "特种设备",
]


def _database_url_for_bench() -> str:
    current = settings.DATABASE_URL
    parsed = dj_database_url.parse(current)
    if parsed["ENGINE"].endswith("postgresql"):
        path = urllib.parse.urlsplit(current)
        return urllib.parse.urlunsplit(path._replace(path=f"/{parsed['NAME']}_bench"))
    return f"sqlite:///{Path(settings.VAR_DIR) / 'bench-search.sqlite3'}"


def _ensure_postgres_database(url: str) -> None:
    parsed = dj_database_url.parse(url)
    admin = dict(
        host=parsed["HOST"] or None,
        port=parsed["PORT"] or None,
        user=parsed["USER"] or None,
        password=parsed["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**{k: v for k, v in admin.items() if v is not None}) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [parsed["NAME"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{parsed["NAME"]}"')


def _query_plan(count: int) -> list[tuple[str, str]]:
    """Each query with a region: a fifth unfiltered, the rest a county, township or village."""
    rng = random.Random(2026)
    codes = {
        level: list(
            Region.objects.filter(level=level).exclude(name="市辖区").values_list("code", flat=True)
        )
        for level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
    }
    plan = []
    for index in range(count):
        query = QUERIES[index % len(QUERIES)]
        level = (None, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE, Level.COUNTY)[index % 5]
        plan.append((query, rng.choice(codes[level]) if level else ""))
    return plan


def _time_http(server: Server, plan: list[tuple[str, str]], rounds: int) -> tuple[list[float], int]:
    conn = HTTPConnection("127.0.0.1", server.port, timeout=30)
    samples, failures = [], 0
    for round_number in range(rounds + 1):
        for query, region in plan:
            path = "/api/catalog/search?" + urllib.parse.urlencode({"q": query, "region": region})
            started = time.perf_counter()
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            elapsed = (time.perf_counter() - started) * 1000
            failures += response.status != 200
            if round_number:  # the first round warms caches and workers
                samples.append(elapsed)
    return samples, failures


def _capture_sql(plan: list[tuple[str, str]]) -> list[list[tuple[str, tuple]]]:
    """The SQL each search issues, captured from the platform's own search path."""
    captured = []
    for query, region in plan:
        with CaptureQueriesContext(connection) as context:
            filters = Filters(region_code=region_selectors.check_region(region))
            page = selectors.search(query, filters)
            [entry.implementation_code for entry in page.results]
        captured.append([(q["sql"], ()) for q in context.captured_queries])
    return captured


def _time_floor(statements: list[list[tuple[str, tuple]]], rounds: int) -> list[float]:
    samples = []
    with connection.cursor() as cursor:
        for round_number in range(rounds + 1):
            for sqls in statements:
                started = time.perf_counter()
                for sql, _ in sqls:
                    cursor.execute(sql)
                    cursor.fetchall()
                elapsed = (time.perf_counter() - started) * 1000
                if round_number:
                    samples.append(elapsed)
    return samples


@benchmarks.register("search")
class SearchBenchmark(Benchmark):
    verbose_name = "事项搜索：HTTP 延迟与直接查询索引的下限"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--entries", type=int, default=1_200_000, help="implementation entries")
        parser.add_argument("--rounds", type=int, default=5, help="timed passes over the query set")
        parser.add_argument("--queries", type=int, default=80, help="queries per pass")
        parser.add_argument("--workers", type=int, default=2, help="server processes")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
        parser.add_argument(
            "--database-url", default="", help="the bench database (default: derived)"
        )
        parser.add_argument(INNER_FLAG, action="store_true", help="(internal)")

    def run(self, options: dict, log) -> BenchResult:
        if not options[INNER_FLAG.lstrip("-").replace("-", "_")]:
            return self._rerun_in_bench_database(options, log)
        return self._measure(options, log)

    def _rerun_in_bench_database(self, options: dict, log) -> BenchResult:
        url = options["database_url"] or _database_url_for_bench()
        if url.startswith("postgres"):
            _ensure_postgres_database(url)
        argv = [
            sys.executable,
            "-m",
            "yiwang.manage",
            "bench",
            "search",
            "--json",
            INNER_FLAG,
            "--entries",
            str(options["entries"]),
            "--rounds",
            str(options["rounds"]),
            "--queries",
            str(options["queries"]),
            "--workers",
            str(options["workers"]),
        ]
        if options["rebuild"]:
            argv.append("--rebuild")
        log(f"bench database: {dj_database_url.parse(url)['NAME']}")
        done = subprocess.run(
            argv, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True
        )
        sys.stderr.write(done.stderr)
        if done.returncode:
            raise RuntimeError(f"benchmark failed:\n{done.stdout}")
        return BenchResult(**json.loads(done.stdout.strip().splitlines()[-1]))

    def _measure(self, options: dict, log) -> BenchResult:
        call_command("migrate", verbosity=0)
        entries = self._ensure_data(options["entries"], options["rebuild"], log)
        plan = _query_plan(options["queries"])
        log("capturing the search SQL and timing the floor")
        floor = percentiles(_time_floor(_capture_sql(plan), options["rounds"]))
        log(f"starting the server with {options['workers']} workers")
        with Server(workers=options["workers"], threads=1) as server:
            samples, failures = _time_http(server, plan, options["rounds"])
        metrics = {**percentiles(samples), "failures": failures}
        return BenchResult(
            name="search",
            params={
                "entries": entries,
                "queries": len(plan),
                "rounds": options["rounds"],
                "workers": options["workers"],
                "database": connection.vendor,
                "catalog_items": self._catalog_items(),
            },
            metrics=metrics,
            floor=floor,
            ratio={
                "p50": round(metrics["p50_ms"] / floor["p50_ms"], 2),
                "p95": round(metrics["p95_ms"] / floor["p95_ms"], 2),
            },
        )

    @staticmethod
    def _catalog_items() -> int:
        return SearchEntry.objects.values("catalog_item").distinct().count()

    @staticmethod
    def _ensure_data(entries: int, rebuild: bool, log) -> int:
        present = SearchEntry.objects.count()
        if present and not rebuild and abs(present - entries) <= entries * 0.01:
            log(f"reusing {present} entries")
            return present
        if present:
            log("flushing the bench database")
            call_command("flush", interactive=False, verbosity=0)
        log(f"building {entries} entries")
        started = time.monotonic()
        stats = scale.build_entries(entries)
        log(
            f"built {stats.entries} entries, {stats.catalog_items} catalog items, "
            f"{stats.organizations} agencies in {time.monotonic() - started:.0f}s"
        )
        return stats.entries
