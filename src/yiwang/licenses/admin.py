"""Back-office screens: the license catalog is edited here; seals are made here through the
制章 service and never edited; licenses and seal uses are read-only records."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone

from yiwang.core.admin import WrittenByServicesAdmin
from yiwang.core.errors import DomainError
from yiwang.licenses import services
from yiwang.licenses.models import License, LicenseMaterial, LicenseType, Seal, SealUse


class LicenseMaterialInline(admin.TabularInline):
    model = LicenseMaterial
    extra = 0
    autocomplete_fields = ("catalog_item",)


@admin.register(LicenseType)
class LicenseTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "holder_kind", "validity_kind", "validity_years")
    list_filter = ("holder_kind", "validity_kind")
    search_fields = ("=code", "name")
    inlines = (LicenseMaterialInline,)

    def get_readonly_fields(self, request, obj=None):
        # The code is part of every identifier and signature already issued under it.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or not obj.licenses.exists()


@admin.register(LicenseMaterial)
class LicenseMaterialAdmin(admin.ModelAdmin):
    list_display = ("material_name", "catalog_item", "license_type")
    list_select_related = ("catalog_item", "license_type")
    search_fields = ("material_name", "catalog_item__name", "=catalog_item__basic_code")
    autocomplete_fields = ("catalog_item", "license_type")


class SealForm(forms.ModelForm):
    """The terms of a new seal, checked as the 制章 service checks them."""

    class Meta:
        model = Seal
        fields = ("agency", "name", "valid_from", "valid_until")

    def clean(self):
        cleaned = super().clean()
        agency, name = cleaned.get("agency"), cleaned.get("name")
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if agency and name and valid_from and valid_until:
            try:
                services.check_seal_terms(
                    agency=agency, name=name, valid_from=valid_from, valid_until=valid_until
                )
            except DomainError as error:
                raise ValidationError({e.field or None: e.message for e in error.errors}) from error
        return cleaned


@admin.register(Seal)
class SealAdmin(admin.ModelAdmin):
    """Adding a seal runs 制章 (key pair, sealed private key, specimen). A seal never changes
    afterwards: its keys are read-only and the private key is not shown at all."""

    form = SealForm
    list_display = ("name", "agency", "status", "valid_from", "valid_until", "revoked_at")
    list_filter = ("status",)
    list_select_related = ("agency",)
    search_fields = ("name", "agency__name", "=agency__uscc", "=key_id")
    autocomplete_fields = ("agency",)
    shown_fields = (
        "agency",
        "name",
        "key_id",
        "public_key_pem",
        "image",
        "valid_from",
        "valid_until",
        "status",
        "created_at",
        "revoked_at",
        "revoke_reason",
    )

    def get_fields(self, request, obj=None):
        return self.shown_fields if obj is not None else SealForm.Meta.fields

    def get_readonly_fields(self, request, obj=None):
        return self.shown_fields if obj is not None else ()

    def get_changeform_initial_data(self, request):
        return {"valid_from": timezone.now()}

    def save_model(self, request, obj, form, change):
        made = services.make_seal(
            agency=obj.agency,
            name=obj.name,
            actor=request.user.get_username(),
            valid_from=obj.valid_from,
            valid_until=obj.valid_until,
        )
        obj.pk = made.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SealUse)
class SealUseAdmin(WrittenByServicesAdmin):
    list_display = ("used_at", "seal", "actor", "document_kind", "document_reference")
    list_select_related = ("seal", "seal__agency")
    search_fields = ("=document_reference",)
    readonly_fields = (
        "seal",
        "actor",
        "document_kind",
        "document_reference",
        "digest",
        "used_at",
    )
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(License)
class LicenseAdmin(WrittenByServicesAdmin):
    """Millions of rows: found by exact identifier, counted lazily, joined in one query."""

    list_display = (
        "identifier",
        "license_type",
        "holder_name",
        "holder_id_masked",
        "issuer",
        "issued_on",
        "status",
    )
    list_select_related = ("license_type", "issuer")
    search_fields = ("=identifier",)
    show_full_result_count = False
    fields = (
        "identifier",
        "license_type",
        "holder_kind",
        "holder_name",
        "holder_id_masked",
        "issuer",
        "data",
        "issued_on",
        "valid_from",
        "valid_until",
        "version",
        "status",
        "status_changed_at",
        "status_reason",
        "seal",
        "signed_at",
        "digest",
        "signature",
    )
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False
