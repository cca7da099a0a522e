"""The embedded profile's face check: it plays the part of a liveness SDK that signs its result.

The challenge is a signed, single-use nonce bound to the account; the simulated camera page
returns it as the "liveness result". A real provider replaces both ends, not this interface.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.core.cache import cache

from yiwang.core.errors import DomainError
from yiwang.identity.plugins import (
    CardReader,
    CardReading,
    Outcome,
    StrongVerifier,
    card_readers,
    strong_verifiers,
)
from yiwang.registries import selectors as registries

SALT = "yiwang.identity.simulated-face"
MAX_AGE_SECONDS = 300


@strong_verifiers.register("simulated-face")
class SimulatedFaceCheck(StrongVerifier):
    verbose_name = "人脸核验（模拟）"
    is_demo = True

    def challenge(self, account) -> str:
        return signing.dumps(
            {"account": str(account.uid), "nonce": secrets.token_hex(8)}, salt=SALT
        )

    def verify(self, account, evidence: str) -> Outcome:
        try:
            claim = signing.loads(evidence or "", salt=SALT, max_age=MAX_AGE_SECONDS)
        except signing.SignatureExpired:
            return Outcome(False, "人脸核验已超时，请重新开始")
        except signing.BadSignature:
            return Outcome(False, "人脸核验结果无效")
        if claim.get("account") != str(account.uid):
            return Outcome(False, "人脸核验结果不属于本账号")
        if not cache.add(f"{SALT}:{claim['nonce']}", 1, MAX_AGE_SECONDS):
            return Outcome(False, "人脸核验结果已使用")
        return Outcome(True)


@card_readers.register("simulated-reader")
class SimulatedCardReader(CardReader):
    """Stands in for the reader at an embedded-profile window: the clerk types the number on
    the card, and the "chip" answers with the population registry's holder, as a real chip
    answers with what the issuing authority wrote."""

    verbose_name = "二代身份证读卡器（模拟）"
    is_demo = True

    def read(self, presented: str) -> CardReading:
        person = registries.person_by_id_number((presented or "").strip().upper())
        if person is None:
            raise DomainError.of("id_card", "读卡失败：人口库中没有该证件")
        return CardReading(
            name=person.name,
            id_number=presented.strip().upper(),
            address=person.household_region.name,
        )
