"""Back-office screens: the license catalog is edited here; seals are made here through the
制章 service and never edited; issuance rules are edited through rules.save_issuance_rule
(checked and audited); licenses and seal uses are read-only records."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from yiwang.core.admin import WrittenByServicesAdmin
from yiwang.core.errors import DomainError
from yiwang.licenses import identifiers, rules, services, verification
from yiwang.licenses.models import (
    ForeignPlatform,
    ForeignSeal,
    IssuanceRule,
    License,
    LicenseMaterial,
    LicenseType,
    LifecycleRecord,
    Seal,
    SealUse,
    TrustListKey,
)


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


def _by_field(error: DomainError, fields: tuple[str, ...]) -> dict:
    """A service's refusal as a form's errors: each reason beside its field, others on top."""
    errors: dict = {}
    for fault in error.errors:
        errors.setdefault(fault.field if fault.field in fields else None, []).append(fault.message)
    return errors


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
                raise ValidationError(_by_field(error, SealForm.Meta.fields)) from error
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


class FoundByIdentifier:
    """Searched by one whole license identifier, matched on its canonical form through the
    unique index. (search_fields' "=" compares case-insensitively, which PostgreSQL answers
    by reading all of the millions of rows.) Anything not an identifier finds nothing."""

    identifier_path = "identifier"
    search_fields = ("identifier",)  # shows the search box; the search itself is below
    search_help_text = "输入完整的证照标识（大小写均可）"

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            canonical = str(identifiers.parse_identifier(search_term))
        except DomainError:
            return queryset.none(), False
        return queryset.filter(**{self.identifier_path: canonical}), False


@admin.register(License)
class LicenseAdmin(FoundByIdentifier, WrittenByServicesAdmin):
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


# --- 互认共享: other platforms whose licenses verify here (licenses.verification) -------------


def _https_field(field, **kwargs):
    """A model field's form field; an address typed without a scheme is taken as https, the
    only scheme fetch_trust_list accepts."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class ForeignPlatformForm(forms.ModelForm):
    """A new platform is recognized by fetching its trust list now, signed by the key whose id
    the platform gave out of band; a refused list (bad document or signature, a seal or
    issuer of ours, a seal another platform lists) refuses the form."""

    class Meta:
        model = ForeignPlatform
        fields = ("name", "trust_list_url", "signer_key_id", "active")
        # The form the admin derives for the change page skips the admin's field hooks.
        formfield_callback = staticmethod(_https_field)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None and cleaned.get("name"):
            try:
                if not cleaned.get("trust_list_url"):
                    raise DomainError.of("trust_list_url", "请填写对方平台信任列表的网址")
                key_id = verification.signer_key_id(cleaned.get("signer_key_id", ""))
                document = verification.fetch_trust_list(cleaned["trust_list_url"])
                verification.signed_trust_list(document, key_id=key_id)
            except DomainError as error:
                raise ValidationError(_form_errors(error)) from error
            cleaned["signer_key_id"], cleaned["document"] = key_id, document
        return cleaned


_FORM_FIELDS = {
    "url": "trust_list_url",
    "trust_list_url": "trust_list_url",
    "signer_key_id": "signer_key_id",
}


def _form_errors(error: DomainError) -> dict:
    """The refusal on the field it concerns: the address, the key id, or the form as a whole."""
    errors: dict = {}
    for refusal in error.errors:
        errors.setdefault(_FORM_FIELDS.get(refusal.field, NON_FIELD_ERRORS), []).append(
            refusal.message
        )
    return errors


