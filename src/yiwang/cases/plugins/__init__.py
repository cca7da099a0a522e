"""Integration points of case handling.

Material providers answer "does the platform already hold this material for this applicant?"
(an e-license, a shared-data record): what one holds is attached as 免提交 and never asked
for. `licenses` and `exchange` register providers; cases only knows this interface.
"""

from __future__ import annotations

from dataclasses import dataclass

from yiwang.core.plugins import Plugin, Registry


@dataclass(frozen=True)
class HeldMaterial:
    reference: str  # e.g. the license identifier, shown to the reviewer
    description: str  # e.g. "电子营业执照（有效）"


class MaterialProvider(Plugin):
    def find(self, case, material) -> HeldMaterial | None:
        """The held record satisfying `material` (a catalog Guide Material) for the case's
        applicant, or None."""
        raise NotImplementedError


material_providers: Registry[MaterialProvider] = Registry("material provider")


@dataclass(frozen=True)
class StatementLine:
    order_no: str
    amount_fen: int
    provider_txn: str


class PaymentProvider(Plugin):
    """A payment channel (统一公共支付平台, a bank): orders out, signed callbacks in, and a daily
    statement to reconcile against."""

    def pay_url(self, order) -> str:
        raise NotImplementedError

    def verify(self, payload: dict, signature: str) -> bool:
        """Is the callback really from the provider (signature over the payload)?"""
        raise NotImplementedError

    def statement(self, day) -> list[StatementLine]:
        raise NotImplementedError


class Courier(Plugin):
    """An express service (EMS for government documents): a tracking number per shipment."""

    def ship(self, case, address: str) -> str:
        raise NotImplementedError


payment_providers: Registry[PaymentProvider] = Registry("payment provider")
couriers: Registry[Courier] = Registry("courier")

from yiwang.cases.plugins import held, simulated  # noqa: E402,F401  (registers providers)
