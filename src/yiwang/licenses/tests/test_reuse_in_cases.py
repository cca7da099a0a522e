"""免提交: a material that a license type satisfies is attached from the applicant's own valid,
verifying license — never anyone else's — and the use is logged for the holder once."""

from datetime import date

import pytest
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.constants import MaterialSource
from yiwang.cases.models import CaseMaterial
from yiwang.cases.tests import conftest as case_fixtures
from yiwang.cases.tests.factories import PDF
from yiwang.catalog.constants import RealNameLevel
from yiwang.core.errors import DomainError
from yiwang.core.events import Event, deliver_pending
from yiwang.identity import services as identity
from yiwang.identity.models import Account
from yiwang.identity.tests.factories import company
from yiwang.licenses.constants import LicenseStatus, UseKind
from yiwang.licenses.models import License, LicenseUse
from yiwang.licenses.tests.factories import LicenseTypeFactory, make_seal, sign
from yiwang.licenses.tests.issuance_setup import asking_item, permanent_type, satisfies

pytestmark = pytest.mark.django_db
applicant, other_applicant = case_fixtures.applicant, case_fixtures.other_applicant
TRADER_DATA = {
    "operator": "张丽华",
    "premises": "长沙市芙蓉区五一大道1号",
    "kind": "个体工商户",
    "authority": "芙蓉区市场监督管理局",
    "case_number": "20260501XK00010000000001",
}


@pytest.fixture
def item(world):
    return asking_item(world)


@pytest.fixture
def trader(item):
    license_type = permanent_type()
    satisfies(license_type, item)
    return license_type


@pytest.fixture
def seal(world):
    return make_seal(world.county_agency)


def licensed(license_type, seal, person, **fields):
    fields.setdefault("data", dict(TRADER_DATA, operator=person.name))
    return sign(license_type, seal, holder_id=person.id_number, holder_name=person.name, **fields)


def submit(person_account, item, *, organization_uscc=""):
    case = cases.start_application(
        person_account, item.implementation_code, organization_uscc=organization_uscc
    )
    cases.add_material(
        person_account, case, name="食品经营许可申请书", data=PDF, filename="申请书.pdf"
    )
    return cases.submit(person_account, case)


def held(case) -> CaseMaterial | None:
    return case.materials.filter(name="营业执照", source=MaterialSource.HELD).first()


def test_the_applicants_license_is_attached_verified_and_logged_once(
    world, item, trader, seal, applicant
):
    license = licensed(trader, seal, applicant)
    case = submit(applicant.account, item)

    material = held(case)
    assert material.reference == license.identifier
    assert material.original_name == "个体工商户营业执照（电子证照，已核验有效）"
    assert material.file is None

    deliver_pending()
    use = LicenseUse.objects.get(license=license)
    assert (use.kind, use.case_number, use.user) == (
        UseKind.ATTACHED,
        case.number,
        "芙蓉区市场监督管理局",
    )
    assert use.detail == {"material": "营业执照"}
    Event.objects.update(delivered_at=None)  # delivered again after a crash
    deliver_pending()
    assert LicenseUse.objects.filter(license=license).count() == 1


def test_another_persons_license_is_never_attached(
    world, item, trader, seal, applicant, other_applicant
):
    licensed(trader, seal, other_applicant)  # 李建国 holds one; 张丽华 does not
    case = cases.start_application(applicant.account, item.implementation_code)
    cases.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    with pytest.raises(DomainError, match="营业执照"):
        cases.submit(applicant.account, case)
    assert not case.materials.filter(source=MaterialSource.HELD).exists()
    assert not LicenseUse.objects.exists()


