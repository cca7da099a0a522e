"""Working days: the official calendar behind every legal clock (行政许可法 Arts. 32, 42, 44).

A day is a working day when it is Monday to Friday and not a public holiday, or when it is a
make-up day (调休上班日). The holidays and make-up days live in CalendarDay; a year listed in
CalendarYear is published, i.e. complete. Clocks start the day after the event (the start day
is not counted). A clock that runs into a year not yet published never fails: it uses the
weekday rule and says so (`Deadline.provisional`), so the case can show "暂定" until the State
Council's notice is entered with `enter_year`.

Years the chinesecalendar package knows are seeded after every `migrate` (see apps.py), so
every database starts with the official calendar. Deadlines are computed for every case, so
the table is read once into process memory and kept for `CACHE_SECONDS`; saving or deleting a
row in this process forgets it at once (model signals), other processes within the cache time.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import chinese_calendar
from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from yiwang.core.audit import record_audit
from yiwang.core.errors import DomainError, FieldError
from yiwang.core.models import CalendarDay, CalendarYear

CACHE_SECONDS = 300.0
PACKAGE_SOURCE = f"chinese-calendar {chinese_calendar.__version__}"
ADMIN_SOURCE = "管理员录入"
NAME_MAX = CalendarDay._meta.get_field("name").max_length
SOURCE_MAX = CalendarYear._meta.get_field("source").max_length
_ONE_DAY = timedelta(days=1)
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool  # a day up to `due` lies in an unpublished year: weekday rule used


@dataclass(frozen=True)
class _Year:
    holidays: frozenset[date] = frozenset()
    makeup: frozenset[date] = frozenset()
    published: bool = False


_UNPUBLISHED = _Year()


# --- the process cache ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Loaded:
    years: dict[int, _Year]
    at: float


_lock = threading.Lock()
_loaded: _Loaded | None = None
_generation = 0  # bumped by every clear, so a load that raced a change is not kept
_changing: weakref.WeakSet = weakref.WeakSet()  # outermost atomic blocks that changed rows


def clear_cache() -> None:
    """Forget the calendar. A transaction that changed rows reads around the shared cache
    until it commits: what it wrote must not outlive a rollback in memory."""
    _forget()
    if connection.in_atomic_block:
        block = connection.atomic_blocks[0]
        _changing.add(block)
        transaction.on_commit(lambda: _committed(block))


def _forget() -> None:
    global _loaded, _generation
    with _lock:
        _loaded = None
        _generation += 1


def _committed(block: object) -> None:
    # Still inside the block when a test runs on-commit callbacks early: keep reading around.
    if not _in_block(block):
        _changing.discard(block)
    _forget()  # other threads may have cached the old rows meanwhile


def _in_block(block: object) -> bool:
    return connection.in_atomic_block and connection.atomic_blocks[0] is block


def _in_changing_transaction() -> bool:
    return connection.in_atomic_block and connection.atomic_blocks[0] in _changing


def _load() -> dict[int, _Year]:
    holidays: dict[int, set[date]] = defaultdict(set)
    makeup: dict[int, set[date]] = defaultdict(set)
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (makeup if kind == CalendarDay.Kind.MAKEUP else holidays)[day.year].add(day)
    published = set(CalendarYear.objects.values_list("year", flat=True))
    return {
        year: _Year(frozenset(holidays[year]), frozenset(makeup[year]), year in published)
        for year in published | holidays.keys() | makeup.keys()
    }


def _calendar() -> dict[int, _Year]:
    global _loaded
    if _in_changing_transaction():
        return _load()
    loaded, generation, now = _loaded, _generation, time.monotonic()
    if loaded is not None and now - loaded.at < CACHE_SECONDS:
        return loaded.years
    years = _load()
    with _lock:
        if generation == _generation:
            _loaded = _Loaded(years, now)
    return years


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def _calendar_changed(**kwargs) -> None:
    clear_cache()


# --- counting ---------------------------------------------------------------------------------


def _check_date(day: date) -> None:
    # A datetime compares unequal to every date in the table: it would silently skip holidays.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date (e.g. timezone.localdate()), got {day!r}")


def _works(day: date, year: _Year) -> bool:
    if day in year.makeup:
        return True
    return day.weekday() < 5 and day not in year.holidays


def is_working_day(day: date) -> bool:
    _check_date(day)
    return _works(day, _calendar().get(day.year, _UNPUBLISHED))


def add_working_days(start: date, days: int) -> Deadline:
    """The `days`-th working day after `start` (the start day is not counted); 0 → start."""
    _check_date(start)
    if days < 0:
        raise ValueError(f"a clock cannot run backwards: days={days}")
    calendar, day, counted, provisional = _calendar(), start, 0, False
    while counted < days:
        day += _ONE_DAY
        year = calendar.get(day.year, _UNPUBLISHED)
        counted += _works(day, year)
        provisional = provisional or not year.published
    return Deadline(due=day, provisional=provisional)


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end: how far a clock ran (0 when end <= start)."""
    _check_date(start)
    _check_date(end)
    calendar, day, counted = _calendar(), start, 0
    while day < end:
        day += _ONE_DAY
        counted += _works(day, calendar.get(day.year, _UNPUBLISHED))
    return counted


