from django.contrib import admin

from yiwang.core.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
