"""Two staff complete the same task at the same moment: exactly one wins, the other is told."""

import pytest

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus
from yiwang.cases.tests.factories import open_task, staff, submitted_case
from yiwang.core.errors import DomainError
from yiwang.core.tests.racing import at_once
from yiwang.identity.constants import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_completion_of_one_task_has_one_winner(applicant, food_item, office, world):
    colleague = staff("clerk-2", Role.WINDOW_CLERK, world.county, world.county_agency)
    case = submitted_case(applicant, food_item)
    accept = open_task(case, "accept")
    outcomes: list[str] = []

    def complete(actor) -> None:
        try:
            services.decide_acceptance(actor, accept, "accept")
            outcomes.append("won")
        except DomainError as refusal:
            outcomes.append(refusal.detail)

    at_once(lambda: complete(office.clerk), lambda: complete(colleague))
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1, outcomes
    assert any("办理完毕" in outcome for outcome in outcomes), outcomes
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    assert case.tasks.filter(spec="review").count() == 1
    assert case.events.filter(action="accepted").count() == 1