@pytest.mark.parametrize(
    "spoil",
    ["revoked", "cancelled", "expired", "not_yet_valid", "tampered", "other_type"],
)
def test_only_a_license_valid_today_that_verifies_is_attached(
    world, item, trader, seal, applicant, spoil
):
    if spoil == "expired":
        licensed(
            trader, seal, applicant, issued_on=date(2015, 1, 1), valid_until=date(2020, 12, 31)
        )
    elif spoil == "not_yet_valid":
        licensed(trader, seal, applicant, valid_from=date(2099, 1, 1))
    elif spoil == "other_type":  # a type no mapping names for this material
        licensed(permanent_type(name="个体工商户登记证"), seal, applicant)
    else:
        license = licensed(trader, seal, applicant)
        changes = {
            "revoked": {"status": LicenseStatus.REVOKED},
            "cancelled": {"status": LicenseStatus.CANCELLED},
            "tampered": {"data": dict(TRADER_DATA, premises="长沙市岳麓区某某路9号")},
        }[spoil]
        License.objects.filter(pk=license.pk).update(**changes)
    case = cases.start_application(applicant.account, item.implementation_code)
    cases.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    with pytest.raises(DomainError, match="营业执照"):
        cases.submit(applicant.account, case)


def test_the_newest_good_license_is_chosen_over_a_bad_one(world, item, trader, seal, applicant):
    good = licensed(trader, seal, applicant, issued_on=date(2025, 1, 2))
    bad = licensed(trader, seal, applicant)
    License.objects.filter(pk=bad.pk).update(data={"operator": "被改动"})
    assert held(submit(applicant.account, item)).reference == good.identifier


def test_an_account_below_real_name_gets_nothing_attached(world, item, trader, seal, applicant):
    licensed(trader, seal, applicant)
    case = cases.start_application(applicant.account, item.implementation_code)
    cases.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    # Only real-name verification ties an account to the ID number its licenses are filed under.
    Account.objects.filter(pk=applicant.account.pk).update(level=RealNameLevel.REGISTERED)
    case.applicant.refresh_from_db()
    with pytest.raises(DomainError, match="营业执照"):
        cases.submit(applicant.account, case)


def test_a_mapping_on_another_item_does_not_apply(world, seal, applicant):
    item = asking_item(world)
    elsewhere = asking_item(world, basic_code="XK00016000")
    license_type = permanent_type()
    satisfies(license_type, elsewhere)
    licensed(license_type, seal, applicant)
    with pytest.raises(DomainError, match="营业执照"):
        submit(applicant.account, item)
    assert held(submit(applicant.account, elsewhere)) is not None


def test_an_organizations_case_gets_the_organizations_license_only(
    world, item, seal, applicant, other_applicant
):
    business = LicenseTypeFactory(name="营业执照")  # held by organizations
    satisfies(business, item)
    personal = permanent_type()
    satisfies(personal, item)
    uscc = company(applicant, 70000011)
    identity.claim_organization(identity.Actor(applicant.account), applicant.account, uscc)
    licensed(personal, seal, applicant)  # the representative's own license does not count
    other_uscc = company(other_applicant, 70000012, name="长沙某某餐饮有限公司")
    sign(business, seal, holder_id=other_uscc, holder_name="长沙某某餐饮有限公司")
    with pytest.raises(DomainError, match="营业执照"):
        submit(applicant.account, item, organization_uscc=uscc)

    own = sign(business, seal, holder_id=uscc, holder_name="长沙湘江餐饮有限公司")
    case = submit(applicant.account, item, organization_uscc=uscc)
    assert held(case).reference == own.identifier
    assert held(case).original_name == "营业执照（电子证照，已核验有效）"
    deliver_pending()
    assert list(LicenseUse.objects.values_list("license", flat=True)) == [own.pk]


def test_a_forged_reference_to_anothers_license_is_not_logged(
    world, item, trader, seal, applicant, other_applicant
):
    own = licensed(trader, seal, applicant)
    theirs = licensed(trader, seal, other_applicant)
    case = submit(applicant.account, item)
    CaseMaterial.objects.create(
        case=case,
        name="授权委托书",
        source=MaterialSource.HELD,
        reference=theirs.identifier,
        original_name="伪造",
    )
    CaseMaterial.objects.create(
        case=case, name="授权委托书", source=MaterialSource.HELD, reference="不是证照标识"
    )
    deliver_pending()
    assert list(LicenseUse.objects.values_list("license", flat=True)) == [own.pk]
    assert LicenseUse.objects.get().used_at <= timezone.now()
