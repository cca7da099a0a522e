"""Reads of the e-license library: a license by identifier (one unique-index lookup), a
holder's licenses by blind index, the license types a material accepts, and the trust list."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.catalog.models import CatalogItem
from yiwang.core.keys import Sealer
from yiwang.core.statements import RelatedLookup
from yiwang.identity.constants import AccountKind
from yiwang.identity.models import Account, OrganizationAccount, OrganizationMember
from yiwang.licenses import identifiers, signing
from yiwang.licenses.constants import HOLDER_ID_PURPOSE, HolderKind
from yiwang.licenses.models import License, LicenseType, Seal

VERIFICATION_JOINS = ("license_type", "issuer", "seal", "seal__agency")
# Every public verification starts here: one prepared statement, not an ORM query, reading
# of the related rows what verification and its answer show (the rest loads if touched).
# Public for the benchmark, which replays its statement as the library's floor.
BY_IDENTIFIER = RelatedLookup(
    License,
    {
        "license_type": ("code", "name", "holder_kind", "data_schema", "display_hints"),
        "issuer": ("uscc", "name"),
        "seal": ("name", "key_id", "public_key_pem", "valid_from", "valid_until", "revoked_at"),
        "seal__agency": ("uscc", "name"),
    },
    "identifier",
)


def license_by_identifier(identifier: str, *, field: str = "identifier") -> License | None:
    """The license an identifier names, with what verification reads. A malformed identifier
    is refused (DomainError on `field`) before the database is asked."""
    return BY_IDENTIFIER.get(str(identifiers.parse_identifier(identifier, field=field)))


def licenses_by_identifiers(canonical: Sequence[str]) -> dict[str, License]:
    """The licenses a batch of parsed identifiers names, by identifier: one statement."""
    return {license.identifier: license for license in BY_IDENTIFIER.get_many(canonical)}


def holder_accounts(license: License) -> list[int]:
    """The accounts to tell about a license: the holder person's account, or the people who
    may act for the holder organization now (its representative and agents)."""
    if license.holder_kind == HolderKind.PERSON:
        people = Account.objects.filter(
            kind=AccountKind.PERSON, id_number_index=license.holder_id_index, is_active=True
        )
        return list(people.values_list("pk", flat=True))
    purpose = HOLDER_ID_PURPOSE[license.holder_kind]
    uscc = Sealer(purpose).open(license.holder_id_sealed, context=license.identifier)
    now = timezone.now()
    members = OrganizationMember.objects.filter(
        organization__in=OrganizationAccount.objects.filter(uscc=uscc),
        revoked_at__isnull=True,
        valid_from__lte=now,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
    return sorted(set(members.values_list("account_id", flat=True)))


def holder_recipients(license: License) -> dict:
    """Whom an event about the license reaches: `account` (a person holder's own account, for
    the inbox) and `accounts` (everyone who may act for the holder)."""
    accounts = holder_accounts(license)
    person = license.holder_kind == HolderKind.PERSON
    return {"account": accounts[0] if person and accounts else None, "accounts": accounts}


def holder_index(holder_kind: str, holder_id: str) -> str:
    """The blind index licenses of this holder are filed under. For a person it equals the
    index their account and population record carry."""
    return Sealer(HOLDER_ID_PURPOSE[holder_kind]).index(holder_id)


def licenses_held(index: str) -> QuerySet[License]:
    """A holder's licenses (我的证照), newest first, through the (holder, type) index."""
    return (
        License.objects.select_related("license_type", "issuer")
        .filter(holder_id_index=index)
        .order_by("-issued_on", "-id")
    )


def license_types_for_material(catalog_item: CatalogItem, material_name: str) -> QuerySet:
    """The license types that satisfy a material of a catalog item (免提交)."""
    return LicenseType.objects.filter(
        materials__catalog_item=catalog_item, materials__material_name=material_name
    ).order_by("code")


def trusted_seal(seal: Seal) -> signing.TrustedSeal:
    return signing.TrustedSeal(
        seal_id=seal.key_id,
        issuer_uscc=seal.agency.uscc,
        issuer_name=seal.agency.name,
        seal_name=seal.name,
        public_key_pem=seal.public_key_pem,
        valid_from=seal.valid_from,
        valid_until=seal.valid_until,
        revoked_at=seal.revoked_at,
    )


def trust_list() -> signing.TrustList:
    """Every seal this platform ever made: revoked ones too, since what they signed before
    their revocation still verifies."""
    seals = Seal.objects.select_related("agency").order_by("pk")
    return signing.TrustList(trusted_seal(seal) for seal in seals.iterator(chunk_size=1000))


def trust_list_document() -> dict:
    """The trust list as published at the well-known URL (JSON)."""
    return trust_list().to_document(platform=settings.PUBLIC_BASE_URL, generated_at=timezone.now())
