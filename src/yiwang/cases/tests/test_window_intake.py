import pytest

from yiwang.cases import selectors, services
from yiwang.cases.constants import CaseStatus, Channel, MaterialSource
from yiwang.cases.tests.factories import PDF, open_task
from yiwang.core import sms
from yiwang.core.errors import DomainError
from yiwang.identity import services as identity
from yiwang.identity.constants import CodePurpose
from yiwang.identity.models import Account
from yiwang.identity.tests.factories import PASSWORD, id_number, in_registry

pytestmark = pytest.mark.django_db
SCANS = [services.Upload("食品经营许可申请书", "scan-001.pdf", PDF)]


def test_a_walk_in_becomes_the_same_case_online(food_item, office):
    walk_in = in_registry("王建华", 71)  # in the population registry, no account yet
    case = services.intake_at_window(
        office.clerk, food_item.implementation_code, card=walk_in.id_number, scans=SCANS
    )
    assert case.status == CaseStatus.SUBMITTED and case.channel == Channel.WINDOW
    assert case.submitted_by == office.clerk
    assert case.materials.get().source == MaterialSource.PAPER
    person = case.applicant
    assert person.name == "王建华" and person.level == 2 and not person.has_usable_password()
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")

    # later, online: registering with the same ID number claims the account and its case
    identity.request_code(walk_in.phone, CodePurpose.REGISTER, address="10.0.0.5")
    claimed = identity.register_person(
        id_number=walk_in.id_number,
        name="王建华",
        phone=walk_in.phone,
        code=sms.latest_outbox_code(walk_in.phone),
        password=PASSWORD,
    )
    assert claimed.pk == person.pk and claimed.level == 2
    assert list(selectors.cases_of(claimed)) == [case]
    assert Account.objects.filter(kind="person").count() == 1


def test_only_the_agencys_window_takes_cases_in(food_item, office, world):
    walk_in = in_registry("王建华", 72)
    with pytest.raises(DomainError, match="窗口受理人员"):
        services.intake_at_window(
            office.reviewer, food_item.implementation_code, card=walk_in.id_number, scans=SCANS
        )
    with pytest.raises(DomainError, match="读卡失败"):  # a valid number nobody holds
        services.intake_at_window(
            office.clerk, food_item.implementation_code, card=id_number(73), scans=SCANS
        )
    assert not Account.objects.filter(kind="person").exists()


def test_a_registered_name_that_differs_from_the_card_is_refused(applicant, food_item, office):
    applicant.account.name = "张莉华"
    applicant.account.save()
    with pytest.raises(DomainError, match="不一致"):
        services.intake_at_window(
            office.clerk, food_item.implementation_code, card=applicant.id_number, scans=SCANS
        )
