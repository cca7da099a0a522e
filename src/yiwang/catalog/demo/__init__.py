"""Demo data for the embedded profile: Hunan's real divisions, agencies and service items.

Idempotent: every step creates only what is missing, so a second `yiwang load_demo` changes
nothing. The items (items.json) are real services with their real legal bases; the agencies'
names follow the real naming of Hunan's departments, their credit codes are generated
(valid check characters, marked as demo in the data source note).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from yiwang.catalog import search, services
from yiwang.catalog.constants import ScopeRole
from yiwang.catalog.models import CatalogItem, CatalogScope, ServiceItem, Synonym
from yiwang.catalog.permissions import SYSTEM
from yiwang.core.identifiers import make_uscc
from yiwang.regions.constants import LEVEL_KEYS, Level, OrganizationKind
from yiwang.regions.models import Organization, Region
from yiwang.regions.services import import_divisions, read_divisions_csv

DATA = Path(__file__).parent
DIVISIONS = DATA.parent.parent / "regions" / "data" / "hunan_divisions_2020.csv"
DIVISIONS_DATASET = "NBS-2020"

# Where the demo implements items: the province, four cities, eight counties, a few
# townships and villages under 芙蓉区 and 长沙县.
DEMO_REGIONS = {
    Level.PROVINCE: ["430000000000"],
    Level.CITY: ["430100000000", "430200000000", "430300000000", "430600000000"],
    Level.COUNTY: [
        "430102000000",
        "430103000000",
        "430104000000",
        "430121000000",
        "430181000000",
        "430211000000",
        "430302000000",
        "430602000000",
    ],
    Level.TOWNSHIP: ["430102001000", "430102002000", "430121001000"],
    Level.VILLAGE: ["430102001001", "430102001002", "430121001001"],
}

HALL_HOURS = "法定工作日 上午9:00—12:00，下午13:30—17:00（节假日除外）"


@dataclass
class DemoStats:
    regions_created: int = 0
    organizations_created: int = 0
    catalog_items_created: int = 0
    service_items_created: int = 0
    synonyms_created: int = 0


def read(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _organization_code(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return str(int(digest, 16))[-8:]


def _township_agency_name(region: Region) -> str:
    if region.name.endswith("街道"):
        return f"{region.name}办事处"
    return f"{region.name}人民政府"


def _village_agency_name(region: Region) -> str:
    return f"{region.name}{'居民委员会' if region.name.endswith('社区') else '村民委员会'}"


LEVEL_NAMES = {level: key for key, level in LEVEL_KEYS.items()}


def agency_name(department: dict, region: Region) -> str:
    """The agency of a department kind in a region, after the naming of Hunan's departments."""
    if region.level == Level.VILLAGE:
        return _village_agency_name(region)
    template = department.get(LEVEL_NAMES[Level(region.level)])
    if template is None and region.level == Level.TOWNSHIP:
        return _township_agency_name(region)
    return (template or department["county"]).replace("{region}", region.name)


def ensure_agency(department: dict, region: Region, stats: DemoStats) -> Organization:
    name = agency_name(department, region)
    existing = Organization.objects.filter(region=region, name=name).first()
    if existing:
        return existing
    kind = (
        OrganizationKind.COMMUNITY
        if region.level == Level.VILLAGE
        else (
            OrganizationKind.GOVERNMENT
            if name.endswith(("人民政府", "办事处"))
            else OrganizationKind.DEPARTMENT
        )
    )
    uscc = make_uscc(
        authority="1" if kind != OrganizationKind.COMMUNITY else "5",
        kind="1" if kind != OrganizationKind.COMMUNITY else "4",
        division6=region.code[:6],
        organization8=_organization_code(f"{region.code}/{name}"),
    )
    stats.organizations_created += 1
    return Organization.objects.create(
        name=name, uscc=uscc, region=region, kind=kind, sector=department["kind"]
    )


def demo_order(entry: dict) -> tuple:
    """Main items before their sub items."""
    return (entry.get("main_code") is not None, entry["basic_code"])


def ensure_catalog_item(entry: dict, stats: DemoStats) -> CatalogItem:
    existing = CatalogItem.objects.filter(basic_code=entry["basic_code"]).first()
    if existing:
        return existing
    stats.catalog_items_created += 1
    return services.create_catalog_item(
        actor=SYSTEM,
        basic_code=entry["basic_code"],
        main_code=entry.get("main_code"),
        **catalog_fields(entry),
    )


