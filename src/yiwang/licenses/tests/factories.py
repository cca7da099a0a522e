"""License types, seals and licenses for the license tests: types as the back office enters
them (checked by full_clean), seals and licenses through the services."""

from __future__ import annotations

import factory
from django.utils import timezone

from yiwang.core.identifiers import make_uscc
from yiwang.licenses import services
from yiwang.licenses.constants import HolderKind, ValidityKind
from yiwang.licenses.models import License, LicenseType, Seal
from yiwang.regions.models import Organization

# The defining authority of the national license catalog in DOMAIN-NOTES §3's example.
DEFINER_USCC = "11100000000013338W"
ACTOR = "system"

FOOD_SCHEMA = {
    "type": "object",
    "properties": {
        "business_scope": {"title": "经营项目", "type": "string", "maxLength": 200},
        "premises": {"title": "经营场所", "type": "string", "maxLength": 200},
        "seats": {"title": "餐位数", "type": "integer", "minimum": 0},
    },
    "required": ["business_scope", "premises"],
}
FOOD_DATA = {"business_scope": "热食类食品制售", "premises": "长沙市芙蓉区五一大道1号", "seats": 40}

HEALTH_SCHEMA = {
    "type": "object",
    "properties": {"occupation": {"title": "从业类别", "type": "string"}},
    "required": ["occupation"],
}


class LicenseTypeFactory(factory.django.DjangoModelFactory):
    """食品经营许可证 (an organization's, five years) unless a trait says otherwise."""

    class Meta:
        model = LicenseType

    code = factory.Sequence(lambda n: f"{DEFINER_USCC}{n + 1:03d}")
    name = "食品经营许可证"
    issuing_sector = "市场监管"
    holder_kind = HolderKind.ORGANIZATION
    validity_kind = ValidityKind.YEARS
    validity_years = 5
    data_schema = factory.LazyFunction(lambda: dict(FOOD_SCHEMA))
    display_hints = factory.LazyFunction(
        lambda: {"title": "食品经营许可证", "order": ["business_scope", "premises"]}
    )

    class Params:
        for_persons = factory.Trait(
            name="健康证明",
            holder_kind=HolderKind.PERSON,
            validity_years=1,
            data_schema=factory.LazyFunction(lambda: dict(HEALTH_SCHEMA)),
            display_hints={},
        )
        permanent = factory.Trait(validity_kind=ValidityKind.PERMANENT, validity_years=None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        license_type = model_class(*args, **kwargs)
        license_type.full_clean()
        license_type.save()
        return license_type


def company_uscc(seed: int) -> str:
    return make_uscc(authority="9", kind="1", division6="430102", organization8=f"{seed:08d}")


def make_seal(agency: Organization, name: str = "行政审批专用章", **terms) -> Seal:
    return services.make_seal(agency=agency, name=name, actor=ACTOR, **terms)


def sign(license_type: LicenseType, seal: Seal, **fields) -> License:
    """A license for 长沙湘江餐饮有限公司 issued today, unless `fields` say otherwise."""
    fields.setdefault("holder_id", company_uscc(70000001))
    fields.setdefault("holder_name", "长沙湘江餐饮有限公司")
    fields.setdefault("data", dict(FOOD_DATA))
    fields.setdefault("issued_on", timezone.localdate())
    return services.sign_license(license_type=license_type, seal=seal, actor=ACTOR, **fields)
