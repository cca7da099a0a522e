"""Identity providers for L3 (strong) real-name checks: face comparison or digital certificates.

The embedded profile ships a simulated face check that trusts the population registry; a real
provider (the public-security face service, a CA's certificate check) registers here and is
chosen by the YIWANG_STRONG_VERIFIER setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.core.plugins import Plugin, Registry


@dataclass(frozen=True)
class Outcome:
    passed: bool
    reason: str = ""


class StrongVerifier(Plugin):
    label = ""

    def challenge(self, account) -> str:
        """What the applicant's device must answer (a nonce for a liveness video or a signature)."""
        raise NotImplementedError

    def verify(self, account, evidence: str) -> Outcome:
        raise NotImplementedError


strong_verifiers: Registry[StrongVerifier] = Registry("strong real-name verifier")

from yiwang.identity.plugins import simulated  # noqa: E402,F401  (registers the embedded one)
