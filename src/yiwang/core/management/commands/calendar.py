from django.core.management.base import BaseCommand, CommandError
from django.utils.timezone import localtime

from yiwang.core import workdays
from yiwang.core.models import CalendarDay, CalendarYear

WEEKDAYS = "一二三四五六日"


class Command(BaseCommand):
    help = (
        "Working-day calendar: `seed` loads the years the chinesecalendar package covers; "
        "`show YEAR` lists that year's holidays and make-up working days."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["seed", "show"])
        parser.add_argument("year", nargs="?", type=int)

    def handle(self, *args, action, year, **options):
        if action == "seed":
            added = workdays.seed_from_package()
            self.stdout.write(f"{added} days added ({workdays.PACKAGE_SOURCE})")
            return
        if year is None:
            raise CommandError("show needs a YEAR, e.g. `yiwang calendar show 2026`")
        self._show(year)

    def _show(self, year: int) -> None:
        published = CalendarYear.objects.filter(year=year).first()
        if published:
            entered = localtime(published.entered_at)
            self.stdout.write(f"{year} 年（来源：{published.source}，录入于 {entered:%Y-%m-%d}）")
        else:
            self.stdout.write(f"{year} 年尚未公布：期限按周一至周五工作日暂定计算")
        for day in CalendarDay.objects.filter(date__year=year).order_by("date"):
            weekday = WEEKDAYS[day.date.weekday()]
            self.stdout.write(f"{day.date} 周{weekday} {day.get_kind_display()} {day.name}")
