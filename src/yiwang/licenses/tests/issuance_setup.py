"""What the issuance, lifecycle, reuse and reminder tests share: an item that issues a license
on completion (with an application form), its license type and rule, a second item that asks
for the license as a material, and cases taken to completion the way staff do it."""

from __future__ import annotations

from yiwang.cases import services as cases
from yiwang.cases.tests.factories import PDF, open_task
from yiwang.catalog import services as catalog
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import food_guide
from yiwang.licenses.constants import HolderKind, ValidityKind
from yiwang.licenses.models import IssuanceRule, LicenseMaterial
from yiwang.licenses.tests.factories import LicenseTypeFactory

# The application form of the issuing item (食品经营许可 as a 承诺件).
FORM = {
    "data_schema": {
        "type": "object",
        "required": ["premises"],
        "properties": {
            "premises": {"title": "经营场所", "type": "string", "minLength": 6},
            "seats": {"title": "餐位数", "type": "integer", "minimum": 0},
        },
    },
}
ENTERED = {"premises": "长沙市芙蓉区五一大道1号", "seats": 40}

TRADER_SCHEMA = {
    "type": "object",
    "properties": {
        "operator": {"title": "经营者", "type": "string"},
        "premises": {"title": "经营场所", "type": "string", "minLength": 6},
        "seats": {"title": "餐位数", "type": "integer"},
        "kind": {"title": "主体业态", "type": "string"},
        "authority": {"title": "发证机关", "type": "string"},
        "case_number": {"title": "办件编号", "type": "string"},
        "decided_on": {"title": "决定日期", "type": "string", "format": "date"},
    },
    "required": ["operator", "premises", "kind", "authority", "case_number"],
}
TRADER_SOURCES = {
    "operator": "applicant.name",
    "premises": "form.premises",
    "seats": "form.seats",
    "kind": "=食品销售经营者",
    "authority": "agency.name",
    "case_number": "case.number",
    "decided_on": "case.decided_on",
}
COMPANY_SOURCES = {
    "business_scope": "=热食类食品制售",
    "premises": "form.premises",
    "seats": "form.seats",
}


def issuing_item(world):
    """食品经营许可 of the county agency with a form; its 营业执照 is not asked for."""
    guide = food_guide(form=FORM)
    del guide["materials"][1]
    return world.implement(world.county_agency, guide).service_item


def asking_item(world, basic_code: str = "XK00015000"):
    """食品小经营许可, a second item whose guide asks for 营业执照 (a license material)."""
    item = catalog.create_catalog_item(
        actor=SYSTEM,
        basic_code=basic_code,
        item_type="XK",
        name="食品小经营许可",
        legal_basis=[{"law": "《湖南省食品安全条例》", "article": "第二十条"}],
        levels=[3],
        sector="市场监管",
        audience=["organization", "person"],
    )
    return world.implement(world.county_agency, food_guide(), item=item).service_item


def trader_type(**fields):
    """食品经营许可证 held by a person (5 years)."""
    fields.setdefault("name", "食品经营许可证（个体）")
    return LicenseTypeFactory(
        holder_kind=HolderKind.PERSON,
        data_schema=dict(TRADER_SCHEMA),
        display_hints={},
        **fields,
    )


def permanent_type(name: str = "个体工商户营业执照"):
    return trader_type(name=name, validity_kind=ValidityKind.PERMANENT, validity_years=None)


def rule(item, license_type, **fields) -> IssuanceRule:
    fields.setdefault("field_sources", dict(TRADER_SOURCES))
    return IssuanceRule.objects.create(
        catalog_item=item.catalog_item, license_type=license_type, **fields
    )


def satisfies(license_type, item, material: str = "营业执照") -> LicenseMaterial:
    return LicenseMaterial.objects.create(
        license_type=license_type, catalog_item=item.catalog_item, material_name=material
    )


def completed_case(person_account, item, office, *, form=None, organization_uscc=""):
    """A case of `item` filled in, submitted, accepted, reviewed, approved and completed."""
    case = cases.start_application(
        person_account, item.implementation_code, organization_uscc=organization_uscc
    )
    cases.update_form(person_account, case, dict(ENTERED if form is None else form))
    cases.add_material(
        person_account, case, name="食品经营许可申请书", data=PDF, filename="申请书.pdf"
    )
    case = cases.submit(person_account, case)
    cases.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    cases.review(office.reviewer, open_task(case, "review"), "pass")
    cases.decide(office.approver, open_task(case, "decide"), "approve", basis="符合条件")
    case.refresh_from_db()
    case = cases.complete(office.approver, case)
    case.refresh_from_db()
    return case
