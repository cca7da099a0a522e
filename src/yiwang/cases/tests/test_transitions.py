"""Every pair of statuses against the one table: legal moves go through, all others are
refused with the current status named, and a refusal writes nothing."""

import pytest

from yiwang.cases import services
from yiwang.cases.constants import TRANSITIONS, CaseStatus
from yiwang.cases.models import Case, CaseEvent
from yiwang.core.errors import DomainError

pytestmark = pytest.mark.django_db
PAIRS = [(source, target) for source in CaseStatus.values for target in CaseStatus.values]


@pytest.fixture
def draft(applicant, food_item):
    return services.start_application(applicant.account, food_item.implementation_code)


@pytest.mark.parametrize(("source", "target"), PAIRS)
def test_the_table_decides_every_move(draft, applicant, source, target):
    Case.objects.filter(pk=draft.pk).update(status=source)
    case = Case.objects.get(pk=draft.pk)
    events_before = CaseEvent.objects.count()
    if target in TRANSITIONS[source]:
        services._move(case, applicant.account, target, "test_move")
        assert case.status == target
        assert CaseEvent.objects.count() == events_before + 1
    else:
        with pytest.raises(DomainError, match=CaseStatus(source).label):
            services._move(case, applicant.account, target, "test_move")
        assert case.status == source
        assert CaseEvent.objects.count() == events_before


def test_final_statuses_lead_nowhere():
    for final in (CaseStatus.REJECTED, CaseStatus.COMPLETED, CaseStatus.WITHDRAWN):
        assert TRANSITIONS[final] == set()
    assert set(TRANSITIONS) == set(CaseStatus.values)
