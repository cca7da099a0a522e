from django.contrib import admin

from yiwang.core.admin import WrittenByServicesAdmin
from yiwang.registries.models import CreditListing, LegalPersonRecord, PersonRecord


@admin.register(PersonRecord)
class PersonRecordAdmin(WrittenByServicesAdmin):
    """Only the masked number is ever shown; the sealed one and its index are not displayed."""

    list_display = ("name", "id_number_masked", "sex", "birth_date", "household_region", "status")
    list_filter = ("status", "sex", "generated")
    search_fields = ("name",)
    fields = (
        "name",
        "id_number_masked",
        "sex",
        "birth_date",
        "household_region",
        "status",
        "generated",
    )
    readonly_fields = fields


@admin.register(LegalPersonRecord)
class LegalPersonRecordAdmin(WrittenByServicesAdmin):
    list_display = ("name", "uscc", "kind", "representative_name", "registered_region", "status")
    list_filter = ("kind", "status", "generated")
    search_fields = ("name", "uscc")
    fields = (
        "name",
        "uscc",
        "kind",
        "representative_name",
        "registered_region",
        "status",
        "generated",
    )
    readonly_fields = fields


@admin.register(CreditListing)
class CreditListingAdmin(admin.ModelAdmin):
    list_display = ("subject_kind", "credit_list", "reason", "authority", "listed_on", "expires_on")
    list_filter = ("credit_list", "subject_kind")
    readonly_fields = ("subject_key",)
