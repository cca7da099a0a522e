"""A province-scale catalog for the search benchmark (marked `generated`).

Hunan's real divisions (all five levels) are implemented the way a real province is: every
county-level agency carries about a thousand items, every township about 150, every village
about 25, so 1,200,000 implementation entries by default. Catalog items are the demo's real
items plus generated ones named after real item patterns. Entries are written with COPY on
PostgreSQL. Guide versions are not generated: search never reads them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from yiwang.catalog import search
from yiwang.catalog.constants import AUDIENCE_BITS, ItemType
from yiwang.catalog.demo import (
    DIVISIONS,
    DIVISIONS_DATASET,
    DemoStats,
    catalog_fields,
    load_synonyms,
    read,
)
from yiwang.catalog.models import CatalogItem, SearchEntry, ServiceItem
from yiwang.catalog.plugins.codes import code_schemes
from yiwang.core.bulk import insert_rows
from yiwang.core.identifiers import make_uscc
from yiwang.regions.constants import Level, OrganizationKind, RegionKind
from yiwang.regions.models import Organization, Region
from yiwang.regions.services import import_divisions, read_divisions_csv

# Items per division of each level in a real province, scaled to the requested total.
ITEMS_PER_REGION = {
    Level.PROVINCE: 2000,
    Level.CITY: 1500,
    Level.COUNTY: 1000,
    Level.TOWNSHIP: 150,
    Level.VILLAGE: 25,
}

OBJECTS = [
    ("烟花爆竹经营", "应急管理"),
    ("危险化学品经营", "应急管理"),
    ("道路货物运输经营", "交通运输"),
    ("道路旅客运输经营", "交通运输"),
    ("水路运输经营", "交通运输"),
    ("出版物零售", "文化和旅游"),
    ("互联网上网服务营业场所", "文化和旅游"),
    ("营业性演出", "文化和旅游"),
    ("艺术品经营", "文化和旅游"),
    ("饮用水供水单位卫生", "卫健"),
    ("放射诊疗", "卫健"),
    ("医疗机构执业", "卫健"),
    ("消毒产品生产企业卫生", "卫健"),
    ("建筑业企业资质", "住建"),
    ("房地产开发企业资质", "住建"),
    ("城镇污水排入排水管网", "住建"),
    ("城市建筑垃圾处置", "住建"),
    ("燃气经营", "住建"),
    ("户外广告设施设置", "住建"),
    ("临时占用城市绿地", "住建"),
    ("取水", "水利"),
    ("河道管理范围内建设项目", "水利"),
    ("生产建设项目水土保持方案", "水利"),
    ("林木采伐", "林业"),
    ("使用林地", "林业"),
    ("野生动物人工繁育", "林业"),
    ("植物检疫证书核发", "农业农村"),
    ("种子生产经营", "农业农村"),
    ("兽医诊疗", "农业农村"),
    ("渔业捕捞", "农业农村"),
    ("拖拉机联合收割机登记", "农业农村"),
    ("特种设备使用登记", "市场监管"),
    ("计量器具型式批准", "市场监管"),
    ("工业产品生产许可", "市场监管"),
    ("广告发布登记", "市场监管"),
    ("食品小作坊登记", "市场监管"),
    ("劳务派遣经营", "人社"),
    ("人力资源服务", "人社"),
    ("职业技能等级认定", "人社"),
    ("民办职业培训学校设立", "人社"),
    ("养老机构备案", "民政"),
    ("社会团体成立登记", "民政"),
    ("民办非企业单位成立登记", "民政"),
    ("慈善组织公开募捐资格", "民政"),
    ("公墓建设", "民政"),
    ("民办学校设立", "教育"),
    ("校外培训机构设立", "教育"),
    ("幼儿园设立", "教育"),
    ("律师执业", "司法"),
    ("基层法律服务工作者执业", "司法"),
    ("司法鉴定机构登记", "司法"),
    ("典当行设立", "商务"),
    ("成品油零售经营", "商务"),
    ("再生资源回收经营者备案", "商务"),
    ("对外贸易经营者备案", "商务"),
    ("宗教活动场所设立", "民族宗教"),
    ("大型群众性活动安全许可", "公安"),
    ("剧毒化学品购买许可", "公安"),
    ("旅馆业特种行业许可", "公安"),
    ("公章刻制业特种行业许可", "公安"),
    ("机动车登记", "公安"),
    ("非机动车登记", "公安"),
    ("犯罪记录查询", "公安"),
    ("测绘资质", "自然资源"),
    ("采矿权登记", "自然资源"),
    ("探矿权登记", "自然资源"),
    ("土地复垦方案", "自然资源"),
    ("建设项目用地预审", "自然资源"),
    ("乡村建设规划许可", "自然资源"),
    ("辐射安全许可", "生态环境"),
    ("危险废物经营许可", "生态环境"),
    ("建设项目环境影响登记", "生态环境"),
    ("档案出境审批", "档案"),
    ("气象探测环境保护", "气象"),
    ("防雷装置设计审核", "气象"),
    ("人防工程建设审批", "人防"),
    ("军人优待证办理", "退役军人"),
    ("烈士褒扬金发放", "退役军人"),
    ("价格认定", "发展改革"),
    ("企业投资项目核准", "发展改革"),
    ("固定资产投资项目节能审查", "发展改革"),
    ("涉税信息查询", "税务"),
    ("税收完税证明开具", "税务"),
    ("残疾人就业保障金减免", "残联"),
    ("困难残疾人生活补贴", "残联"),
    ("计划生育家庭特别扶助", "卫健"),
]

ACTIONS = [
    ("许可（新办）", ItemType.XK),
    ("许可（变更）", ItemType.XK),
    ("许可（延续）", ItemType.XK),
    ("许可（注销）", ItemType.XK),
    ("许可证补办", ItemType.XK),
    ("审批", ItemType.XK),
    ("核准", ItemType.XK),
    ("登记（首次）", ItemType.QR),
    ("登记（变更）", ItemType.QR),
    ("登记（注销）", ItemType.QR),
    ("确认", ItemType.QR),
    ("备案", ItemType.QT),
    ("备案变更", ItemType.QT),
    ("年度报告", ItemType.QT),
    ("信息查询", ItemType.GG),
    ("咨询服务", ItemType.GG),
    ("证明开具", ItemType.GG),
    ("补贴发放", ItemType.JF),
    ("奖励", ItemType.JL),
    ("争议裁决", ItemType.CJ),
    ("资格认定", ItemType.QR),
    ("证书换发", ItemType.QR),
    ("证书补发", ItemType.QR),
]


@dataclass
class ScaleStats:
    catalog_items: int = 0
    organizations: int = 0
    entries: int = 0


def per_region_counts(total: int, regions_at: dict[int, int]) -> dict[int, int]:
    base = sum(ITEMS_PER_REGION[level] * regions_at.get(level, 0) for level in ITEMS_PER_REGION)
    factor = total / base
    return {level: round(ITEMS_PER_REGION[level] * factor) for level in ITEMS_PER_REGION}


def _generated_items(start: int) -> Iterator[CatalogItem]:
    number = start
    for object_name, sector in OBJECTS:
        for action, item_type in ACTIONS:
            number += 1
            yield CatalogItem(
                basic_code=f"{item_type}{number:05d}000",
                item_type=item_type,
                name=f"{object_name}{action}",
                legal_basis=[{"law": "《中华人民共和国行政许可法》", "article": "第十二条"}],
                levels=[1, 2, 3, 4, 5],
                sector=sector,
                audience=["person", "organization"],
                popularity=random.Random(number).randint(1, 300),
                generated=True,
            )


@transaction.atomic
def build_catalog() -> list[CatalogItem]:
    """The demo's real items and the generated ones, indexed for search."""
    load_synonyms(DemoStats())
    for entry in read("items.json")["items"]:
        # Every level implements them at province scale, whatever the demo restricts.
        defaults = {**catalog_fields(entry), "levels": [1, 2, 3, 4, 5]}
        CatalogItem.objects.get_or_create(basic_code=entry["basic_code"], defaults=defaults)
    CatalogItem.objects.bulk_create(_generated_items(50000), ignore_conflicts=True)
    items = list(CatalogItem.objects.order_by("-popularity", "basic_code"))
    search.index_catalog_items(items)
    return items


