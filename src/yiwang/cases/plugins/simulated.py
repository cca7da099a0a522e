"""The embedded profile's payment provider and courier. The payment side signs its callbacks
with HMAC-SM3 under a shared secret exactly as a real provider signs with its key, and keeps
its own ledger for the daily statement; the courier numbers shipments."""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.core.cache import cache

from yiwang.cases.plugins import (
    Courier,
    PaymentProvider,
    StatementLine,
    couriers,
    payment_providers,
)
from yiwang.core.crypto import hmac_sm3, same_mac

LEDGER = "yiwang:simulated-pay:{day}"


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _secret() -> bytes:
    return settings.PAYMENT_CALLBACK_SECRET.encode()


@payment_providers.register("simulated-pay")
class SimulatedPayment(PaymentProvider):
    verbose_name = "统一公共支付（模拟）"
    is_demo = True

    def pay_url(self, order) -> str:
        return f"/dev/pay/{order.order_no}/"

    def sign(self, payload: dict) -> str:
        return hmac_sm3(_secret(), canonical(payload)).hex()

    def verify(self, payload: dict, signature: str) -> bool:
        expected = self.sign(payload)
        return same_mac(expected.encode(), (signature or "").encode())

    def settle(self, order, day) -> dict:
        """The provider's side of a payment: a signed callback payload, and a ledger line."""
        payload = {
            "order_no": order.order_no,
            "amount_fen": order.amount_fen,
            "txn": "SIM" + secrets.token_hex(8),
        }
        key = LEDGER.format(day=day.isoformat())
        cache.set(key, [*cache.get(key, []), payload], 3 * 24 * 3600)
        return payload

    def statement(self, day) -> list[StatementLine]:
        lines = cache.get(LEDGER.format(day=day.isoformat()), [])
        return [StatementLine(x["order_no"], x["amount_fen"], x["txn"]) for x in lines]


@couriers.register("simulated-courier")
class SimulatedCourier(Courier):
    verbose_name = "邮政快递（模拟）"
    is_demo = True

    def ship(self, case, address: str) -> str:
        return "SIM" + secrets.token_hex(6).upper()
