"""Demo people of the embedded profile: two citizens (one a legal representative), the staff
roles of the catalog's demo accounts plus the 三员, and their authenticator secrets.

Demo staff share one published TOTP secret so that `make run` can print it; production has no
demo data (the command refuses) and every real secret is random and sealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyotp
from django.db import transaction
from django.utils import timezone

from yiwang.catalog.demo import DEMO_PASSWORD
from yiwang.core.identifiers import make_id_number, make_uscc
from yiwang.core.keys import Sealer
from yiwang.identity import services
from yiwang.identity.constants import TOTP_PURPOSE, AccountKind, Role
from yiwang.identity.models import Account, SecondFactor
from yiwang.regions.models import Organization, Region
from yiwang.registries import selectors as registries
from yiwang.registries import services as registry_services
from yiwang.registries.constants import ID_NUMBER_PURPOSE, OrganizationKind

DEMO_TOTP_SECRET = "YIWANGDEMOTOTPKEYFORSTAFFONLY234"
FURONG = "430102000000"
PROVINCE = "430000000000"
SYSTEM = services.Actor(None, "127.0.0.1")


@dataclass(frozen=True)
class DemoPerson:
    name: str
    id_number: str
    phone: str


DEMO_PEOPLE = [
    DemoPerson(
        "张丽华",
        make_id_number(division6="430102", birth=date(1996, 6, 18), sequence=7, female=True),
        "13900000001",
    ),
    DemoPerson(
        "李建国",
        make_id_number(division6="430102", birth=date(1998, 11, 2), sequence=9, female=False),
        "13900000002",
    ),
]
DEMO_COMPANY_USCC = make_uscc(authority="9", kind="1", division6="430102", organization8="YWDEMA01")
# username, name, role, region (, agency name when the role is one agency's)
DEMO_ROLES = [
    ("admin", "省级系统管理员", Role.SYSTEM_ADMIN, PROVINCE),
    ("changsha", "长沙市审核员", Role.REVIEWER, "430100000000"),
    ("furong-scj", "芙蓉区事项管理员", Role.CATALOG_ADMIN, FURONG),
    ("security", "省级安全管理员", Role.SECURITY_ADMIN, PROVINCE),
    ("auditor", "省级审计管理员", Role.AUDIT_ADMIN, PROVINCE),
    ("window", "芙蓉区综合窗口", Role.WINDOW_CLERK, FURONG),
    ("approver", "芙蓉区审批人员", Role.APPROVER, FURONG),
    ("furong-mz", "芙蓉区民政局审核员", Role.REVIEWER, FURONG, "芙蓉区民政局"),
    ("supervisor", "长沙市效能监督员", Role.SUPERVISOR, "430100000000"),
]


def _person(person: DemoPerson) -> Account:
    index = Sealer(ID_NUMBER_PURPOSE).index(person.id_number)
    account = Account.objects.filter(kind=AccountKind.PERSON, id_number_index=index).first()
    if account:
        return account
    if registries.person_by_id_number(person.id_number) is None:
        registry_services.register_person(
            name=person.name, id_number=person.id_number, household_region_code=FURONG
        )
    account = Account(
        kind=AccountKind.PERSON, username=services.person_username(), name=person.name
    )
    services.seal_identifiers(account, id_number=person.id_number, phone=person.phone)
    account.set_password(DEMO_PASSWORD)
    account.save()
    services.verify_real_name(SYSTEM, account)
    return account


def _company(representative: DemoPerson) -> None:
    if registries.legal_person_by_uscc(DEMO_COMPANY_USCC) is None:
        registry_services.register_legal_person(
            name="长沙一网演示餐饮有限公司",
            uscc=DEMO_COMPANY_USCC,
            kind=OrganizationKind.ENTERPRISE,
            representative_name=representative.name,
            representative_id_number=representative.id_number,
            registered_region_code=FURONG,
        )


def _staff(username: str, name: str) -> Account:
    account = Account.objects.filter(username=username).first()
    if account is None:
        account = Account.objects.create_user(username, password=DEMO_PASSWORD, is_staff=True)
    if not account.name:
        account.name = name
        account.save(update_fields=["name"])
    SecondFactor.objects.get_or_create(
        account=account,
        defaults={
            "secret_sealed": Sealer(TOTP_PURPOSE).seal(DEMO_TOTP_SECRET),
            "confirmed_at": timezone.now(),
        },
    )
    return account


def _role(account: Account, role: str, region_code: str, agency_name: str = "") -> None:
    if account.roles.filter(role=role, revoked_at__isnull=True).exists():
        return
    region = Region.objects.get(code=region_code)
    agency = Organization.objects.get(region=region, name=agency_name) if agency_name else None
    services.assign_role(SYSTEM, account, role, region=region, agency=agency)


@transaction.atomic
def load_identity_demo() -> int:
    """Idempotent: a second run finds everything and adds nothing. Returns accounts made."""
    before = Account.objects.count()
    for person in DEMO_PEOPLE:
        _person(person)
    _company(DEMO_PEOPLE[0])
    for username, name, role, region_code, *agency in DEMO_ROLES:
        _role(_staff(username, name), role, region_code, *agency)
    return Account.objects.count() - before


def current_demo_code() -> str:
    return pyotp.TOTP(DEMO_TOTP_SECRET).now()