def _agencies(regions: list[Region], sectors: list[str]) -> dict[tuple[int, str], Organization]:
    """One agency per sector above the township; one government per township and village."""
    wanted = []
    for region in regions:
        kinds = sectors if region.level <= Level.COUNTY else [""]
        for sector in kinds:
            name = f"{region.name}{sector}部门" if sector else f"{region.name}人民政府"
            seed = f"{region.code[:6]}{len(wanted):08d}"
            wanted.append(
                Organization(
                    name=name,
                    region=region,
                    kind=OrganizationKind.DEPARTMENT if sector else OrganizationKind.GOVERNMENT,
                    sector=sector,
                    uscc=make_uscc(
                        authority="1", kind="1", division6=region.code[:6], organization8=seed[-8:]
                    ),
                )
            )
    Organization.objects.bulk_create(wanted, batch_size=5000, ignore_conflicts=True)
    return {(o.region_id, o.sector): o for o in Organization.objects.all()}


def _entry_rows(items, regions, counts, agencies) -> Iterator[tuple]:
    scheme = code_schemes["yiwang"]
    for region in regions:
        for item in items[: counts[region.level]]:
            agency = agencies.get((region.pk, item.sector if region.level <= Level.COUNTY else ""))
            code = scheme.make(
                uscc=agency.uscc, division_code=region.code, basic_code=item.basic_code
            )
            audience = sum(AUDIENCE_BITS[a] for a in item.audience)
            depth = 4 if item.popularity % 3 else 3
            yield (
                item.pk,
                agency.pk,
                region.pk,
                code,
                item.name,
                agency.name,
                region.code,
                region.level,
                audience,
                depth,
                item.popularity % 2,
                item.sector,
            )


