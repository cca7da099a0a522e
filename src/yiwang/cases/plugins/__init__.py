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
