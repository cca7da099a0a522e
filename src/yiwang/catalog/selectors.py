"""Reads of the catalog used by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet

from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.diff import Change, diff
from yiwang.catalog.models import (
    CatalogItem,
    SearchEntry,
    SearchTerm,
    ServiceItem,
    ServiceItemVersion,
)
from yiwang.catalog.permissions import scope_filter
from yiwang.catalog.search import EVENT, SECTOR, THEME, Filters, search_entries
from yiwang.core.errors import DomainError, NotFound

MAX_PAGE_SIZE = 50
MAX_PAGE = 500


@dataclass
class SearchPage:
    count: int
    page: int
    size: int
    results: list[SearchEntry]

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))


def search(query: str, filters: Filters, *, page: int = 1, size: int = 20) -> SearchPage:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise DomainError.of("size", f"每页条数应在1到{MAX_PAGE_SIZE}之间")
    if not 1 <= page <= MAX_PAGE:
        raise DomainError.of("page", f"页码应在1到{MAX_PAGE}之间")
    count, results = search_entries(query, filters, offset=(page - 1) * size, size=size)
    return SearchPage(count, page, size, results)


def published_version(service_item: ServiceItem) -> ServiceItemVersion | None:
    return service_item.versions.filter(status=VersionStatus.PUBLISHED).first()


def guide_of(implementation_code: str) -> tuple[ServiceItem, ServiceItemVersion]:
    """The published guide of an implementation, for the public page and the API."""
    version = (
        ServiceItemVersion.objects.select_related(
            "service_item__catalog_item__main_item",
            "service_item__agency",
            "service_item__region",
        )
        .filter(
            service_item__implementation_code=implementation_code,
            status=VersionStatus.PUBLISHED,
        )
        .first()  # at most one published version per item (a constraint)
    )
    if version is None:
        raise NotFound(f"事项 {implementation_code}")
    return version.service_item, version


def other_levels(item: ServiceItem) -> list[SearchEntry]:
    """The same catalog item implemented elsewhere (for the guide's "other regions" list)."""
    entries = SearchEntry.objects.filter(catalog_item_id=item.catalog_item_id).exclude(
        service_item=item
    )
    return list(entries.order_by("level", "region_code")[:20])


def version_history(item: ServiceItem) -> list[ServiceItemVersion]:
    return list(item.versions.order_by("-number"))


def version_changes(old: ServiceItemVersion | None, new: ServiceItemVersion) -> list[Change]:
    """Field-level changes from `old` to `new` (everything is new for a first version)."""
    before = {"elements": old.elements, "guide": old.guide} if old else {}
    return diff(before, {"elements": new.elements, "guide": new.guide})


def previous_version(version: ServiceItemVersion) -> ServiceItemVersion | None:
    return (
        version.service_item.versions.filter(number__lt=version.number).order_by("-number").first()
    )


def facet_values(prefix: str) -> list[tuple[str, int]]:
    """Themes, life events or sectors with how many catalog items carry each."""
    rows = (
        SearchTerm.objects.filter(term__startswith=prefix)
        .values("term")
        .annotate(items=Count("catalog_item"))
        .order_by("-items", "term")
    )
    return [(row["term"][len(prefix) :], row["items"]) for row in rows]


def themes() -> list[tuple[str, int]]:
    return facet_values(THEME)


def life_events() -> list[tuple[str, int]]:
    return facet_values(EVENT)


def sectors() -> list[tuple[str, int]]:
    return facet_values(SECTOR)


def facet_key(kind: str, value: str) -> str:
    prefixes = {"theme": THEME, "event": EVENT, "sector": SECTOR}
    if kind not in prefixes:
        raise DomainError.of("by", "浏览方式应为 theme、event 或 sector")
    return prefixes[kind] + value


def popular_items(limit: int = 12) -> list[CatalogItem]:
    return list(
        CatalogItem.objects.filter(main_item__isnull=True).order_by("-popularity", "basic_code")[
            :limit
        ]
    )


def catalog_items(page: int = 1, size: int = 50, item_type: str = ""):
    items = CatalogItem.objects.select_related("main_item").order_by("basic_code")
    if item_type:
        items = items.filter(item_type=item_type)
    return Paginator(items, size).get_page(page)


def get_catalog_item(basic_code: str) -> CatalogItem:
    item = CatalogItem.objects.filter(basic_code=basic_code).first()
    if item is None:
        raise NotFound(f"基本目录事项 {basic_code}")
    return item


def get_service_item(implementation_code: str) -> ServiceItem:
    item = (
        ServiceItem.objects.select_related("catalog_item", "agency", "region")
        .filter(implementation_code=implementation_code)
        .first()
    )
    if item is None:
        raise NotFound(f"实施清单事项 {implementation_code}")
    return item


def service_items_for(user) -> QuerySet[ServiceItem]:
    """The implementations a catalog admin may see in the back office: those of their scopes."""
    return ServiceItem.objects.filter(scope_filter(user)).select_related(
        "catalog_item", "agency", "region"
    )


def versions_for(user) -> QuerySet[ServiceItemVersion]:
    return ServiceItemVersion.objects.filter(scope_filter(user, "service_item__")).select_related(
        "service_item__catalog_item", "service_item__agency", "service_item__region"
    )


def get_version(item: ServiceItem, number: int) -> ServiceItemVersion:
    version = item.versions.filter(number=number).first()
    if version is None:
        raise NotFound(f"第{number}版")
    return version


def items_for_audience(audience: str) -> list[CatalogItem]:
    """Main items serving an audience, by name (a few thousand at most: filtered in Python, as
    SQLite cannot look inside JSON lists)."""
    items = CatalogItem.objects.filter(main_item__isnull=True).order_by("name")
    return [item for item in items if audience in item.audience]
