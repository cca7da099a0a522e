"""The demo data: real items at three levels, and a second load changes nothing."""

import pytest
from django.db.models import Count, Max

from yiwang.catalog.demo import load_demo
from yiwang.catalog.models import CatalogItem, SearchEntry, ServiceItem, ServiceItemVersion
from yiwang.core.models import Event
from yiwang.regions.constants import Level
from yiwang.regions.models import Organization, Region


def fingerprint() -> dict:
    return {
        "regions": Region.objects.count(),
        "organizations": Organization.objects.count(),
        "catalog_items": CatalogItem.objects.aggregate(n=Count("pk"), changed=Max("updated_at")),
        "service_items": ServiceItem.objects.count(),
        "versions": ServiceItemVersion.objects.count(),
        "entries": SearchEntry.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.mark.django_db(transaction=True)
def test_demo_loads_real_items_at_every_level_and_is_idempotent():
    load_demo()
    first = fingerprint()
    load_demo()
    assert fingerprint() == first

    assert CatalogItem.objects.count() >= 80
    assert CatalogItem.objects.values("sector").distinct().count() >= 10
    levels = set(ServiceItem.objects.values_list("region__level", flat=True))
    assert {Level.PROVINCE, Level.CITY, Level.COUNTY} <= levels
    county_regions = (
        ServiceItem.objects.filter(region__level=Level.COUNTY).values("region").distinct()
    )
    assert county_regions.count() >= 5
    names = set(CatalogItem.objects.values_list("name", flat=True))
    for expected in ("出生登记", "结婚登记", "城乡居民养老保险参保登记", "公共场所卫生许可"):
        assert any(expected in name for name in names), expected
    assert Region.objects.filter(level=Level.VILLAGE).count() > 29000
