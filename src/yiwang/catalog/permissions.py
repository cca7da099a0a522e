"""Who may change the catalog. Catalog admins are scoped to a region (and everything below
it) and optionally one agency; the basic catalog belongs to province-level admins.

Command-line tools (demo loading, imports run by an operator on the server) act as SYSTEM.
"""

from __future__ import annotations

from django.db.models import Q

from yiwang.catalog.models import CatalogScope
from yiwang.core.errors import Forbidden
from yiwang.regions.constants import Level
from yiwang.regions.models import Organization, Region


class _System:
    is_authenticated = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def _scopes(actor):
    if not getattr(actor, "is_authenticated", False):
        return CatalogScope.objects.none()
    return CatalogScope.objects.filter(user=actor).select_related("region")


def has_any_scope(actor) -> bool:
    """Whether the actor administers any part of the catalog."""
    return actor is SYSTEM or _scopes(actor).exists()


def is_basic_catalog_admin(actor) -> bool:
    if actor is SYSTEM:
        return True
    return _scopes(actor).filter(region__level=Level.PROVINCE, agency__isnull=True).exists()


def require_basic_catalog_admin(actor) -> None:
    if not is_basic_catalog_admin(actor):
        raise Forbidden("只有省级目录管理员可以维护基本目录")


def has_scope(actor, *, region: Region, agency: Organization | None, role: str) -> bool:
    if actor is SYSTEM:
        return True
    for scope in _scopes(actor).filter(role=role):
        covers_region = region.code.startswith(scope.region.prefix)
        covers_agency = scope.agency_id is None or (
            agency is not None and scope.agency_id == agency.pk
        )
        if covers_region and covers_agency:
            return True
    return False


def scope_filter(actor, prefix: str = "") -> Q:
    """Rows (through `prefix`) of the implementations the actor holds any scope over."""
    if actor is SYSTEM or getattr(actor, "is_superuser", False):
        return Q()
    condition = Q(pk__in=[])
    for scope in _scopes(actor):
        covered = Q(**{f"{prefix}region__code__startswith": scope.region.prefix})
        if scope.agency_id:
            covered &= Q(**{f"{prefix}agency_id": scope.agency_id})
        condition |= covered
    return condition


def require_scope(actor, *, region: Region, agency: Organization | None, role: str) -> None:
    if not has_scope(actor, region=region, agency=agency, role=role):
        raise Forbidden(f"您没有{region.name}{agency.name if agency else ''}的目录管理权限")
