"""Working days on the official calendar: holidays, make-up days, provisional years, upkeep."""

from datetime import date, datetime

import pytest
from django.core.management import call_command
from django.db import transaction

from yiwang.core import workdays
from yiwang.core.errors import DomainError
from yiwang.core.models import AuditRecord, CalendarDay, CalendarYear
from yiwang.core.workdays import Deadline, add_working_days, is_working_day, working_days_between

pytestmark = pytest.mark.django_db


def test_every_fresh_database_has_the_package_calendar():
    published = CalendarYear.objects.get(year=2026)
    assert published.source == f"chinese-calendar {workdays.chinese_calendar.__version__}"
    assert CalendarYear.objects.filter(year__range=(2004, 2026)).count() == 23
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "国庆节"
    assert workdays.seed_from_package() == 0  # idempotent


def test_seeding_refills_a_missing_year_and_leaves_published_years_alone():
    CalendarYear.objects.filter(year=2025).delete()
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarDay.objects.filter(date=date(2026, 10, 1)).update(name="国庆")  # an admin's edit
    assert workdays.seed_from_package() == 33  # 2025: 28 holidays, 5 make-up days
    assert CalendarYear.objects.filter(year=2025).exists()
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "国庆"


def test_national_day_2026_holidays_and_makeup_days():
    assert not any(is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(date(2026, 9, 20))  # a Sunday worked for National Day
    assert is_working_day(date(2026, 10, 10))  # a Saturday worked for National Day
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert CalendarDay.objects.get(date=date(2026, 10, 10)).kind == CalendarDay.Kind.MAKEUP


def test_the_clock_starts_the_day_after_and_skips_national_day():
    assert add_working_days(date(2026, 9, 30), 1) == Deadline(date(2026, 10, 8), False)
    assert add_working_days(date(2026, 9, 30), 0) == Deadline(date(2026, 9, 30), False)
    # Sep 28 (Mon) → 29, 30, Oct 8, 9, 10 (the make-up Saturday).
    assert add_working_days(date(2026, 9, 28), 5).due == date(2026, 10, 10)


def test_spring_festival_2026():
    assert not any(is_working_day(date(2026, 2, day)) for day in range(15, 24))
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))
    # Feb 13 (Fri) → 14 (make-up Saturday), 24, 25, 26, 27.
    assert add_working_days(date(2026, 2, 13), 5).due == date(2026, 2, 27)
    assert add_working_days(date(2026, 2, 13), 6).due == date(2026, 2, 28)


def test_a_clock_into_an_unpublished_year_is_provisional_and_never_fails():
    deadline = add_working_days(date(2026, 12, 10), 20)
    # Dec 11, 14–18, 21–25, 28–31 are 15; Jan 1 2027 (Friday) counts by the weekday rule.
    assert deadline == Deadline(date(2027, 1, 7), provisional=True)
    assert add_working_days(date(2040, 3, 1), 1) == Deadline(date(2040, 3, 2), True)


def test_entering_the_next_year_makes_the_clock_final():
    workdays.enter_year(2027, holidays={date(2027, 1, 1): "元旦"}, makeup_days={})
    assert add_working_days(date(2026, 12, 10), 20) == Deadline(date(2027, 1, 8), False)
    assert CalendarYear.objects.get(year=2027).source == "管理员录入"
    assert AuditRecord.objects.filter(action="calendar.year_entered", target="2027").exists()


def test_entering_a_year_replaces_its_rows():
    workdays.enter_year(
        2026, holidays={date(2026, 10, 1): "国庆节"}, makeup_days={}, source="国办发明电〔2025〕7号"
    )
    assert CalendarDay.objects.filter(date__year=2026).count() == 1
    assert is_working_day(date(2026, 10, 2))
    assert not is_working_day(date(2026, 10, 10))  # no longer a make-up day