def catalog_fields(entry: dict) -> dict:
    """A demo item's catalog elements, as the catalog services take them."""
    return {
        "item_type": entry["type"],
        "name": entry["name"],
        "legal_basis": entry["legal_basis"],
        "levels": [LEVEL_KEYS[level] for level in entry["levels"]],
        "sector": entry["department"],
        "audience": entry["audience"],
        "themes": entry.get("themes", []),
        "life_events": entry.get("life_events", []),
        "keywords": entry.get("keywords", []),
        "popularity": entry.get("popularity", 0),
    }


def region_path_name(region: Region) -> str:
    """湖南省长沙市芙蓉区 for a county: the postal prefix of an address in it."""
    names = []
    while region is not None and region.level < Level.VILLAGE:
        names.append(region.name)
        region = region.parent
    return "".join(reversed(names[1:]))


def guide_for(entry: dict, region: Region, agency: Organization) -> dict:
    hall = (
        f"{region.name}政务服务中心"
        if region.level <= Level.COUNTY
        else f"{agency.name}便民服务中心"
    )
    return {
        **entry["guide"],
        "audience": entry["audience"],
        "locations": [
            {
                "name": hall,
                "address": f"{region_path_name(region)}{hall}",
                "hours": HALL_HOURS,
                "phone": "12345",
            }
        ],
    }


def implement(entry: dict, item: CatalogItem, agency: Organization, stats: DemoStats) -> None:
    if ServiceItem.objects.filter(catalog_item=item, agency=agency).exists():
        return
    version = services.create_service_item(
        actor=SYSTEM,
        catalog_item=item,
        agency=agency,
        guide=guide_for(entry, agency.region, agency),
        change_note="首次发布（演示数据）",
    )
    services.submit_version(actor=SYSTEM, version=version)
    services.publish_version(actor=SYSTEM, version=version)
    stats.service_items_created += 1


def load_synonyms(stats: DemoStats) -> None:
    for entry in read("synonyms.json")["entries"]:
        _, created = Synonym.objects.get_or_create(
            term=entry["term"], defaults={"targets": entry["targets"]}
        )
        stats.synonyms_created += int(created)


@transaction.atomic
def load_demo() -> DemoStats:
    stats = DemoStats()
    stats.regions_created = import_divisions(
        read_divisions_csv(DIVISIONS), dataset=DIVISIONS_DATASET
    ).created
    load_synonyms(stats)
    data = read("items.json")
    departments = {d["kind"]: d for d in data["departments"]}
    regions = Region.objects.in_bulk(
        [c for codes in DEMO_REGIONS.values() for c in codes], field_name="code"
    )
    for entry in sorted(
        data["items"], key=lambda e: (e.get("main_code") is not None, e["basic_code"])
    ):
        item = ensure_catalog_item(entry, stats)
        for level in item.levels:
            for code in DEMO_REGIONS[Level(level)]:
                agency = ensure_agency(departments[entry["department"]], regions[code], stats)
                implement(entry, item, agency, stats)
    if stats.synonyms_created:
        search.reindex_all_terms()
    ensure_demo_staff()
    return stats


DEMO_PASSWORD = "yiwang-demo-2026"
DEMO_STAFF = [
    # username, region, agency name (None: every agency of the region), role, superuser
    ("admin", "430000000000", None, ScopeRole.REVIEWER, True),
    ("changsha", "430100000000", None, ScopeRole.REVIEWER, False),
    ("furong-scj", "430102000000", "芙蓉区市场监督管理局", ScopeRole.EDITOR, False),
]


def ensure_demo_staff() -> None:
    """Back-office accounts of the embedded profile (their password is printed by make run)."""
    User = get_user_model()
    group = services.ensure_catalog_admin_group()
    for username, region_code, agency_name_, role, superuser in DEMO_STAFF:
        if User.objects.filter(username=username).exists():
            continue
        user = User.objects.create_user(
            username, password=DEMO_PASSWORD, is_staff=True, is_superuser=superuser
        )
        user.groups.add(group)
        region = Region.objects.get(code=region_code)
        agency = (
            Organization.objects.filter(region=region, name=agency_name_).first()
            if agency_name_
            else None
        )
        CatalogScope.objects.create(user=user, role=role, region=region, agency=agency)
        if role == ScopeRole.REVIEWER:
            CatalogScope.objects.create(
                user=user, role=ScopeRole.EDITOR, region=region, agency=agency
            )
