"""Identity devices and providers: L3 (strong) real-name checks — face comparison or digital
certificates — and the windows' second-generation ID-card readers.

The embedded profile ships simulated ones; real providers (the public-security face service, a
CA's certificate check, a reader's SDK) register here and are chosen by settings
(YIWANG_STRONG_VERIFIER, YIWANG_CARD_READER).
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


@dataclass(frozen=True)
class CardReading:
    """What a reader takes off the card's chip: authoritative, unlike what anyone types."""

    name: str
    id_number: str
    address: str = ""


class CardReader(Plugin):
    def read(self, presented: str) -> CardReading:
        """Read the card on the reader; `presented` is the device's raw answer."""
        raise NotImplementedError


card_readers: Registry[CardReader] = Registry("ID-card reader")

from yiwang.identity.plugins import simulated  # noqa: E402,F401  (registers the embedded one)
