import pytest

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import ClockPause
from yiwang.cases.tests.factories import PDF, open_task, submitted_case
from yiwang.core.errors import DomainError

pytestmark = pytest.mark.django_db
APPLICATION_FORM = "食品经营许可申请书"


def _correction(case, office, faults):
    return services.request_correction(office.clerk, open_task(case, "accept"), faults)


def test_a_correction_names_every_fault_and_stops_the_clock(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    faults = [
        {"material": APPLICATION_FORM, "reason": "缺少经营场所面积"},
        {"material": "", "reason": "联系电话无法接通"},
    ]
    case = _correction(case, office, faults)
    assert case.status == CaseStatus.CORRECTING and case.paused
    assert case.corrections.get().faults == faults
    assert ClockPause.objects.get(case=case).ended_at is None
    assert open_task(case, "correct").lane == "applicant"


def test_bad_fault_lists_are_refused(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    for faults, message in (
        ([], "一次性列明"),
        ([{"material": APPLICATION_FORM, "reason": ""}], "原因"),
        ([{"material": "房产证", "reason": "缺"}], "不是本事项"),
    ):
        with pytest.raises(DomainError, match=message):
            _correction(case, office, faults)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and not case.corrections.exists()


def test_resubmission_restarts_the_acceptance_clock(applicant, food_item, office):
    case = _correction(
        submitted_case(applicant, food_item),
        office,
        [{"material": APPLICATION_FORM, "reason": "x"}],
    )
    with pytest.raises(DomainError, match="更正后的材料"):
        services.resubmit(applicant.account, case)
    services.add_material(
        applicant.account, case, name=APPLICATION_FORM, data=PDF + b"v2", filename="v2.pdf"
    )
    case = services.resubmit(applicant.account, case)
    assert case.status == CaseStatus.SUBMITTED and not case.paused
    assert ClockPause.objects.get(case=case).ended_at is not None
    assert open_task(case, "accept")
    current = case.materials.get(name=APPLICATION_FORM, current=True)
    assert current.round == 2 and case.materials.filter(name=APPLICATION_FORM).count() == 2


def test_the_one_time_rule_refuses_faults_in_unchanged_materials(applicant, food_item, office):
    case = _correction(
        submitted_case(applicant, food_item), office, [{"material": "", "reason": "电话错误"}]
    )
    services.update_form(applicant.account, case, {"contact_address": "芙蓉区五一大道 1 号"})
    services.resubmit(applicant.account, case)
    with pytest.raises(DomainError, match="一次性告知"):
        _correction(case, office, [{"material": APPLICATION_FORM, "reason": "新发现的问题"}])
    assert case.corrections.count() == 1


def test_a_fault_in_a_changed_material_may_be_raised_again(applicant, food_item, office):
    case = _correction(
        submitted_case(applicant, food_item),
        office,
        [{"material": APPLICATION_FORM, "reason": "x"}],
    )
    services.add_material(
        applicant.account, case, name=APPLICATION_FORM, data=PDF + b"2", filename="b.pdf"
    )
    services.resubmit(applicant.account, case)
    case = _correction(case, office, [{"material": APPLICATION_FORM, "reason": "更正后仍缺签字"}])
    assert case.corrections.count() == 2 and case.status == CaseStatus.CORRECTING


def test_a_changed_form_may_be_faulted_again(applicant, food_item, office):
    case = _correction(
        submitted_case(applicant, food_item), office, [{"material": "", "reason": "联系地址不全"}]
    )
    services.update_form(applicant.account, case, {"contact_address": "芙蓉区五一大道 1 号"})
    services.resubmit(applicant.account, case)
    case = _correction(case, office, [{"material": "", "reason": "联系地址缺门牌号"}])
    assert case.corrections.count() == 2
