"""The issuing authority's desk on the workbench: the licenses an agency issued (found by
identifier, or the newest), their versions and signed lifecycle steps, and 存量转换 with the
agency's seal.

Who may: approvers of the issuing agency, or region-wide approvers above it — exactly whom
lifecycle's 变更、延续、注销、撤销 accept, because the desk asks lifecycle's own check. Anyone
else is refused (403) and the refusal is audited (`license.authority_refused`) in a
transaction of its own, since a refusal changes nothing else; nothing of the license is shown.
The lifecycle steps and the import themselves are lifecycle's and stock's services.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from yiwang.core.audit import record_audit
from yiwang.core.errors import DomainError, FieldError, Forbidden, NotFound
from yiwang.identity import selectors as identity
from yiwang.identity.constants import Role
from yiwang.identity.models import Account
from yiwang.licenses import identifiers, license_data, lifecycle, stock
from yiwang.licenses.constants import SealStatus
from yiwang.licenses.models import ImportBatch, License, LicenseType, LifecycleRecord, Seal
from yiwang.regions.models import Organization

AUTHORITY_ROLE = Role.APPROVER
RECENT_LIMIT = 50
REFUSED_ACTION = "license.authority_refused"


def _refused(error: Forbidden, *, account: Account, target: str, address: str) -> Forbidden:
    with transaction.atomic():
        record_audit(
            REFUSED_ACTION,
            actor=str(account),
            target=target,
            address=address,
            detail={"reason": error.detail},
        )
    return error


def issuing_agencies(account: Account) -> QuerySet[Organization]:
    """The agencies whose licenses the account manages: the agency of each approver role, or
    every agency in the region of a role held for the whole region."""
    scope = Q(pk__in=[])
    for assignment in identity.roles_of(account).filter(role=AUTHORITY_ROLE):
        in_region = Q(region__code__startswith=assignment.region.prefix)
        scope |= (in_region & Q(pk=assignment.agency_id)) if assignment.agency_id else in_region
    return Organization.objects.filter(scope)


def recent_licenses(account: Account, limit: int = RECENT_LIMIT) -> list[License]:
    """The newest licenses issued by the agencies the account manages."""
    return list(
        License.objects.select_related("license_type", "issuer")
        .filter(issuer__in=issuing_agencies(account))
        .order_by("-issued_on", "-id")[:limit]
    )


def access_issued_license(account: Account, identifier: str, *, address: str = "") -> License:
    """The license, for a member of its issuing authority; a malformed identifier is refused
    naming the part, an unknown one is NotFound, anyone else's Forbidden (audited)."""
    identifier = str(identifiers.parse_identifier(identifier))
    license = (
        License.objects.select_related("license_type", "issuer__region", "seal")
        .filter(identifier=identifier)
        .first()
    )
    if license is None:
        raise NotFound("该证照")
    try:
        # lifecycle's own check, so the desk refuses exactly whom the lifecycle steps refuse.
        lifecycle.require_issuer_staff(account, license, "办理")
    except Forbidden as error:
        raise _refused(error, account=account, target=identifier, address=address) from None
    return license


def license_versions(license: License) -> list[License]:
    """Every version of the license, first to last: 变更 and 延续 link each new version to
    the one it replaced. A handful of primary-key reads, whatever the table's size."""
    versions = [license]
    while versions[0].previous_id:
        versions.insert(0, License.objects.get(pk=versions[0].previous_id))
    while later := License.objects.filter(previous=versions[-1]).first():
        versions.append(later)
    return versions


def lifecycle_steps(versions: list[License]) -> QuerySet[LifecycleRecord]:
    return (
        LifecycleRecord.objects.filter(license__in=versions)
        .select_related("license", "seal")
        .order_by("occurred_at", "id")
    )


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def editable_fields(license: License) -> list[tuple[str, str, str]]:
    """(key, title, value as text) of every data field of the license's type, in the form
    typed_changes reads back."""
    properties = license.license_type.data_schema.get("properties") or {}
    return [
        (name, spec.get("title") or name, _as_text(license.data.get(name)))
        for name, spec in properties.items()
    ]


def typed_changes(license: License, typed: dict[str, str]) -> dict:
    """变更 as typed on a form (text per data field) in the type's JSON types: a blank field
    removes the value (None), as change_license expects; every unreadable value named."""
    schema = license.license_type.data_schema
    properties = schema.get("properties") or {}
    changes, errors = {}, []
    for name, text in typed.items():
        text = text.strip()
        try:
            # The import reads spreadsheet cells the same way: integers, numbers, 是/否, JSON.
            changes[name] = stock.data_value(properties.get(name, {}), text) if text else None
        except ValueError as error:
            title = license_data.field_title(schema, name)
            errors.append(FieldError(f"changes.{name}", f"{title}：{error}"))
    if errors:
        raise DomainError(errors)
    return changes


# --- 存量转换 ---------------------------------------------------------------------------------


def import_license_types() -> QuerySet[LicenseType]:
    return LicenseType.objects.order_by("name", "code")


def import_seals(account: Account) -> QuerySet[Seal]:
    """The seals a member may import with: active, unexpired seals of the agencies managed."""
    return (
        Seal.objects.filter(
            agency__in=issuing_agencies(account),
            status=SealStatus.ACTIVE,
            valid_until__gt=timezone.now(),
        )
        .select_related("agency")
        .order_by("agency__name", "name")
    )


def _chosen(queryset: QuerySet, value: str):
    return queryset.filter(pk=int(value)).first() if value.strip().isdigit() else None


def _require_seal_authority(account: Account, seal: Seal, address: str) -> None:
    agency = seal.agency
    if not identity.has_role(
        account, AUTHORITY_ROLE, region_code=agency.region.code, agency_id=agency.pk
    ):
        error = Forbidden(f"只有{agency.name}的审批人员可以使用其印章进行存量转换")
        raise _refused(error, account=account, target=f"Seal:{seal.pk}", address=address)


def import_stock(
    *,
    account: Account,
    license_type_id: str,
    seal_id: str,
    filename: str,
    data: bytes | None,
    address: str = "",
) -> ImportBatch:
    """存量转换 by a member of the issuing authority: the file imported with the chosen seal
    by stock.import_licenses (all rows or none, with its report). The type, the seal and the
    file are named at once when missing; a seal of an agency the member does not manage is
    refused (403, audited)."""
    license_type = _chosen(LicenseType.objects.all(), license_type_id)
    seal = _chosen(Seal.objects.select_related("agency__region"), seal_id)
    missing = (
        ("license_type", license_type is None, "请选择证照类型"),
        ("seal", seal is None, "请选择转换用章"),
        ("file", data is None, "请选择要导入的 CSV 或 xlsx 文件"),
    )
    if errors := [FieldError(field, message) for field, absent, message in missing if absent]:
        raise DomainError(errors)
    _require_seal_authority(account, seal, address)
    return stock.import_licenses(
        data=data, filename=filename, license_type=license_type, seal=seal, actor=str(account)
    )
