"""Benchmarks: `yiwang bench NAME --json` prints one JSON object as its last line.

Each benchmark measures the platform's figure and, in the same run, the `floor`: the same work
done by the bare engine (database, crypto library, HTTP server). The ratio survives a noisy
machine where a raw figure would not. Contexts register their benchmarks here.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from yiwang.core.plugins import Plugin, Registry


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
