from django.contrib import admin

from yiwang.regions.models import Organization, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "kind", "dataset", "generated")
    list_filter = ("level", "kind", "dataset")
    search_fields = ("code", "name")
    readonly_fields = ("code", "level", "parent", "kind", "dataset", "generated")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "region", "kind", "sector")
    list_filter = ("kind", "sector", "region__level")
    search_fields = ("name", "uscc")
    autocomplete_fields = ("region", "parent")
