"""Automatic checks (自动检查校验) of implementation versions and of whole regions.

Run on every submit (errors block it) and as a report for a region, including the 三级八同
consistency report: the same item implemented at province, city and county level must carry
the same name, type, basis, basic code, conditions, materials, fees and process.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.db.models import Prefetch

from yiwang.catalog.constants import OnlineDepth, VersionStatus
from yiwang.catalog.guide import Guide
from yiwang.catalog.models import CatalogItem, ServiceItem, ServiceItemVersion
from yiwang.catalog.plugins.codes import basic_code_problems, code_schemes
from yiwang.regions.constants import PREFIX_LENGTH, Level
from yiwang.regions.selectors import ancestor_codes

ERROR, WARNING = "error", "warning"

VAGUE_MATERIAL = re.compile(r"其他材料|相关材料|其他相关|其它材料|等$")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    field: str
    message: str
    implementation_code: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def check_limits(guide: Guide) -> list[Finding]:
    if guide.promised_limit > guide.statutory_limit:
        return [
            Finding(
                "limit",
                ERROR,
                "promised_limit",
                f"承诺办结时限（{guide.promised_limit}个工作日）不得超过法定办结时限"
                f"（{guide.statutory_limit}个工作日）",
            )
        ]
    return []


def check_materials(guide: Guide) -> list[Finding]:
    findings = []
    for number, material in enumerate(guide.materials, start=1):
        field = f"materials.{number - 1}"
        if VAGUE_MATERIAL.search(material.name):
            findings.append(
                Finding(
                    "vague_material",
                    ERROR,
                    f"{field}.name",
                    f"申请材料第{number}项“{material.name}”是模糊兜底表述，须写明具体材料",
                )
            )
        if not material.basis.strip():
            findings.append(
                Finding(
                    "material_basis",
                    ERROR,
                    f"{field}.basis",
                    f"申请材料第{number}项“{material.name}”缺少设定依据",
                )
            )
    return findings


def check_online_depth(guide: Guide) -> list[Finding]:
    if guide.online_depth != OnlineDepth.FULLY_ONLINE:
        return []
    paper_only = [m.name for m in guide.materials if not m.can_be_electronic]
    if paper_only:
        return [
            Finding(
                "online_depth",
                ERROR,
                "online_stages",
                f"全程网办要求全部材料可电子提交，以下材料仅限纸质：{'、'.join(paper_only)}",
            )
        ]
    return []


def check_code(service_item: ServiceItem) -> list[Finding]:
    scheme = code_schemes["yiwang"]
    code = service_item.implementation_code
    problems = scheme.problems(code)
    if not problems:
        expected = scheme.make(
            uscc=service_item.agency.uscc,
            division_code=service_item.region.code,
            basic_code=service_item.catalog_item.basic_code,
        )
        if code != expected:
            problems = ["实施编码与实施机构、区划或基本编码不一致"]
    return [Finding("code", ERROR, "implementation_code", p, code) for p in problems]


def check_level(service_item: ServiceItem) -> list[Finding]:
    if service_item.region.level not in service_item.catalog_item.levels:
        allowed = "、".join(Level(level).label for level in service_item.catalog_item.levels)
        return [
            Finding(
                "level",
                ERROR,
                "region",
                f"该事项只能由{allowed}实施，{service_item.region.name}为{Level(service_item.region.level).label}",
            )
        ]
    return []


def check_elements(version: ServiceItemVersion) -> list[Finding]:
    current = version.service_item.catalog_item.elements()
    if version.elements != current:
        return [
            Finding(
                "stale_elements",
                WARNING,
                "elements",
                "基本目录已变更，本版本的名称、编码、依据或类型尚未同步",
            )
        ]
    return []


GUIDE_CHECKS = (check_limits, check_materials, check_online_depth)


def check_version(version: ServiceItemVersion) -> list[Finding]:
    """Every automatic check of one version; codes tag each finding with the item."""
    guide = version.parsed
    item = version.service_item
    findings = [f for check in GUIDE_CHECKS for f in check(guide)]
    findings += check_code(item) + check_level(item) + check_elements(version)
    return [
        Finding(f.rule, f.severity, f.field, f.message, item.implementation_code) for f in findings
    ]


# 三级八同: what must be identical across levels, and how to read it from a version.
UNIFORM_FIELDS = {
    "name": ("事项名称", lambda v, g: v.elements["name"]),
    "item_type": ("事项类型", lambda v, g: v.elements["item_type"]),
    "legal_basis": ("法律依据", lambda v, g: v.elements["legal_basis"]),
    "basic_code": ("基本编码", lambda v, g: v.elements["basic_code"]),
    "conditions": ("申请条件", lambda v, g: sorted(g.conditions)),
    "materials": (
        "申请材料",
        lambda v, g: sorted((m.name, m.required, m.condition) for m in g.materials),
    ),
    "fees": ("收费标准", lambda v, g: sorted((f.name, f.amount_fen) for f in g.fees)),
    "steps": ("办理流程", lambda v, g: [s.name for s in g.steps]),
}


def consistency_findings(versions: list[ServiceItemVersion]) -> list[Finding]:
    """Compare each implementation with the highest-level one of the same catalog item."""
    ordered = sorted(
        versions, key=lambda v: (v.service_item.region.level, v.service_item.implementation_code)
    )
    reference, guide_of = ordered[0], {v.pk: v.parsed for v in ordered}
    findings = []
    for version in ordered[1:]:
        for field, (label, read) in UNIFORM_FIELDS.items():
            if read(version, guide_of[version.pk]) != read(reference, guide_of[reference.pk]):
                findings.append(
                    Finding(
                        "uniformity",
                        WARNING,
                        field,
                        f"{label}与{reference.service_item.region.name}（{reference.service_item.agency.name}）"
                        "实施的同一事项不一致",
                        version.service_item.implementation_code,
                    )
                )
    return findings


@dataclass
class RegionReport:
    region_code: str
    service_items: int
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]


def region_report(region_code: str, *, level: int) -> RegionReport:
    """Checks of every current version in the region and below, plus the 三级八同 report.

    Consistency compares the region's implementations with those of its ancestors too,
    since a county item must match the province's.
    """
    prefix = region_code[: PREFIX_LENGTH[level]]
    current = ServiceItemVersion.objects.exclude(
        status__in=[VersionStatus.SUPERSEDED, VersionStatus.REVOKED]
    ).select_related("service_item__catalog_item", "service_item__agency", "service_item__region")
    items = (
        ServiceItem.objects.filter(region__code__startswith=prefix)
        .select_related("catalog_item", "agency", "region")
        .prefetch_related(Prefetch("versions", queryset=current, to_attr="current_versions"))
    )
    findings: list[Finding] = []
    published_by_item: dict[int, list[ServiceItemVersion]] = defaultdict(list)
    count = 0
    for item in items:
        count += 1
        for version in item.current_versions:
            findings += check_version(version)
            if version.status == VersionStatus.PUBLISHED:
                published_by_item[item.catalog_item_id].append(version)
    for catalog_item_id, versions in published_by_item.items():
        versions += _published_above(catalog_item_id, region_code, level)
        if len({v.pk for v in versions}) > 1:
            findings += consistency_findings(list({v.pk: v for v in versions}.values()))
    return RegionReport(region_code, count, findings)


def _published_above(
    catalog_item_id: int, region_code: str, level: int
) -> list[ServiceItemVersion]:
    above = ancestor_codes(region_code)[:-1]
    return list(
        ServiceItemVersion.objects.filter(
            status=VersionStatus.PUBLISHED,
            service_item__catalog_item_id=catalog_item_id,
            service_item__region__code__in=above,
        ).select_related(
            "service_item__catalog_item", "service_item__agency", "service_item__region"
        )
    )


def catalog_item_problems(item: CatalogItem) -> list[str]:
    """Checks of a basic catalog item's own elements."""
    problems = basic_code_problems(item.basic_code)
    if not problems and item.basic_code[:2] != item.item_type:
        problems.append(f"基本编码前两位应为事项类型代码 {item.item_type}")
    if not item.legal_basis:
        problems.append("缺少设定依据")
    return problems
