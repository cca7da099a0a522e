"""Factories for catalog tests: regions, agencies, items and guides built through services."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import factory
from django.contrib.auth import get_user_model

from yiwang.catalog import services
from yiwang.catalog.constants import ScopeRole
from yiwang.catalog.models import CatalogItem, CatalogScope, ServiceItemVersion
from yiwang.catalog.permissions import SYSTEM
from yiwang.core.identifiers import make_uscc
from yiwang.regions.models import Organization, Region
from yiwang.regions.services import DivisionRow, import_divisions

DIVISIONS = [
    DivisionRow("430000000000", "湖南省", 1, ""),
    DivisionRow("430100000000", "长沙市", 2, "430000000000"),
    DivisionRow("430102000000", "芙蓉区", 3, "430100000000"),
    DivisionRow("430103000000", "天心区", 3, "430100000000"),
    DivisionRow("430102001000", "文艺路街道", 4, "430102000000"),
    DivisionRow("430200000000", "株洲市", 2, "430000000000"),
    DivisionRow("430211000000", "天元区", 3, "430200000000"),
]

FOOD_GUIDE = {
    "audience": ["organization", "person"],
    "handling_kind": "promised",
    "conditions": ["具有与经营的食品品种、数量相适应的经营场所"],
    "materials": [
        {
            "name": "食品经营许可申请书",
            "basis": "《食品经营许可和备案管理办法》第十二条",
            "source": "applicant",
            "medium": "electronic",
            "copies": 1,
            "required": True,
            "blank_form": True,
        },
        {
            "name": "营业执照",
            "basis": "《食品经营许可和备案管理办法》第十二条",
            "source": "license",
            "license_type": "营业执照",
            "medium": "electronic",
        },
        {
            "name": "授权委托书",
            "basis": "《食品经营许可和备案管理办法》第十二条",
            "medium": "both",
            "required": False,
            "condition": "委托他人办理的提供",
        },
    ],
    "steps": [{"name": "申请"}, {"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
    "statutory_limit": 20,
    "promised_limit": 10,
    "fees": [],
    "online_stages": [1, 2, 3, 4, 5, 6],
    "visits": 0,
}


def food_guide(**changes) -> dict:
    guide = copy.deepcopy(FOOD_GUIDE)
    guide.update(changes)
    return guide


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


def organization(region: Region, name: str, seed: int, sector: str = "市场监管") -> Organization:
    uscc = make_uscc(
        authority="1", kind="1", division6=region.code[:6], organization8=f"{seed:08d}"
    )
    return Organization.objects.create(
        name=name, uscc=uscc, region=region, kind="department", sector=sector
    )


@dataclass
class CatalogWorld:
    province: Region
    city: Region
    county: Region
    other_county: Region
    province_agency: Organization
    city_agency: Organization
    county_agency: Organization
    other_county_agency: Organization
    food: CatalogItem

    @classmethod
    def build(cls) -> CatalogWorld:
        import_divisions(DIVISIONS, dataset="test")
        regions = Region.objects.in_bulk([d.code for d in DIVISIONS], field_name="code")
        food = services.create_catalog_item(
            actor=SYSTEM,
            basic_code="XK00012000",
            item_type="XK",
            name="食品经营许可",
            legal_basis=[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}],
            levels=[1, 2, 3],
            sector="市场监管",
            audience=["organization", "person"],
            keywords=["餐饮许可"],
            themes=["开办企业"],
            life_events=["开饭店"],
            popularity=900,
        )
        return cls(
            province=regions["430000000000"],
            city=regions["430100000000"],
            county=regions["430102000000"],
            other_county=regions["430211000000"],
            province_agency=organization(regions["430000000000"], "湖南省市场监督管理局", 10000001),
            city_agency=organization(regions["430100000000"], "长沙市市场监督管理局", 10000002),
            county_agency=organization(regions["430102000000"], "芙蓉区市场监督管理局", 10000003),
            other_county_agency=organization(
                regions["430211000000"], "天元区市场监督管理局", 10000004
            ),
            food=food,
        )

    def implement(
        self,
        agency: Organization,
        guide: dict | None = None,
        *,
        publish: bool = True,
        item: CatalogItem | None = None,
    ) -> ServiceItemVersion:
        version = services.create_service_item(
            actor=SYSTEM, catalog_item=item or self.food, agency=agency, guide=guide or food_guide()
        )
        if publish:
            services.submit_version(actor=SYSTEM, version=version)
            services.publish_version(actor=SYSTEM, version=version)
        version.refresh_from_db()
        return version

    def staff(self, role: str, region: Region, agency: Organization | None = None):
        user = UserFactory()
        CatalogScope.objects.create(user=user, role=role, region=region, agency=agency)
        return user

    def editor(self, region: Region, agency: Organization | None = None):
        return self.staff(ScopeRole.EDITOR, region, agency)

    def reviewer(self, region: Region, agency: Organization | None = None):
        return self.staff(ScopeRole.REVIEWER, region, agency)
