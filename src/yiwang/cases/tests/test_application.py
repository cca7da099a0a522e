import re

import pytest

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case, CaseEvent
from yiwang.cases.tests.factories import PDF, open_task, submitted_case
from yiwang.catalog.constants import RealNameLevel
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.errors import DomainError
from yiwang.core.events import Event

pytestmark = pytest.mark.django_db


def test_a_draft_is_prefilled_from_the_account(applicant, food_item):
    case = services.start_application(applicant.account, food_item.implementation_code)
    assert case.status == CaseStatus.DRAFT and case.number is None
    assert case.form["applicant_name"] == "张丽华"
    assert case.form["applicant_id"] == applicant.account.id_number_masked
    assert case.process == "promised"
    services.update_form(
        applicant.account, case, {"applicant_name": "改名", "description": "开一家湘江小馆"}
    )
    case.refresh_from_db()
    assert case.form["applicant_name"] == "张丽华"  # held data is not the applicant's to edit
    assert case.form["description"] == "开一家湘江小馆"


def test_submission_numbers_the_case_and_opens_acceptance(applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    assert case.status == CaseStatus.SUBMITTED
    assert re.fullmatch(r"\d{8}XK00012000\d{6}", case.number)
    assert case.due_on is not None and case.warn_on <= case.due_on
    accept = open_task(case, "accept")
    assert accept.lane == "window_clerk" and accept.agency == food_item.agency
    assert Event.objects.filter(topic="case.submitted").count() == 1
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions == ["drafted", "material_added", "submitted"]


def test_numbers_sort_by_day_and_count_per_item(applicant, other_applicant, food_item):
    first = submitted_case(applicant, food_item)
    second = submitted_case(other_applicant, food_item)
    assert first.number[:-6] == second.number[:-6]
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_required_materials_must_be_there(applicant, food_item):
    case = services.start_application(applicant.account, food_item.implementation_code)
    with pytest.raises(DomainError, match="食品经营许可申请书"):
        services.submit(applicant.account, case)
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT and case.number is None


def test_materials_are_checked_by_content_and_name(applicant, food_item):
    case = services.start_application(applicant.account, food_item.implementation_code)
    with pytest.raises(DomainError) as wrong_type:
        services.add_material(
            applicant.account, case, name="食品经营许可申请书", data=b"MZ\x90\x00", filename="a.pdf"
        )
    assert wrong_type.value.errors[0].field == "file"
    with pytest.raises(DomainError, match="不是本事项的申请材料"):
        services.add_material(applicant.account, case, name="房产证", data=PDF, filename="a.pdf")
    assert not case.materials.exists()


def test_a_retried_submission_returns_the_same_case(applicant, food_item):
    case = services.start_application(applicant.account, food_item.implementation_code)
    services.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    first = services.submit(applicant.account, case, idempotency_key="k-1")
    again = services.submit(applicant.account, case, idempotency_key="k-1")
    assert again.pk == first.pk and again.number == first.number
    retry = services.start_application(applicant.account, food_item.implementation_code)
    services.add_material(
        applicant.account, retry, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    assert services.submit(applicant.account, retry, idempotency_key="k-1").pk == first.pk
    assert Case.objects.exclude(status=CaseStatus.DRAFT).count() == 1
    with pytest.raises(DomainError, match="不能再次提交"):
        services.submit(applicant.account, case, idempotency_key="k-2")


def test_an_item_asking_a_higher_level_refuses_online_applications(applicant, food_item):
    catalog_item = food_item.catalog_item
    catalog_item.min_real_name_level = RealNameLevel.STRONG
    catalog_item.save()
    with pytest.raises(DomainError, match="L3"):
        services.start_application(applicant.account, food_item.implementation_code)
    assert not Case.objects.exists()


def test_a_material_from_an_earlier_case_is_reused_not_uploaded(
    applicant, other_applicant, food_item
):
    earlier = submitted_case(applicant, food_item)
    source = earlier.materials.get()
    case = services.start_application(applicant.account, food_item.implementation_code)
    reused = services.reuse_material(
        applicant.account, case, name="食品经营许可申请书", source_id=source.pk
    )
    assert reused.file_id == source.file_id and reused.reference == earlier.number
    assert services.submit(applicant.account, case).status == CaseStatus.SUBMITTED
    theirs = services.start_application(other_applicant.account, food_item.implementation_code)
    with pytest.raises(DomainError):
        services.reuse_material(
            other_applicant.account, theirs, name="食品经营许可申请书", source_id=source.pk
        )
    assert not theirs.materials.exists()


def test_an_items_own_form_is_prefilled_from_the_registries_and_validated(applicant, world):
    guide = food_guide(
        form={
            "data_schema": {
                "type": "object",
                "required": ["operator", "premises", "staff"],
                "properties": {
                    "operator": {"title": "经营者姓名", "type": "string"},
                    "household": {"title": "户籍地", "type": "string"},
                    "premises": {"title": "经营场所", "type": "string", "minLength": 4},
                    "staff": {"title": "从业人数", "type": "integer", "minimum": 1},
                    "form": {"title": "组成形式", "enum": ["个人经营", "家庭经营"]},
                },
            },
            "ui": {
                "prefill": {"operator": "applicant.name", "household": "applicant.household_region"}
            },
        }
    )
    del guide["materials"][1]
    item = world.implement(world.county_agency, guide).service_item
    case = services.start_application(applicant.account, item.implementation_code)
    assert case.form == {"operator": "张丽华", "household": "芙蓉区"}
    with pytest.raises(DomainError) as bad:
        services.update_form(
            applicant.account, case, {"premises": "小", "staff": 0, "form": "合伙"}
        )
    assert {e.field for e in bad.value.errors} == {"form.premises", "form.staff", "form.form"}
    assert "从业人数：不能小于1" in bad.value.detail
    services.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    with pytest.raises(DomainError, match="经营场所：必须填写"):
        services.submit(applicant.account, case)
    services.update_form(applicant.account, case, {"premises": "", "staff": 2})
    with pytest.raises(DomainError, match="经营场所：必须填写"):  # blank is not an answer
        services.submit(applicant.account, case)
    services.update_form(applicant.account, case, {"premises": "五一大道 1 号", "staff": 2})
    assert services.submit(applicant.account, case).status == CaseStatus.SUBMITTED


def test_the_verified_id_card_is_attached_not_asked_for(applicant, world):
    guide = food_guide()
    guide["materials"][1] = {
        "name": "经营者居民身份证",
        "basis": "《食品经营许可和备案管理办法》第十二条",
        "source": "license",
        "license_type": "居民身份证",
        "medium": "electronic",
    }
    item = world.implement(world.county_agency, guide).service_item
    case = services.start_application(applicant.account, item.implementation_code)
    services.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    case = services.submit(applicant.account, case)
    held = case.materials.get(name="经营者居民身份证")
    assert held.source == "held" and held.file is None
    assert held.reference == applicant.account.id_number_masked
