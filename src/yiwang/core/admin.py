from django.contrib import admin

from yiwang.core.models import CalendarDay, CalendarYear, Event, StoredFile


class WrittenByServicesAdmin(admin.ModelAdmin):
    """Rows are created and removed by the services (API, imports, commands), not by a screen."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(WrittenByServicesAdmin):
    list_display = ("id", "topic", "created_at", "delivered_at", "attempts")
    list_filter = ("topic",)
    readonly_fields = (
        "topic",
        "payload",
        "created_at",
        "available_at",
        "delivered_at",
        "attempts",
        "last_error",
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CalendarYearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request, model_admin):
        return [(day.year, f"{day.year} 年") for day in CalendarDay.objects.dates("date", "year")]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(date__year=int(value)) if value and value.isdigit() else queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Editable: the calendar is maintained here and by `enter_year`, which replaces a whole
    year at once and is the safer path. A saved row takes effect at once (workdays cache)."""

    list_display = ("date", "weekday", "kind", "name", "source")
    list_filter = (CalendarYearFilter, "kind")
    search_fields = ("name",)
    ordering = ("-date",)

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return "周" + "一二三四五六日"[obj.date.weekday()]


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """A year listed here is published: deadlines running into it are no longer provisional."""

    list_display = ("year", "source", "entered_at")


@admin.register(StoredFile)
class StoredFileAdmin(WrittenByServicesAdmin):
    list_display = ("sm3", "content_type", "size", "created_at")
    list_filter = ("content_type",)
    search_fields = ("=sm3",)
    readonly_fields = ("sm3", "size", "content_type", "extension", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False
