"""Back-office screens of the catalog. Every write goes through catalog.services."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html_join

from yiwang.catalog import selectors, services
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import (
    CatalogItem,
    CatalogItemChange,
    CatalogScope,
    PendingChange,
    ServiceItem,
    ServiceItemVersion,
    Synonym,
)
from yiwang.core.admin import WrittenByServicesAdmin
from yiwang.core.errors import DomainError


def _run(request, action, success: str) -> bool:
    """Call a service; a refusal is shown to the admin instead of a 500."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.detail)
        return False
    messages.success(request, success)
    return True


def _run_each(request, queryset, action, done: str) -> None:
    """An admin action over the selected rows, one service call each: `action(actor, row)`."""
    for row in queryset:
        _run(request, lambda row=row: action(request.user, row), f"{row} {done}")


class ReadOnlyInline(admin.TabularInline):
    """History shown beside a record; it is written by the services only."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CatalogItemChangeInline(ReadOnlyInline):
    model = CatalogItemChange
    fields = ("revision", "changed_at", "changed_by", "diff")


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = ("basic_code", "name", "item_type", "sector", "revision", "popularity")
    list_filter = ("item_type", "sector")
    search_fields = ("basic_code", "name")
    inlines = [CatalogItemChangeInline]
    fields = ("basic_code", "main_item", *services.CATALOG_FIELDS, "revision")
    readonly_fields = ("revision", "main_item")

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "basic_code") if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = {
            key: form.cleaned_data[key]
            for key in services.CATALOG_FIELDS
            if key in form.cleaned_data
        }
        if change:
            stored = CatalogItem.objects.get(pk=obj.pk)
            _run(
                request,
                lambda: services.change_catalog_item(actor=request.user, item=stored, **data),
                "已保存，变更已推送到各实施清单",
            )
        else:
            _run(
                request,
                lambda: services.create_catalog_item(
                    actor=request.user, basic_code=form.cleaned_data["basic_code"], **data
                ),
                "已新增",
            )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(ReadOnlyInline):
    model = ServiceItemVersion
    fields = ("number", "status", "change_note", "created_at", "published_at")
    show_change_link = True


class PendingChangeInline(ReadOnlyInline):
    model = PendingChange
    fields = ("change", "status", "adopted_in")


@admin.register(ServiceItem)
class ServiceItemAdmin(WrittenByServicesAdmin):
    list_display = ("implementation_code", "catalog_item", "agency", "region")
    list_filter = ("region__level", "catalog_item__sector")
    search_fields = ("implementation_code", "catalog_item__name", "agency__name")
    list_select_related = ("catalog_item", "agency", "region")
    readonly_fields = ("implementation_code", "catalog_item", "agency", "region")
    inlines = [VersionInline, PendingChangeInline]
    actions = ["start_revision"]

    def get_queryset(self, request):
        return selectors.service_items_for(request.user)

    @admin.action(description="新建修订草稿")
    def start_revision(self, request, queryset):
        _run_each(
            request,
            queryset,
            lambda actor, item: services.start_revision(actor=actor, service_item=item),
            "已新建草稿",
        )


class VersionForm(forms.ModelForm):
    class Meta:
        model = ServiceItemVersion
        fields = ("guide", "change_note")


@admin.register(ServiceItemVersion)
class ServiceItemVersionAdmin(WrittenByServicesAdmin):
    form = VersionForm
    list_display = ("service_item", "number", "status", "published_at")
    list_filter = ("status",)
    search_fields = ("service_item__implementation_code", "service_item__catalog_item__name")
    list_select_related = ("service_item__catalog_item", "service_item__agency")
    readonly_fields = ("service_item", "number", "status", "elements", "check_report", "changes")
    actions = ["submit", "publish"]

    @admin.display(description="与上一版相比的变化")
    def changes(self, obj):
        rows = selectors.version_changes(selectors.previous_version(obj), obj)
        return (
            format_html_join(
                "\n", "<div><b>{}</b>：{} → {}</div>", ((c.label, c.old, c.new) for c in rows)
            )
            or "无"
        )

    def get_queryset(self, request):
        return selectors.versions_for(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj and obj.status != VersionStatus.DRAFT:
            return (*self.readonly_fields, "guide", "change_note")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        stored = ServiceItemVersion.objects.get(pk=obj.pk)
        _run(
            request,
            lambda: services.edit_draft(
                actor=request.user,
                version=stored,
                guide=form.cleaned_data["guide"],
                change_note=form.cleaned_data["change_note"],
            ),
            "草稿已保存",
        )

    @admin.action(description="提交审核（运行自动检查）")
    def submit(self, request, queryset):
        _run_each(
            request,
            queryset,
            lambda actor, v: services.submit_version(actor=actor, version=v),
            "已提交",
        )

    @admin.action(description="审核发布")
    def publish(self, request, queryset):
        _run_each(
            request,
            queryset,
            lambda actor, v: services.publish_version(actor=actor, version=v),
            "已发布",
        )


@admin.register(Synonym)
class SynonymAdmin(admin.ModelAdmin):
    list_display = ("term", "targets", "updated_at")
    search_fields = ("term",)

    def save_model(self, request, obj, form, change):
        _run(
            request,
            lambda: services.save_synonym(actor=request.user, term=obj.term, targets=obj.targets),
            "已保存并重建相关事项的搜索词",
        )


@admin.register(CatalogScope)
class CatalogScopeAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "agency")
    list_filter = ("role",)
    autocomplete_fields = ("region", "agency")
