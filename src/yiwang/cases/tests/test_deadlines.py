from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from yiwang.cases import selectors, services
from yiwang.cases.constants import PauseKind
from yiwang.cases.models import Case
from yiwang.cases.tests.factories import open_task, submitted_case
from yiwang.core import workdays
from yiwang.core.errors import DomainError

pytestmark = pytest.mark.django_db


def _on(day: date, monkeypatch):
    moment = timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=10))
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_acceptance_is_due_five_working_days_after_submission(applicant, food_item, monkeypatch):
    _on(date(2026, 9, 29), monkeypatch)  # Tuesday before National Day
    case = submitted_case(applicant, food_item)
    assert case.due_on == workdays.add_working_days(date(2026, 9, 29), 5).due
    assert case.due_on == date(2026, 10, 12)  # 9/30, 10/8, 10/9, 10/10 (make-up), 10/12


def test_a_limit_crossing_into_2027_is_marked_provisional(
    applicant, food_item, office, monkeypatch
):
    _on(date(2026, 12, 28), monkeypatch)
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    case.refresh_from_db()
    assert case.due_on.year == 2027 and case.due_provisional


def test_a_special_procedure_extends_the_limit_by_its_working_days(
    applicant, food_item, office, monkeypatch
):
    _on(date(2026, 11, 2), monkeypatch)  # Monday
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    case.refresh_from_db()
    due = case.due_on
    with pytest.raises(DomainError, match="原因"):
        services.start_special_procedure(office.reviewer, case, PauseKind.HEARING, "")
    services.start_special_procedure(office.reviewer, case, PauseKind.HEARING, "申请人要求听证")
    _on(date(2026, 11, 6), monkeypatch)  # Friday: four working days stood still
    case = services.end_special_procedure(office.reviewer, case)
    assert case.due_on == workdays.add_working_days(due, 4).due and not case.paused


def test_red_and_yellow_lists_of_an_agency(applicant, other_applicant, food_item, monkeypatch):
    _on(date(2026, 11, 2), monkeypatch)
    late = submitted_case(applicant, food_item)
    soon = submitted_case(other_applicant, food_item)
    Case.objects.filter(pk=late.pk).update(due_on=date(2026, 10, 30))
    Case.objects.filter(pk=soon.pk).update(warn_on=date(2026, 11, 1), due_on=date(2026, 11, 4))
    agency = food_item.agency
    assert list(selectors.red_cases(agency, date(2026, 11, 2))) == [late]
    assert list(selectors.yellow_cases(agency, date(2026, 11, 2))) == [soon]
