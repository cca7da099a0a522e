"""The licenses benchmark keeps its contract: one JSON line with metrics, floor and ratio."""

import json
import subprocess
import sys


def test_bench_licenses_prints_one_json_object_last(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "yiwang.manage",
            "bench",
            "licenses",
            "--json",
            *("--licenses", "2000", "--signed-every", "5", "--seconds", "0.6"),
            *("--sample", "200", "--requests", "60", "--concurrency", "3"),
            *("--batch-requests", "2", "--batch-concurrency", "2"),
            *("--workers", "2", "--threads", "2"),
            *("--database-url", url),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["name"] == "licenses"
    params, metrics, floor, ratio = (result[key] for key in ("params", "metrics", "floor", "ratio"))
    assert params["licenses"] == 2000 and params["signed"] == 400 and params["database"] == "sqlite"
    assert params["api_workers"] == 2 and params["api_threads"] == 2
    assert params["api_concurrency"] == 3
    assert floor["sm2_verify_per_s"] > 0 and floor["sm2_sign_per_s"] > 0
    assert floor["prepared_failures"] == 0
    # The bare engines do less than the library, which adds Python to the same work.
    assert 0 < floor["lookup_and_sm2_verify_per_s"] < floor["sm2_verify_per_s"]
    assert metrics["library_failures"] == 0 and metrics["library_verifications_per_s"] > 0
    assert metrics["library_p95_ms"] >= metrics["library_p50_ms"] > 0
    assert metrics["offline_failures"] == 0 and metrics["offline_verifications_per_s"] > 0
    assert metrics["library_batch_failures"] == 0
    assert metrics["library_batch_verifications_per_s"] > 0
    assert metrics["api_failures"] == 0 and metrics["api_verifications_per_s"] > 0
    assert metrics["api_client_cpu_ms"] > 0 and metrics["api_batch_client_cpu_ms"] > 0
    assert metrics["api_batch_failures"] == 0 and metrics["api_batch_verifications_per_s"] > 0
    assert params["batch"] == 100 and params["api_batch_concurrency"] == 2
    assert metrics["issuance_per_s"] > 0 and metrics["issued"] > 0
    assert ratio["library_vs_raw_verify"] == round(
        metrics["library_verifications_per_s"] / floor["sm2_verify_per_s"], 3
    )
    assert ratio["library_vs_lookup_and_raw_verify"] == round(
        metrics["library_verifications_per_s"] / floor["lookup_and_sm2_verify_per_s"], 3
    )
    assert ratio["library_batch_vs_raw_verify"] == round(
        metrics["library_batch_verifications_per_s"] / floor["sm2_verify_per_s"], 3
    )
    assert ratio["api_verifications_per_s"] == metrics["api_verifications_per_s"]
