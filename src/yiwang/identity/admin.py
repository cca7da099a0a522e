"""Back-office views of identity. Accounts, roles and clients change only through services
(workbench pages and commands), so these screens read; identifiers appear masked only."""

from django.contrib import admin

from yiwang.core.admin import WrittenByServicesAdmin
from yiwang.identity.models import (
    Account,
    Delegation,
    OrganizationAccount,
    OrganizationMember,
    RelyingParty,
    RoleAssignment,
    SessionRecord,
)


class ReadOnlyAdmin(WrittenByServicesAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("username", "name", "kind", "id_number_masked", "phone_masked", "level")
    list_filter = ("kind", "level", "is_active")
    search_fields = ("username", "name")
    fields = (
        "uid",
        "kind",
        "username",
        "name",
        "id_number_masked",
        "phone_masked",
        "level",
        "level_method",
        "level_verified_at",
        "is_active",
        "date_joined",
        "last_login",
    )


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("account", "role", "region", "agency", "granted_at", "revoked_at")
    list_filter = ("role",)
    list_select_related = ("account", "region", "agency")


@admin.register(OrganizationAccount)
class OrganizationAccountAdmin(ReadOnlyAdmin):
    list_display = ("name", "uscc", "created_at")
    search_fields = ("name", "uscc")


@admin.register(OrganizationMember)
class OrganizationMemberAdmin(ReadOnlyAdmin):
    list_display = ("organization", "account", "role", "valid_until", "revoked_at")
    list_filter = ("role",)


@admin.register(Delegation)
class DelegationAdmin(ReadOnlyAdmin):
    list_display = ("grantor", "grantee", "valid_from", "valid_until", "revoked_at")


@admin.register(SessionRecord)
class SessionRecordAdmin(ReadOnlyAdmin):
    list_display = ("account", "address", "created_at", "last_seen_at", "ended_at", "end_reason")
    list_filter = ("end_reason",)
    fields = ("account", "address", "user_agent", "created_at", "last_seen_at", "ended_at")


@admin.register(RelyingParty)
class RelyingPartyAdmin(ReadOnlyAdmin):
    list_display = ("application", "agency", "may_read_id_number", "backchannel_logout_uri")
