"""The search benchmark keeps its contract: one JSON line with metrics, floor and ratio."""

import json
import subprocess
import sys


def test_bench_search_prints_one_json_object_last(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiwang.manage",
            "bench",
            "search",
            "--json",
            "--entries",
            "3000",
            "--rounds",
            "1",
            "--queries",
            "10",
            "--workers",
            "1",
            "--database-url",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["name"] == "search"
    assert result["params"]["entries"] > 0 and result["params"]["database"] == "sqlite"
    assert result["metrics"]["failures"] == 0
    assert result["metrics"]["samples"] == 10 and result["floor"]["samples"] == 10
    assert result["metrics"]["p95_ms"] >= result["metrics"]["p50_ms"] > 0
    assert result["ratio"]["p50"] == round(
        result["metrics"]["p50_ms"] / result["floor"]["p50_ms"], 2
    )
