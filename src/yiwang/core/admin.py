from django.contrib import admin

from yiwang.core.models import Event


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