def test_enter_year_names_every_fault_at_once():
    with pytest.raises(DomainError) as refused:
        workdays.enter_year(
            2027,
            holidays={date(2026, 12, 31): "元旦", date(2027, 2, 6): "春节"},
            makeup_days={date(2027, 2, 6): "春节", date(2027, 2, 8): "春节"},
        )
    faults = {(error.field, error.message) for error in refused.value.errors}
    assert faults == {
        ("holidays", "2026-12-31 不在 2027 年内"),
        ("makeup_days", "2027-02-08（周一）本是工作日，不能作为调休上班日"),
        ("makeup_days", "2027-02-06 不能既是法定节假日又是调休上班日"),
    }
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_enter_year_refuses_a_year_out_of_range_and_blank_names():
    with pytest.raises(DomainError) as refused:
        workdays.enter_year(1899, holidays={}, makeup_days={})
    assert refused.value.errors[0].field == "year"
    with pytest.raises(DomainError, match="2027-01-01 缺少节日名称"):
        workdays.enter_year(2027, holidays={date(2027, 1, 1): " "}, makeup_days={})


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3  # Oct 8, 9, 10
    assert working_days_between(date(2026, 9, 28), date(2026, 9, 28)) == 0
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 28)) == 0
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6


def test_a_datetime_or_a_negative_clock_is_a_programming_error():
    with pytest.raises(TypeError):
        add_working_days(datetime(2026, 10, 1, 9, 0), 1)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 10, 1), -1)


def test_an_admin_edit_takes_effect_at_once(django_assert_num_queries):
    assert is_working_day(date(2026, 10, 12))
    with django_assert_num_queries(0):  # the calendar is cached
        assert add_working_days(date(2026, 9, 30), 3).due == date(2026, 10, 10)
    CalendarDay.objects.create(
        date=date(2026, 10, 12), kind=CalendarDay.Kind.HOLIDAY, name="测试假日"
    )
    assert not is_working_day(date(2026, 10, 12))
    CalendarDay.objects.get(date=date(2026, 10, 10)).delete()
    assert not is_working_day(date(2026, 10, 10))


class RolledBack(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_edit_does_not_stay_in_the_cache():
    assert is_working_day(date(2026, 10, 13))
    with pytest.raises(RolledBack), transaction.atomic():
        CalendarDay.objects.create(
            date=date(2026, 10, 13), kind=CalendarDay.Kind.HOLIDAY, name="测试假日"
        )
        assert not is_working_day(date(2026, 10, 13))  # the changing transaction sees its row
        raise RolledBack
    assert is_working_day(date(2026, 10, 13))


def test_the_calendar_command_shows_a_year(capsys):
    call_command("calendar", "show", "2026")
    out = capsys.readouterr().out
    assert "2026 年（来源：chinese-calendar" in out
    assert "2026-10-10 周六 调休上班日 国庆节" in out
    call_command("calendar", "show", "2031")
    assert "2031 年尚未公布" in capsys.readouterr().out
    call_command("calendar", "seed")
    assert "0 days added" in capsys.readouterr().out


def test_the_admin_lists_a_year_and_edits_a_day(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("calendar-admin", "x"))
    page = client.get("/admin/core/calendarday/?year=2026&kind=makeup").content.decode()
    assert "2026年10月10日" in page and "2025年" not in page.split("result_list")[-1]
    refused = client.post(
        "/admin/core/calendarday/add/", {"date": "2026-10-14", "kind": "makeup", "name": "测试"}
    )
    assert "调休上班日应为周六或周日" in refused.content.decode()
    client.post(
        "/admin/core/calendarday/add/", {"date": "2026-10-14", "kind": "holiday", "name": "测试"}
    )
    assert not is_working_day(date(2026, 10, 14))
    assert client.get("/admin/core/calendaryear/").status_code == 200
    assert client.get("/admin/core/storedfile/").status_code == 200


def test_running_on_commit_callbacks_early_keeps_the_edit_out_of_the_cache(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        workdays.enter_year(2027, holidays={date(2027, 1, 1): "元旦"}, makeup_days={})
    assert not is_working_day(date(2027, 1, 1))
    assert workdays._loaded is None  # this transaction may still roll back
