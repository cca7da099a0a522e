"""Benchmarks: `yiwang bench NAME --json` prints one JSON object as its last line.

Each benchmark measures the platform's figure and, in the same run, the `floor`: the same work
done by the bare engine (database, crypto library, HTTP server). The ratio survives a noisy
machine where a raw figure would not. Contexts register their benchmarks here.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from yiwang.core.loopback import free_port, wait_until_healthy
from yiwang.core.plugins import Plugin, Registry

SERVER_SETTINGS = "yiwang.settings.dev"


class Benchmark(Plugin):
    def add_arguments(self, parser) -> None:
        """Declare the benchmark's own options."""

    def run(self, options: dict, log) -> BenchResult:
        raise NotImplementedError


@dataclass
class BenchResult:
    name: str
    params: dict
    metrics: dict
    floor: dict
    ratio: dict = field(default_factory=dict)


benchmarks: Registry[Benchmark] = Registry("benchmarks")


def percentiles(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    cut = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(cut[94], 3),
        "p99_ms": round(cut[98], 3),
        "samples": len(ordered),
    }


class Server:
    """The platform served as deployed (docs/deploy.md): granian, `workers` processes of
    `threads` WSGI threads each, on a free loopback port, with the bench database of the
    environment. Rate limits are off (every benchmark request comes from one address) and
    the outbox worker does not run (events are recorded, not delivered). `env` adds to the
    environment: another settings module serves a floor view."""

    def __init__(self, *, workers: int, threads: int, env: dict[str, str] | None = None):
        self.port = free_port()
        # The server's output, shown if it fails to start; closed (and removed) by stop().
        self._log = tempfile.NamedTemporaryFile(prefix="yiwang-bench-server-")  # noqa: SIM115
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
            "DJANGO_DEBUG": "false",
            "YIWANG_EVENT_WORKER": "external",
            "LOG_LEVEL": "WARNING",
            "YIWANG_RATELIMIT": "false",
            **(env or {}),
        }
        command = [
            str(Path(sys.executable).with_name("granian")),
            *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port)),
            *("--workers", str(workers), "--blocking-threads", str(threads)),
            *("--no-ws", "--log-level", "warning", "yiwang.wsgi:application"),
        ]
        self.process = subprocess.Popen(
            command, env=environment, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{self.port}", self.process, Path(self._log.name))
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
