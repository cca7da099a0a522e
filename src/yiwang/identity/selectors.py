"""Reads of identity: roles and their scopes, sessions, organizations one may act for, and
delegations — each one answering only about the account that asks."""

from __future__ import annotations

import secrets

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone
from oauth2_provider.models import get_application_model

from yiwang.catalog.constants import RealNameLevel
from yiwang.catalog.models import CatalogItem
from yiwang.core.keys import Sealer
from yiwang.core.sms import PHONE_PURPOSE
from yiwang.identity.constants import AccountKind, MemberRole
from yiwang.identity.models import (
    Account,
    Delegation,
    OrganizationAccount,
    OrganizationMember,
    RoleAssignment,
    SessionRecord,
)
from yiwang.registries.constants import ID_NUMBER_PURPOSE


def roles_of(account: Account) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(account=account, revoked_at__isnull=True).select_related(
        "region", "agency"
    )


def has_role(
    account: Account, role: str, *, region_code: str = "", agency_id: int | None = None
) -> bool:
    """Does the account hold the role for this work: in its region (or one below it) and, when
    the role is limited to one agency, for that agency? Unnamed scopes are not checked."""
    if not account.is_authenticated or not account.is_active:
        return False
    return any(
        covers(assignment, region_code, agency_id)
        for assignment in roles_of(account).filter(role=role)
    )


def covers(assignment: RoleAssignment, region_code: str = "", agency_id: int | None = None) -> bool:
    """A role scoped to a region reaches every region below it (codes share its prefix); one
    scoped to an agency reaches that agency's work only."""
    scope = assignment.region.prefix
    in_region = not region_code or region_code.startswith(scope)
    for_agency = agency_id is None or assignment.agency_id in (None, agency_id)
    return in_region and for_agency


def active_sessions(account: Account) -> QuerySet[SessionRecord]:
    return SessionRecord.objects.filter(account=account, ended_at__isnull=True).order_by(
        "-last_seen_at"
    )


def _in_force(prefix: str = "") -> Q:
    now = timezone.now()
    return Q(**{f"{prefix}revoked_at__isnull": True}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gt": now})
    )


def memberships(account: Account) -> QuerySet[OrganizationMember]:
    """The organizations this person may act for now, and as what."""
    return (
        OrganizationMember.objects.filter(_in_force(), account=account)
        .select_related("organization")
        .order_by("organization__name")
    )


def may_act_for_organization(account: Account, uscc: str) -> bool:
    return memberships(account).filter(organization__uscc=uscc).exists()


def members_of(organization: OrganizationAccount) -> QuerySet[OrganizationMember]:
    return organization.members.select_related("account").order_by("role", "valid_from")


def is_representative(account: Account, organization: OrganizationAccount) -> bool:
    return (
        memberships(account)
        .filter(organization=organization, role=MemberRole.LEGAL_REPRESENTATIVE)
        .exists()
    )


def delegations_given(account: Account) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(grantor=account)
        .select_related("grantee")
        .prefetch_related("items")
        .order_by("-created_at")
    )


def delegations_received(account: Account) -> QuerySet[Delegation]:
    return (
        Delegation.objects.filter(grantee=account)
        .select_related("grantor")
        .prefetch_related("items")
        .order_by("-created_at")
    )


def may_act_for_person(agent: Account, principal: Account, basic_code: str) -> bool:
    """Does a delegation in force let the agent apply for this item on the principal's behalf?"""
    now = timezone.now()
    return Delegation.objects.filter(
        grantor=principal,
        grantee=agent,
        revoked_at__isnull=True,
        valid_from__lte=now,
        valid_until__gt=now,
        items__basic_code=basic_code,
    ).exists()


def staff_accounts(query: str = "") -> QuerySet[Account]:
    """Staff accounts (by login name or name, when asked) with the roles they hold now."""
    in_force = RoleAssignment.objects.filter(revoked_at__isnull=True).select_related(
        "region", "agency"
    )
    accounts = Account.objects.filter(kind=AccountKind.STAFF)
    if query:
        accounts = accounts.filter(Q(username__icontains=query) | Q(name__icontains=query))
    return accounts.prefetch_related(
        Prefetch("roles", queryset=in_force, to_attr="roles_in_force")
    ).order_by("username")


def staff_account(account_id: int) -> Account | None:
    return Account.objects.filter(kind=AccountKind.STAFF, pk=account_id).first()


def role_history(account: Account) -> QuerySet[RoleAssignment]:
    """Every role the account was granted, in force first, then by grant time."""
    return (
        RoleAssignment.objects.filter(account=account)
        .select_related("region", "agency", "granted_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "-granted_at")
    )


def level_shortfall(account: Account, item: CatalogItem) -> str:
    """Why this account may not yet apply online for the item; empty when its level suffices."""
    if account.level >= item.min_real_name_level:
        return ""
    needed = RealNameLevel(item.min_real_name_level).label
    return f"办理“{item.name}”需要{needed}，请先在“我的账号”中完成认证"


def client_name(client_id: str) -> str:
    """The registered name of a single sign-on client, for pages that say who is asking."""
    application = get_application_model().objects.filter(client_id=client_id).first()
    return application.name if application else ""


def contact_phone(account: Account) -> str:
    """The account's phone, opened for sending it a message (never for display)."""
    return Sealer(PHONE_PURPOSE).open(account.phone_sealed) if account.phone_sealed else ""


def id_number_matches_tail(account: Account, tail: str) -> bool:
    """Do these end the account's ID number? A lookup check; the number itself stays sealed."""
    if not account.id_number_sealed or len(tail) < 6:
        return False
    number = Sealer(ID_NUMBER_PURPOSE).open(account.id_number_sealed)
    return secrets.compare_digest(number[-len(tail) :], tail.upper())
