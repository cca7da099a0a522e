"""Reuse of e-licenses in cases (免提交): the material provider cases ask, and the usage log.

A material of a case's catalog item that a license type satisfies (LicenseMaterial) is
attached, not uploaded, when the applicant holds a license of that type which is valid, inside
its validity and verifies. The holder is found by blind index only: a person's account index
(real-name verified accounts only, so nobody reaches another's licenses by registering their ID
number), an organization's USCC under its purpose. Nobody else's license can be attached.

Cases learn the case number only when the submission commits, so the use is logged on
`case.submitted`: a LicenseUse (办事免提交) per license attached, once.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.cases.constants import MaterialSource
from yiwang.cases.models import Case
from yiwang.cases.plugins import HeldMaterial, MaterialProvider, material_providers
from yiwang.catalog.constants import RealNameLevel
from yiwang.core import keys
from yiwang.core.errors import DomainError
from yiwang.core.events import consumer
from yiwang.licenses import identifiers, selectors, services
from yiwang.licenses.constants import USCC_PURPOSE, HolderKind, LicenseStatus, UseKind
from yiwang.licenses.models import License, LicenseUse

# How many held licenses of the accepted types are tried, newest first, before giving up.
CANDIDATES = 5


def case_holder(case: Case) -> tuple[str, str] | None:
    """(holder kind, blind index) of the case's applicant as a license holder, or None when
    the applicant cannot be trusted to hold licenses (not real-name verified)."""
    if case.organization_id:
        return HolderKind.ORGANIZATION, keys.blind_index(USCC_PURPOSE, case.organization.uscc)
    person = case.applicant
    if person.level < RealNameLevel.REAL_NAME or not person.id_number_index:
        return None
    return HolderKind.PERSON, person.id_number_index


def valid_licenses_held(index: str, license_types, today) -> QuerySet[License]:
    """The holder's licenses of these types that are valid today, newest first."""
    return (
        License.objects.select_related(*selectors.VERIFICATION_JOINS)
        .filter(
            holder_id_index=index,
            license_type__in=license_types,
            status=LicenseStatus.VALID,
            valid_from__lte=today,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-issued_on", "-id")
    )


@material_providers.register("e-licenses")
class HeldLicense(MaterialProvider):
    verbose_name = "电子证照库"

    def find(self, case, material) -> HeldMaterial | None:
        holder = case_holder(case)
        if holder is None:
            return None
        kind, index = holder
        license_types = selectors.license_types_for_material(
            case.service_item.catalog_item, material.name
        ).filter(holder_kind=kind)
        if not license_types.exists():
            return None
        today = timezone.localdate()
        keyring = services.Keyring()
        for license in valid_licenses_held(index, license_types, today)[:CANDIDATES]:
            if services.verify_license(license, today=today, keyring=keyring).is_valid:
                name = license.license_type.name
                return HeldMaterial(license.identifier, f"{name}（电子证照，已核验有效）")
        return None


def _identifier(reference: str) -> str | None:
    try:
        return str(identifiers.parse_identifier(reference))
    except DomainError:
        return None  # a held material of another provider (an ID card, shared data)


@consumer("case.submitted")
def log_attached_licenses(event_id: int, payload: dict) -> None:
    """用证记录: each license attached to the submitted case is logged once, for its holder;
    a reference to anyone else's license is not logged (and would not have been attached)."""
    case = (
        Case.objects.select_related("applicant", "organization", "agency")
        .filter(uid=payload["case"])
        .first()
    )
    holder = case_holder(case) if case is not None and case.number else None
    if holder is None:
        return
    held = case.materials.filter(source=MaterialSource.HELD).values_list("name", "reference")
    references = {}
    for name, reference in held:
        if identifier := _identifier(reference):
            references[identifier] = name
    licenses = License.objects.filter(identifier__in=references, holder_id_index=holder[1])
    logged = set(
        LicenseUse.objects.filter(
            kind=UseKind.ATTACHED, case_number=case.number, license__in=licenses
        ).values_list("license_id", flat=True)
    )
    LicenseUse.objects.bulk_create(
        LicenseUse(
            license=license,
            kind=UseKind.ATTACHED,
            used_at=case.submitted_at or timezone.now(),
            user=case.agency.name,
            case_number=case.number,
            detail={"material": references[license.identifier]},
        )
        for license in licenses
        if license.pk not in logged
    )
