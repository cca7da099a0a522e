import pyotp
import pytest
from django.utils import timezone

from yiwang.core.audit import AuditRecord
from yiwang.core.errors import DomainError
from yiwang.core.keys import Sealer
from yiwang.identity import selectors, services
from yiwang.identity.constants import TOTP_PURPOSE, Role
from yiwang.identity.models import Account, SecondFactor
from yiwang.regions.models import Region
from yiwang.regions.services import DivisionRow, import_divisions

pytestmark = pytest.mark.django_db
SYSTEM = services.Actor(None, "127.0.0.1")


@pytest.fixture
def security_admin(world):
    admin = Account.objects.create_user("sec-admin", password="x")
    services.assign_role(SYSTEM, admin, Role.SECURITY_ADMIN, region=world.province)
    return services.Actor(admin, "10.1.1.1")


def _staff(security_admin, username: str) -> Account:
    return services.create_staff(
        security_admin, username=username, name="测试", password="Staff-pass-2026"
    )


def test_the_three_separated_roles_never_share_an_account(world, security_admin):
    staff = _staff(security_admin, "ops")
    services.assign_role(security_admin, staff, Role.SYSTEM_ADMIN, region=world.province)
    for role in (Role.SECURITY_ADMIN, Role.AUDIT_ADMIN):
        with pytest.raises(DomainError, match="三员分立"):
            services.assign_role(security_admin, staff, role, region=world.province)
    assert {a.role for a in selectors.roles_of(staff)} == {Role.SYSTEM_ADMIN}
    # ordinary roles combine freely with one of the three
    services.assign_role(security_admin, staff, Role.REVIEWER, region=world.county)


def test_a_revoked_separated_role_frees_the_account_for_another(world, security_admin):
    staff = _staff(security_admin, "aud")
    assignment = services.assign_role(
        security_admin, staff, Role.AUDIT_ADMIN, region=world.province
    )
    services.revoke_role(security_admin, assignment)
    services.assign_role(security_admin, staff, Role.SYSTEM_ADMIN, region=world.province)
    assert AuditRecord.objects.filter(action="role.revoked").count() == 1


def test_only_a_security_admin_grants_roles_and_never_to_self(world, security_admin):
    reviewer = _staff(security_admin, "rev")
    services.assign_role(security_admin, reviewer, Role.REVIEWER, region=world.county)
    other = _staff(security_admin, "other")
    with pytest.raises(DomainError, match="安全管理员"):
        services.assign_role(services.Actor(reviewer), other, Role.APPROVER, region=world.county)
    with pytest.raises(DomainError, match="自己"):
        services.assign_role(
            security_admin, security_admin.account, Role.AUDIT_ADMIN, region=world.province
        )


def test_person_accounts_hold_no_staff_roles(world, security_admin, alice):
    with pytest.raises(DomainError, match="工作人员"):
        services.assign_role(security_admin, alice.account, Role.REVIEWER, region=world.county)


def test_a_county_role_covers_its_county_only(world, security_admin):
    staff = _staff(security_admin, "county")
    services.assign_role(security_admin, staff, Role.REVIEWER, region=world.county)
    assert selectors.has_role(staff, Role.REVIEWER, region_code=world.county.code)
    assert selectors.has_role(staff, Role.REVIEWER, region_code="430102001000")
    assert not selectors.has_role(staff, Role.REVIEWER, region_code=world.other_county.code)
    assert not selectors.has_role(staff, Role.REVIEWER, region_code=world.city.code)


def test_password_policy_applies_to_staff(security_admin):
    with pytest.raises(DomainError) as refused:
        services.create_staff(security_admin, username="weak", name="弱", password="abcdefghij")
    assert refused.value.errors[0].field == "password"


def _secret(account) -> str:
    return Sealer(TOTP_PURPOSE).open(SecondFactor.objects.get(account=account).secret_sealed)


def test_totp_enrollment_then_each_code_once(security_admin):
    staff = _staff(security_admin, "totp")
    uri = services.start_enrollment(staff)
    assert uri.startswith("otpauth://totp/")
    assert not services.has_confirmed_second_factor(staff)
    code = pyotp.TOTP(_secret(staff)).at(timezone.now())
    services.check_second_factor(staff, code, address="x")
    assert services.has_confirmed_second_factor(staff)
    with pytest.raises(DomainError, match="已使用"):
        services.check_second_factor(staff, code, address="x")
    with pytest.raises(DomainError):
        services.check_second_factor(staff, "000000", address="x")
    assert AuditRecord.objects.filter(action="mfa.enrolled").count() == 1
    assert AuditRecord.objects.filter(action="login.failed").count() == 2


def test_an_agency_role_covers_that_agency_only(world, security_admin):
    staff = _staff(security_admin, "clerk")
    services.assign_role(
        security_admin, staff, Role.WINDOW_CLERK, region=world.county, agency=world.county_agency
    )
    assert selectors.has_role(staff, Role.WINDOW_CLERK, agency_id=world.county_agency.pk)
    assert not selectors.has_role(staff, Role.WINDOW_CLERK, agency_id=world.city_agency.pk)
    with pytest.raises(DomainError, match="不在所选行政区划"):
        services.assign_role(
            security_admin, staff, Role.REVIEWER, region=world.county, agency=world.city_agency
        )


def test_a_city_role_does_not_reach_a_neighbour_whose_code_shares_digits(world, security_admin):
    """郴州 4310 must not cover 永州 4311: a scope is its level's prefix, not its code's zeros."""
    import_divisions(
        [
            DivisionRow("431000000000", "郴州市", 2, "430000000000"),
            DivisionRow("431100000000", "永州市", 2, "430000000000"),
        ],
        dataset="test",
    )
    chenzhou = Region.objects.get(code="431000000000")
    staff = _staff(security_admin, "chenzhou")
    services.assign_role(security_admin, staff, Role.REVIEWER, region=chenzhou)
    assert selectors.has_role(staff, Role.REVIEWER, region_code="431002000000")
    assert not selectors.has_role(staff, Role.REVIEWER, region_code="431102000000")
