import pytest

from yiwang.cases import selectors, services
from yiwang.cases.constants import CaseStatus
from yiwang.cases.tests.factories import open_task, staff, submitted_case
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.errors import DomainError
from yiwang.identity.constants import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def joint_item(world):
    guide = food_guide(handling_kind="joint")
    del guide["materials"][1]  # 营业执照 comes from e-licenses (issue 5), not an upload
    return world.implement(world.county_agency, guide).service_item


def test_joint_cases_review_in_parallel_and_join_before_the_decision(
    applicant, joint_item, office, world
):
    partner = staff("city-reviewer", Role.REVIEWER, world.city, world.city_agency)
    case = submitted_case(applicant, joint_item)
    with pytest.raises(DomainError, match="协办部门"):
        services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    services.decide_acceptance(
        office.clerk, open_task(case, "accept"), "accept", partner_agencies=[world.city_agency]
    )
    lead, side = open_task(case, "review"), open_task(case, "partner_review")
    assert (lead.agency, side.agency) == (world.county_agency, world.city_agency)
    assert list(selectors.tasks_for(partner)) == [side]
    with pytest.raises(DomainError, match="权限"):
        services.review(office.reviewer, side, "pass")  # the lead may not review for the partner
    city_wide = staff("changsha-wide", Role.REVIEWER, world.city)  # every agency of the city
    assert services.may_work_on(city_wide, lead)
    assert not services.may_work_on(city_wide, side)  # but not another department's own review
    assert side not in selectors.tasks_for(city_wide)
    services.review(partner, side, "pass", opinion="同意")
    assert not case.tasks.filter(spec="decide").exists()  # waits for the lead's review
    services.review(office.reviewer, lead, "pass")
    services.decide(office.approver, open_task(case, "decide"), "approve", basis="两部门审查通过")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED


def test_every_partner_department_reviews_in_its_own_parallel_instance(
    applicant, joint_item, office, world
):
    city = staff("city-reviewer", Role.REVIEWER, world.city, world.city_agency)
    province = staff("province-reviewer", Role.REVIEWER, world.province, world.province_agency)
    case = submitted_case(applicant, joint_item)
    accept = open_task(case, "accept")
    with pytest.raises(DomainError, match="牵头部门以外"):  # the lead is no partner of itself
        services.decide_acceptance(
            office.clerk, accept, "accept", partner_agencies=[world.county_agency]
        )
    partners = [world.province_agency, world.city_agency, world.county_agency]
    services.decide_acceptance(office.clerk, accept, "accept", partner_agencies=partners)
    sides = case.tasks.filter(spec="partner_review").order_by("agency_id")
    assert [task.agency for task in sides] == [world.province_agency, world.city_agency]
    assert set(case.partner_agencies.all()) == {world.province_agency, world.city_agency}
    city_task = open_task(case, "partner_review", agency=world.city_agency)
    province_task = open_task(case, "partner_review", agency=world.province_agency)
    assert list(selectors.tasks_for(city)) == [city_task]
    assert list(selectors.tasks_for(province)) == [province_task]
    with pytest.raises(DomainError, match="权限"):
        services.review(city, province_task, "pass")
    services.review(city, city_task, "pass", opinion="同意")
    services.review(office.reviewer, open_task(case, "review"), "pass")
    assert not case.tasks.filter(spec="decide").exists()  # the province has not reviewed yet
    services.review(province, province_task, "pass", opinion="同意")
    decide = open_task(case, "decide")
    assert decide.agency == world.county_agency
    services.decide(office.approver, decide, "approve", basis="三部门审查通过")
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    reviews = case.events.filter(action="review_pass").values_list("actor__username", flat=True)
    assert sorted(reviews) == sorted([city.username, province.username, "reviewer"])


def test_applicants_reach_only_their_own_cases(applicant, other_applicant, food_item):
    case = submitted_case(applicant, food_item)
    assert selectors.case_for_applicant(applicant.account, case.number) == case
    for guess in (case.number, str(case.uid)):
        with pytest.raises(DomainError):
            selectors.case_for_applicant(other_applicant.account, guess)
    assert not selectors.cases_of(other_applicant.account).exists()
    with pytest.raises(DomainError):
        services.add_material(other_applicant.account, case, name="x", data=b"", filename="x")
    with pytest.raises(DomainError):
        services.withdraw(other_applicant.account, case)


def test_staff_see_cases_of_their_scope_only(applicant, food_item, office, world):
    case = submitted_case(applicant, food_item)
    assert selectors.case_for_staff(office.clerk, case.number) == case
    outsider = staff("tianyuan", Role.WINDOW_CLERK, world.other_county)
    with pytest.raises(DomainError):
        selectors.case_for_staff(outsider, case.number)


def test_materials_reach_the_applicant_and_the_case_staff_only(
    applicant, other_applicant, food_item, office, world
):
    case = submitted_case(applicant, food_item)
    material = case.materials.get()
    assert selectors.material_for_applicant(applicant.account, str(case.uid), material.pk)
    assert selectors.material_for_staff(office.clerk, case.number, material.pk)
    with pytest.raises(DomainError):
        selectors.material_for_applicant(other_applicant.account, str(case.uid), material.pk)
    outsider = staff("tianyuan-2", Role.WINDOW_CLERK, world.other_county)
    with pytest.raises(DomainError):
        selectors.material_for_staff(outsider, case.number, material.pk)
