"""The material providers cases can answer itself: an applicant's own ID card is held by the
platform once the account is real-name verified against the population registry (L2), so it
is never uploaded (免提交). E-licenses and shared data register their providers later."""

from __future__ import annotations

from yiwang.cases.plugins import HeldMaterial, MaterialProvider, material_providers
from yiwang.catalog.constants import MaterialSource, RealNameLevel
from yiwang.registries import selectors as registries
from yiwang.registries.constants import PersonStatus

ID_CARD = "居民身份证"


@material_providers.register("population-registry")
class VerifiedIdCard(MaterialProvider):
    verbose_name = "人口库（居民身份证）"

    def find(self, case, material) -> HeldMaterial | None:
        applies = material.source == MaterialSource.LICENSE and material.license_type == ID_CARD
        person = case.applicant
        if not applies or not material.required or person.level < RealNameLevel.REAL_NAME:
            return None
        record = registries.person_by_index(person.id_number_index)
        if record is None or record.status != PersonStatus.ALIVE:
            return None
        return HeldMaterial(person.id_number_masked, "居民身份证（人口库已核验）")
