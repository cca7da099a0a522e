"""The cases benchmark keeps its contract: one JSON line with metrics, floor and ratio."""

import json
import subprocess
import sys


def test_bench_cases_prints_one_json_object_last(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiwang.manage",
            "bench",
            "cases",
            "--json",
            *("--cases", "2000", "--submissions", "40", "--concurrency", "4"),
            *("--workers", "2", "--lookups", "30", "--red-runs", "2", "--applicants", "12"),
            *("--database-url", url),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["name"] == "cases"
    params, metrics, floor = result["params"], result["metrics"], result["floor"]
    assert params["cases"] == {"2000": 2000} and params["database"] == "sqlite"
    assert params["concurrency"] == 4 and params["workers"] == 2
    assert metrics["submission_failures"] == 0 and metrics["progress_failures"] == 0
    assert metrics["submissions_per_s"] > 0 and floor["submissions_per_s"] > 0
    assert metrics["step_by_step_submission_failures"] == 0
    assert metrics["step_by_step_submissions_per_s"] > 0
    assert metrics["submission_p95_ms"] >= metrics["submission_p50_ms"] > 0
    assert metrics["progress_p95_ms"]["2000"] >= metrics["progress_p50_ms"]["2000"] > 0
    assert metrics["red_list_p95_ms"] >= metrics["red_list_p50_ms"] > 0
    assert floor["progress_p95_ms"] > 0 and floor["red_list_p95_ms"] > 0
    assert result["ratio"]["submissions"] == round(
        metrics["submissions_per_s"] / floor["submissions_per_s"], 3
    )