class ForeignSealInline(admin.TabularInline):
    model = ForeignSeal
    extra = 0
    can_delete = False
    fields = (
        "issuer_name",
        "issuer_uscc",
        "seal_name",
        "key_id",
        "valid_from",
        "valid_until",
        "revoked_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ForeignPlatform)
class ForeignPlatformAdmin(admin.ModelAdmin):
    """Platforms are added by importing their trust list; its seals are never edited by hand.
    「刷新信任列表」 fetches the list again; clearing 信任中 stops recognizing the platform."""

    form = ForeignPlatformForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # the add page's form
    list_display = ("name", "trust_list_url", "signer_key_id", "active", "refreshed_at")
    list_filter = ("active",)
    search_fields = ("name",)
    inlines = (ForeignSealInline,)
    actions = ("refresh_trust_lists",)

    def get_readonly_fields(self, request, obj=None):
        fixed = ("name", "trust_list_url", "signer_key_id", "trusted_since", "refreshed_at")
        return fixed if obj else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        imported = verification.import_trust_list(
            name=obj.name,
            document=form.cleaned_data["document"],
            actor=request.user.get_username(),
            url=obj.trust_list_url,
            key_id=form.cleaned_data["signer_key_id"],
        )
        obj.pk = imported.platform.pk
        if not obj.active:
            ForeignPlatform.objects.filter(pk=obj.pk).update(active=False)
        obj.refresh_from_db()

    @admin.action(description="刷新信任列表")
    def refresh_trust_lists(self, request, queryset):
        for platform in queryset:
            try:
                done = verification.refresh_platform(platform, actor=request.user.get_username())
            except DomainError as error:
                self.message_user(request, f"{platform.name}：{error.detail}", level="error")
            else:
                self.message_user(request, f"{platform.name}：已更新，共 {done.seals} 枚印章")


@admin.register(ForeignSeal)
class ForeignSealAdmin(WrittenByServicesAdmin):
    list_display = ("issuer_name", "seal_name", "platform", "valid_until", "revoked_at")
    list_select_related = ("platform",)
    search_fields = ("issuer_name", "=issuer_uscc", "=key_id")
    readonly_fields = (
        "platform",
        "key_id",
        "issuer_uscc",
        "issuer_name",
        "seal_name",
        "public_key_pem",
        "valid_from",
        "valid_until",
        "revoked_at",
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class IssuanceRuleForm(forms.ModelForm):
    """A rule's terms, checked as the service checks them before it saves (rules.check_rule),
    so the screen names every fault beside its field."""

    class Meta:
        model = IssuanceRule
        fields = rules.RULE_FIELDS

    def terms(self) -> rules.RuleTerms:
        return rules.RuleTerms(**{name: self.cleaned_data[name] for name in rules.RULE_FIELDS})

    def clean(self):
        cleaned = super().clean()
        if all(name in cleaned for name in rules.RULE_FIELDS):
            try:
                rules.check_rule(self.terms(), rule=self.instance if self.instance.pk else None)
            except DomainError as error:
                raise ValidationError(_by_field(error, rules.RULE_FIELDS)) from error
        return cleaned


@admin.register(TrustListKey)
class TrustListKeyAdmin(WrittenByServicesAdmin):
    """The key id to give platforms that recognize us; made and rotated by `licenses_trust
    key`, its private key never shown."""

    list_display = ("key_id", "current", "created_at")
    fields = readonly_fields = ("key_id", "public_key_pem", "current", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IssuanceRule)
class IssuanceRuleAdmin(admin.ModelAdmin):
    """Which license a completed case of an item issues. Saved through rules.save_issuance_rule
    (checked against the type, the seals of the implementing agencies; audited); never
    deleted here, so no rule disappears without a record."""

    form = IssuanceRuleForm
    list_display = ("catalog_item", "license_type", "seal_name", "remind_days_before")
    list_select_related = ("catalog_item", "license_type")
    search_fields = ("catalog_item__name", "=catalog_item__basic_code", "license_type__name")
    autocomplete_fields = ("catalog_item", "license_type", "renewal_item")

    def save_model(self, request, obj, form, change):
        saved = rules.save_issuance_rule(
            actor=request.user.get_username(),
            terms=form.terms(),
            rule=obj if change else None,
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LifecycleRecord)
class LifecycleRecordAdmin(FoundByIdentifier, WrittenByServicesAdmin):
    """签发、变更、延续、注销、撤销: signed steps, append-only."""

    list_display = ("occurred_at", "license", "action", "actor", "reason")
    list_filter = ("action",)
    list_select_related = ("license",)
    identifier_path = "license__identifier"
    show_full_result_count = False
    readonly_fields = (
        "license",
        "action",
        "actor",
        "reason",
        "occurred_at",
        "seal",
        "digest",
        "signature",
    )

    def has_change_permission(self, request, obj=None) -> bool:
        return False
