"""Demo e-licenses of the embedded profile: license types, issuance rules, the materials the
licenses replace, and seals for every agency that completes cases of an issuing item.

- 个体工商户登记 (XK00010000) issues a 个体工商户营业执照 to the applicant, its data drawn from
  the item's application form; the 营业执照 asked for by 个体工商户变更/注销登记, 食品经营许可
  and 食品小经营许可 is then attached by itself (免提交).
- 机动车驾驶证核发、审验 (XK00110000) issues a 机动车驾驶证 valid six years, reminded before
  expiry with a link to 机动车驾驶证期满换证; the later items that ask for it get it attached.

Idempotent: every step makes only what is missing. The type codes' defining authority is a
generated demo credit code, like the agencies' codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from yiwang.catalog.models import CatalogItem, ServiceItem
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import make_uscc
from yiwang.licenses import issuance, services
from yiwang.licenses.constants import HolderKind, SealStatus, ValidityKind
from yiwang.licenses.models import IssuanceRule, LicenseMaterial, LicenseType, Seal
from yiwang.regions.models import Organization

DEMO_DEFINER_USCC = make_uscc(authority="1", kind="1", division6="430000", organization8="YWDEMLT1")
DEMO_ACTOR = "演示数据"
SEAL_NAME = "行政审批专用章"


@dataclass(frozen=True)
class DemoType:
    sequence: str
    name: str
    sector: str
    validity_years: int | None
    schema: dict
    order: list[str]
    personal: tuple[str, ...] = ()  # fields naming a person: masked on public verification


def _text(title: str, **extra) -> dict:
    return {"title": title, "type": "string", **extra}


TRADER = DemoType(
    "001",
    "个体工商户营业执照",
    "市场监管",
    None,
    {
        "type": "object",
        "properties": {
            "trade_name": _text("名称", maxLength=50),
            "kind": _text("类型"),
            "operator": _text("经营者"),
            "composition": _text("组成形式"),
            "premises": _text("经营场所", minLength=6, maxLength=200),
            "business_scope": _text("经营范围", minLength=2, maxLength=500),
            "registered_on": _text("注册日期", format="date"),
            "authority": _text("登记机关"),
        },
        "required": [
            "kind",
            "operator",
            "composition",
            "premises",
            "business_scope",
            "registered_on",
            "authority",
        ],
    },
    ["trade_name", "kind", "operator", "composition", "premises", "business_scope"],
    personal=("operator",),
)
DRIVER = DemoType(
    "002",
    "机动车驾驶证",
    "公安",
    6,
    {
        "type": "object",
        "properties": {
            "name": _text("姓名"),
            "vehicle_class": _text("准驾车型"),
            "first_issued_on": _text("初次领证日期", format="date"),
            "authority": _text("发证机关"),
        },
        "required": ["name", "vehicle_class", "first_issued_on", "authority"],
    },
    ["name", "vehicle_class", "first_issued_on", "authority"],
)


@dataclass(frozen=True)
class DemoRule:
    basic_code: str
    license_type: DemoType
    field_sources: dict
    renewal_code: str = ""


RULES = [
    DemoRule(
        "XK00010000",
        TRADER,
        {
            "trade_name": "form.trade_name",
            "kind": "=个体工商户",
            "operator": "applicant.name",
            "composition": "form.composition",
            "premises": "form.business_premises",
            "business_scope": "form.business_scope",
            "registered_on": "case.decided_on",
            "authority": "agency.name",
        },
    ),
    DemoRule(
        "XK00110000",
        DRIVER,
        {
            "name": "applicant.name",
            "vehicle_class": "=C1",
            "first_issued_on": "case.decided_on",
            "authority": "agency.name",
        },
        renewal_code="XK00110001",
    ),
]
# (license type, catalog item, material name as in its guide): 免提交.
MATERIALS = [
    (TRADER, "XK00010002", "营业执照"),
    (TRADER, "XK00010003", "营业执照"),
    (TRADER, "XK00012000", "营业执照"),
    (TRADER, "XK00012001", "营业执照"),
    (TRADER, "XK00015000", "营业执照"),
    (DRIVER, "XK00110001", "机动车驾驶证"),
    (DRIVER, "XK01102000", "机动车驾驶证"),
    (DRIVER, "XK01102001", "机动车驾驶证"),
    (DRIVER, "XK01102002", "机动车驾驶证"),
]


@dataclass
class LicenseDemoStats:
    types_created: int = 0
    rules_created: int = 0
    materials_created: int = 0
    seals_made: int = 0


def _license_type(demo: DemoType, stats: LicenseDemoStats) -> LicenseType:
    code = f"{DEMO_DEFINER_USCC}{demo.sequence}"
    existing = LicenseType.objects.filter(code=code).first()
    if existing:
        return existing
    license_type = LicenseType(
        code=code,
        name=demo.name,
        issuing_sector=demo.sector,
        holder_kind=HolderKind.PERSON,
        validity_kind=ValidityKind.YEARS if demo.validity_years else ValidityKind.PERMANENT,
        validity_years=demo.validity_years,
        data_schema=demo.schema,
        display_hints={"title": demo.name, "order": demo.order, "personal": list(demo.personal)},
    )
    license_type.full_clean()
    license_type.save()
    stats.types_created += 1
    return license_type


def _item(basic_code: str) -> CatalogItem | None:
    return CatalogItem.objects.filter(basic_code=basic_code).first()


def _rule(demo: DemoRule, stats: LicenseDemoStats) -> IssuanceRule | None:
    item = _item(demo.basic_code)
    if item is None:  # the catalog demo was not loaded
        return None
    license_type = _license_type(demo.license_type, stats)
    if problems := issuance.source_problems(demo.field_sources, license_type.data_schema):
        raise DomainError.of("field_sources", "；".join(problems))
    rule, created = IssuanceRule.objects.get_or_create(
        catalog_item=item,
        defaults={
            "license_type": license_type,
            "seal_name": SEAL_NAME,
            "field_sources": demo.field_sources,
            "renewal_item": _item(demo.renewal_code) if demo.renewal_code else None,
        },
    )
    stats.rules_created += int(created)
    return rule


def _seals(rule: IssuanceRule, stats: LicenseDemoStats) -> None:
    """An active seal of the rule's name for every agency implementing the issuing item."""
    implementations = ServiceItem.objects.filter(catalog_item=rule.catalog_item)
    sealed = Seal.objects.filter(name=rule.seal_name, status=SealStatus.ACTIVE).values("agency")
    agencies = (
        Organization.objects.filter(pk__in=implementations.values("agency"))
        .exclude(pk__in=sealed)
        .order_by("pk")
    )
    for agency in agencies:
        services.make_seal(agency=agency, name=rule.seal_name, actor=DEMO_ACTOR)
        stats.seals_made += 1


def _materials(stats: LicenseDemoStats) -> None:
    for demo, basic_code, material_name in MATERIALS:
        item = _item(basic_code)
        if item is None:
            continue
        _, created = LicenseMaterial.objects.get_or_create(
            license_type=_license_type(demo, stats), catalog_item=item, material_name=material_name
        )
        stats.materials_created += int(created)


@transaction.atomic
def load_licenses_demo() -> LicenseDemoStats:
    """Idempotent: a second run finds everything and makes nothing."""
    stats = LicenseDemoStats()
    for demo in RULES:
        rule = _rule(demo, stats)
        if rule is not None:
            _seals(rule, stats)
    _materials(stats)
    return stats