def build_entries(total: int) -> ScaleStats:
    import_divisions(read_divisions_csv(DIVISIONS), dataset=DIVISIONS_DATASET)
    items = build_catalog()
    regions = list(Region.objects.exclude(kind=RegionKind.PLACEHOLDER).order_by("level", "code"))
    regions_at = {level: sum(1 for r in regions if r.level == level) for level in Level}
    counts = per_region_counts(total, regions_at)
    agencies = _agencies(regions, sorted({i.sector for i in items}))
    written = _write_entries(_entry_rows(items, regions, counts, agencies))
    return ScaleStats(catalog_items=len(items), organizations=len(agencies), entries=written)


SERVICE_ITEM_COLUMNS = (
    "id",
    "catalog_item_id",
    "agency_id",
    "region_id",
    "implementation_code",
    "created_at",
)
ENTRY_COLUMNS = (
    "service_item_id",
    "catalog_item_id",
    "implementation_code",
    "name",
    "agency_id",
    "agency_name",
    "region_code",
    "level",
    "audience_bits",
    "online_depth",
    "visits",
    "sector",
)


def _write_entries(rows: Iterator[tuple]) -> int:
    next_id = (ServiceItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    service_items, entries = [], []
    written = 0
    for offset, row in enumerate(rows):
        item_id, agency_id, region_id, code, *rest = row
        pk = next_id + offset
        service_items.append((pk, item_id, agency_id, region_id, code, "2026-01-01T00:00:00+08:00"))
        entries.append((pk, item_id, code, rest[0], agency_id, *rest[1:]))
        if len(entries) == 50000:
            written += _flush(service_items, entries)
    written += _flush(service_items, entries)
    search.recount_entries()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('catalog_serviceitem', 'id'), "
                "(SELECT max(id) FROM catalog_serviceitem))"
            )
            # Fresh visibility maps let the grouped counts run as index-only scans.
            for table in ("catalog_serviceitem", "catalog_searchentry", "catalog_searchterm"):
                cursor.execute(f"VACUUM ANALYZE {table}")
    return written


def _flush(service_items: list, entries: list) -> int:
    count = len(entries)
    with transaction.atomic():
        insert_rows(ServiceItem._meta.db_table, SERVICE_ITEM_COLUMNS, service_items)
        insert_rows(SearchEntry._meta.db_table, ENTRY_COLUMNS, entries)
    service_items.clear()
    entries.clear()
    return count
