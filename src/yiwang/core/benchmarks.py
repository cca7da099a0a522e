"""`yiwang bench crypto`: SM2 through core.crypto next to the bare Tongsuo calls."""

from __future__ import annotations

import time
from collections.abc import Callable

from tongsuopy.crypto import hashes
from tongsuopy.crypto.asymciphers import ec

from yiwang.core import crypto
from yiwang.core.bench import Benchmark, BenchResult, benchmarks


def _rate(operation: Callable[[], object], seconds: float) -> float:
    """Operations per second, the median of three timed slices."""
    rates = []
    for _ in range(3):
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / 3:
            operation()
            count += 1
        rates.append(count / elapsed)
    return round(sorted(rates)[1], 1)


@benchmarks.register("crypto")
class CryptoBenchmark(Benchmark):
    verbose_name = "国密：SM2 签名与验签（core.crypto 与 Tongsuo 直接调用）"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
        parser.add_argument("--size", type=int, default=1024, help="bytes signed")

    def run(self, options: dict, log) -> BenchResult:
        data = b"\x5a" * options["size"]
        pair = crypto.SM2KeyPair.generate()
        public = crypto.load_public_key(pair.public_pem())
        signature = pair.sign(data)
        raw_algorithm = ec.ECDSA(hashes.SM3())
        seconds = options["seconds"]
        log("timing SM2 verify and sign")
        metrics = {
            "sm2_verify_per_s": _rate(lambda: crypto.sm2_verify(public, signature, data), seconds),
            "sm2_sign_per_s": _rate(lambda: pair.sign(data), seconds),
        }
        floor = {
            "sm2_verify_per_s": _rate(
                lambda: public.verify(signature, data, raw_algorithm), seconds
            ),
            "sm2_sign_per_s": _rate(lambda: pair.private_key.sign(data, raw_algorithm), seconds),
        }
        return BenchResult(
            name="crypto",
            params={"bytes": options["size"], "seconds": seconds, "backend": "tongsuopy"},
            metrics=metrics,
            floor=floor,
            ratio={key: round(metrics[key] / floor[key], 3) for key in metrics},
        )