# --- maintenance ------------------------------------------------------------------------------


def _package_days() -> dict[int, list[CalendarDay]]:
    """The chinesecalendar package's days by year, with Chinese names (国庆节, not National Day)."""
    chinese = {holiday.value: holiday.chinese for holiday in chinese_calendar.Holiday}
    by_year: dict[int, list[CalendarDay]] = defaultdict(list)
    for kind, days in (
        (CalendarDay.Kind.HOLIDAY, chinese_calendar.holidays),
        (CalendarDay.Kind.MAKEUP, chinese_calendar.workdays),
    ):
        for day, name in days.items():
            by_year[day.year].append(
                CalendarDay(
                    date=day, kind=kind, name=chinese.get(name, name), source=PACKAGE_SOURCE
                )
            )
    return by_year


def seed_from_package() -> int:
    """Load every year the package covers that is not published yet; returns the days added.

    Idempotent and one query when nothing is missing. A published year is never touched, so an
    administrator's corrections survive package upgrades.
    """
    by_year = _package_days()
    published = CalendarYear.objects.filter(year__in=by_year).values_list("year", flat=True)
    missing = by_year.keys() - set(published)
    if not missing:
        return 0
    days = [day for year in sorted(missing) for day in by_year[year]]
    with transaction.atomic():
        CalendarDay.objects.filter(date__year__in=missing).delete()
        # ignore_conflicts: two processes migrating at once must not fail each other.
        CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
        CalendarYear.objects.bulk_create(
            [CalendarYear(year=year, source=PACKAGE_SOURCE) for year in sorted(missing)],
            ignore_conflicts=True,
        )
        clear_cache()
    return len(days)


def seed_after_migrate(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: every fresh database (tests, `make run`, CI) gets the calendar."""
    try:
        apps.get_model("core", "CalendarYear")  # `migrate` passes the migrated state
    except LookupError:  # migrated back to before the calendar existed
        return
    if using == DEFAULT_DB_ALIAS:
        seed_from_package()


def _day_errors(field: str, year: int, days: dict[date, str]) -> list[FieldError]:
    errors = []
    for day, name in days.items():
        if isinstance(day, datetime) or not isinstance(day, date):
            errors.append(FieldError(field, f"“{day}”不是日期"))
        elif day.year != year:
            errors.append(FieldError(field, f"{day} 不在 {year} 年内"))
        elif field == "makeup_days" and day.weekday() < 5:
            weekday = _WEEKDAYS[day.weekday()]
            errors.append(FieldError(field, f"{day}（周{weekday}）本是工作日，不能作为调休上班日"))
        if not isinstance(name, str) or not name.strip():
            errors.append(FieldError(field, f"{day} 缺少节日名称"))
        elif len(name.strip()) > NAME_MAX:
            errors.append(FieldError(field, f"{day} 的节日名称不能超过 {NAME_MAX} 个字"))
    return errors


def _year_errors(
    year: int, holidays: dict[date, str], makeup_days: dict[date, str], source: str
) -> list[FieldError]:
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        return [FieldError("year", "年份应为 2000 至 2100 之间的整数")]
    errors = _day_errors("holidays", year, holidays) + _day_errors("makeup_days", year, makeup_days)
    errors += [
        FieldError("makeup_days", f"{day} 不能既是法定节假日又是调休上班日")
        for day in holidays
        if day in makeup_days
    ]
    if not source.strip() or len(source.strip()) > SOURCE_MAX:
        errors.append(FieldError("source", f"来源不能为空，且不超过 {SOURCE_MAX} 个字"))
    return errors


@transaction.atomic
def enter_year(
    year: int,
    *,
    holidays: dict[date, str],
    makeup_days: dict[date, str],
    source: str = ADMIN_SOURCE,
) -> None:
    """Replace a year's holidays and make-up days (from the State Council's notice) and mark
    the year published. Every fault is reported at once; a refusal changes nothing."""
    errors = _year_errors(year, holidays, makeup_days, source)
    if errors:
        raise DomainError(errors)
    source = source.strip()
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, kind=kind, name=name.strip(), source=source)
            for kind, days in (
                (CalendarDay.Kind.HOLIDAY, holidays),
                (CalendarDay.Kind.MAKEUP, makeup_days),
            )
            for day, name in days.items()
        ]
    )
    CalendarYear.objects.update_or_create(
        year=year, defaults={"source": source, "entered_at": timezone.now()}
    )
    record_audit(
        "calendar.year_entered",
        target=str(year),
        detail={"holidays": len(holidays), "makeup_days": len(makeup_days), "source": source},
    )
    clear_cache()
