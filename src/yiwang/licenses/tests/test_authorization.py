"""授权用证: the holder authorizes an agency or a third party for a purpose and a period, and
revokes it; the grantee reads the license only within that authorization, every read logged,
every refusal audited with its reason and nothing returned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.cases.tests.factories import staff
from yiwang.core.errors import Conflict, DomainError
from yiwang.core.models import AuditRecord
from yiwang.identity.constants import Role
from yiwang.identity.tests.factories import in_registry, registered
from yiwang.licenses import wallet
from yiwang.licenses.constants import GranteeKind, LicenseStatus, UseKind
from yiwang.licenses.models import Authorization, License, LicenseUse
from yiwang.licenses.tests.factories import LicenseTypeFactory, company_uscc, sign

pytestmark = pytest.mark.django_db

BANK = "长沙银行股份有限公司"
BANK_USCC = company_uscc(80000001)


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 83))


@pytest.fixture
def licenses(seal, alice):
    """Two of Alice's licenses (健康证明), to show an authorization covers only its own."""
    kind = LicenseTypeFactory(for_persons=True)
    data = {"occupation": "餐饮服务"}
    first = sign(kind, seal, holder_id=alice.id_number, holder_name=alice.name, data=data)
    second = sign(kind, seal, holder_id=alice.id_number, holder_name=alice.name, data=data)
    return first, second


@pytest.fixture
def license(licenses):
    return licenses[0]


@pytest.fixture
def clerk(world):
    """A window clerk of 长沙市市场监督管理局, the agency Alice authorizes."""
    return staff("city-clerk", Role.WINDOW_CLERK, world.city, world.city_agency)


def period(**shift):
    start = timezone.now() + timedelta(**shift)
    return {"valid_from": start, "valid_until": start + timedelta(days=30)}


def grant_agency(license, alice, agency, **terms):
    terms = {"purpose": "办理食品经营许可", **period(), **terms}
    authorization, code = wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.AGENCY,
        grantee_agency_id=agency.pk,
        **terms,
    )
    assert code == ""
    return authorization


def grant_bank(license, alice, **terms):
    terms = {"purpose": "办理开户", **period(), **terms}
    return wallet.authorize_use(
        license=license,
        account=alice.account,
        grantee_kind=GranteeKind.THIRD_PARTY,
        grantee_name=BANK,
        grantee_uscc=BANK_USCC,
        **terms,
    )


def refusals() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action="license.use_refused").order_by("sequence"))


# --- granting ---------------------------------------------------------------------------------


def test_an_agency_authorization_takes_the_agencys_name_and_code(world, alice, license):
    authorization = grant_agency(license, alice, world.city_agency)
    assert authorization.grantee_name == world.city_agency.name
    assert authorization.grantee_uscc == world.city_agency.uscc
    assert authorization.access_code_index == ""
    assert AuditRecord.objects.filter(action="license.authorized").count() == 1


def test_a_third_party_gets_a_one_time_code_kept_only_as_a_blind_index(alice, license):
    authorization, code = grant_bank(license, alice)
    assert len(code) == wallet.CODE_LENGTH and set(code) <= set(wallet.CODE_ALPHABET)
    assert authorization.access_code_index and code not in authorization.access_code_index
    assert authorization.grantee_uscc == BANK_USCC


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"grantee_kind": "friend"}, "grantee_kind", "请选择被授权方类别"),
        ({"grantee_kind": GranteeKind.AGENCY}, "grantee_agency", "请选择被授权的政务部门"),
        (
            {"grantee_kind": GranteeKind.AGENCY, "grantee_agency_id": "x"},
            "grantee_agency",
            "政务部门",
        ),
        (
            {"grantee_kind": GranteeKind.AGENCY, "grantee_agency_id": 999999},
            "grantee_agency",
            "政务部门",
        ),
        ({"grantee_uscc": ""}, "grantee_uscc", "统一社会信用代码"),
        ({"grantee_uscc": "91430102MA4L0000X0"}, "grantee_uscc", "校验位不正确"),
        ({"grantee_name": "  "}, "grantee_name", "请填写被授权机构名称"),
        ({"grantee_name": "银" * 201}, "grantee_name", "不超过200个字"),
        ({"purpose": ""}, "purpose", "请填写用途"),
        ({"purpose": "用" * 201}, "purpose", "不超过200个字"),
        ({"valid_from": None}, "valid_from", "请填写生效时间"),
        ({"valid_until": None}, "valid_until", "请填写失效时间"),
        (period(days=-2), "valid_from", "不能早于当前时间"),
        ({**period(days=1), "valid_until": timezone.now()}, "valid_until", "应晚于生效时间"),
        ({**period(), "valid_until": timezone.now() + timedelta(days=400)}, "valid_until", "最长"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(alice, license, fields, field, reason):
    terms = {
        "grantee_kind": GranteeKind.THIRD_PARTY,
        "grantee_name": BANK,
        "grantee_uscc": BANK_USCC,
        "purpose": "办理开户",
        **period(),
        **fields,
    }
    with pytest.raises(DomainError) as refused:
        wallet.authorize_use(license=license, account=alice.account, **terms)
    messages = {error.field: error.message for error in refused.value.errors}
    assert reason in messages[field], messages
    assert not Authorization.objects.exists()
    assert not AuditRecord.objects.filter(action="license.authorized").exists()


def test_every_fault_is_named_at_once(alice, license):
    with pytest.raises(DomainError) as refused:
        wallet.authorize_use(
            license=license,
            account=alice.account,
            grantee_kind=GranteeKind.THIRD_PARTY,
            grantee_uscc="123",
            purpose="",
            valid_from=None,
            valid_until=None,
        )
    fields = {error.field for error in refused.value.errors}
    assert fields == {"grantee_name", "grantee_uscc", "purpose", "valid_from", "valid_until"}


def test_naive_times_are_beijing_time(alice, license):
    start = timezone.localtime() + timedelta(minutes=1)
    authorization, _ = grant_bank(
        license,
        alice,
        valid_from=start.replace(tzinfo=None),
        valid_until=(start + timedelta(days=1)).replace(tzinfo=None),
    )
    assert abs(authorization.valid_from - start) < timedelta(seconds=1)


def test_a_revoked_license_cannot_be_authorized(alice, license):
    License.objects.filter(pk=license.pk).update(status=LicenseStatus.REVOKED)
    license.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        grant_bank(license, alice)
    assert "已撤销" in refused.value.detail


def test_revoking_twice_is_refused(world, alice, license):
    authorization = grant_agency(license, alice, world.city_agency)
    wallet.revoke_authorization(authorization=authorization, account=alice.account)
    with pytest.raises(Conflict):
        wallet.revoke_authorization(authorization=authorization, account=alice.account)
    assert AuditRecord.objects.filter(action="license.authorization_revoked").count() == 1


# --- an agency uses it ------------------------------------------------------------------------


def test_the_agencys_staff_read_it_within_the_authorization(world, alice, license, clerk):
    authorization = grant_agency(license, alice, world.city_agency)
    read = wallet.read_as_agency(
        account=clerk,
        authorization_id=authorization.pk,
        identifier=license.identifier,
        address="10.1.1.1",
    )
    assert read.license == license and read.verification.is_valid
    use = LicenseUse.objects.get()
    assert use.kind == UseKind.AUTHORIZED_USE and use.authorization == authorization
    assert world.city_agency.name in use.user and use.address == "10.1.1.1"
    assert use.detail["purpose"] == "办理食品经营许可"
    assert wallet.authorizations_for_staff(clerk).get() == authorization


def _refused_read(clerk, authorization, identifier) -> str:
    with pytest.raises(DomainError) as refused:
        wallet.read_as_agency(
            account=clerk, authorization_id=authorization.pk, identifier=identifier
        )
    assert refused.value.status == 403
    assert not LicenseUse.objects.exists()
    record = refusals()[-1]
    assert record.detail["reason"] == refused.value.detail
    assert record.detail["authorization"] == authorization.pk
    return refused.value.detail


def test_another_license_is_refused(world, alice, licenses, clerk):
    first, second = licenses
    authorization = grant_agency(first, alice, world.city_agency)
    assert "不包含此证照" in _refused_read(clerk, authorization, second.identifier)


def test_another_agencys_staff_are_refused(world, alice, license):
    authorization = grant_agency(license, alice, world.city_agency)
    county_clerk = staff("county-clerk", Role.WINDOW_CLERK, world.county, world.county_agency)
    regional = staff("regional", Role.REVIEWER, world.city)  # no agency: not the grantee's staff
    auditor = staff("auditor", Role.AUDIT_ADMIN, world.city, world.city_agency)
    for account in (county_clerk, regional, auditor, alice.account):
        assert "未获得" in _refused_read(account, authorization, license.identifier)
    assert not wallet.authorizations_for_staff(county_clerk).exists()


def test_a_revoked_role_no_longer_reads(world, alice, license, clerk):
    authorization = grant_agency(license, alice, world.city_agency)
    clerk.roles.update(revoked_at=timezone.now())
    assert "未获得" in _refused_read(clerk, authorization, license.identifier)


def test_outside_the_period_or_after_revocation_is_refused(world, alice, license, clerk):
    authorization = grant_agency(license, alice, world.city_agency, **period(days=2))
    assert "尚未生效" in _refused_read(clerk, authorization, license.identifier)
    Authorization.objects.filter(pk=authorization.pk).update(
        valid_from=timezone.now() - timedelta(days=10), valid_until=timezone.now()
    )
    assert "到期" in _refused_read(clerk, authorization, license.identifier)
    Authorization.objects.filter(pk=authorization.pk).update(
        valid_until=timezone.now() + timedelta(days=1)
    )
    wallet.revoke_authorization(authorization=authorization, account=alice.account)
    assert "撤回" in _refused_read(clerk, authorization, license.identifier)
    assert len(refusals()) == 3


def test_an_unknown_authorization_or_a_malformed_identifier(world, alice, license, clerk):
    with pytest.raises(DomainError) as refused:
        wallet.read_as_agency(account=clerk, authorization_id=0, identifier=license.identifier)
    assert refused.value.status == 403
    with pytest.raises(DomainError) as malformed:
        wallet.read_as_agency(account=clerk, authorization_id=1, identifier="1.2.156.bad")
    assert malformed.value.status == 400


# --- a third party uses it --------------------------------------------------------------------


def test_a_third_party_reads_once_with_its_code(alice, license):
    authorization, code = grant_bank(license, alice)
    typed = wallet.grouped(code).lower()  # as read out: groups, lower case
    read = wallet.read_with_access_code(
        code=typed, grantee_uscc=BANK_USCC.lower(), identifier=license.identifier, address="1.2.3.4"
    )
    assert read.license == license
    use = LicenseUse.objects.get()
    assert use.authorization == authorization and BANK in use.user
    with pytest.raises(DomainError) as again:
        wallet.read_with_access_code(
            code=code, grantee_uscc=BANK_USCC, identifier=license.identifier
        )
    assert again.value.status == 403 and "已使用" in again.value.detail
    assert LicenseUse.objects.count() == 1
    assert wallet.authorization_state(Authorization.objects.get()) == "已使用"


def test_a_code_for_another_party_license_or_time_is_refused(alice, licenses):
    first, second = licenses
    authorization, code = grant_bank(first, alice)
    other_uscc = company_uscc(80000002)
    cases = [
        (dict(code=code, grantee_uscc=other_uscc, identifier=first.identifier), "访问码无效"),
        (
            dict(
                code=wallet.new_access_code(), grantee_uscc=BANK_USCC, identifier=first.identifier
            ),
            "访问码无效",
        ),
        (dict(code=code, grantee_uscc=BANK_USCC, identifier=second.identifier), "不包含此证照"),
    ]
    for arguments, reason in cases:
        with pytest.raises(DomainError) as refused:
            wallet.read_with_access_code(**arguments)
        assert refused.value.status == 403 and reason in refused.value.detail
    Authorization.objects.filter(pk=authorization.pk).update(revoked_at=timezone.now())
    with pytest.raises(DomainError) as revoked:
        wallet.read_with_access_code(code=code, grantee_uscc=BANK_USCC, identifier=first.identifier)
    assert "撤回" in revoked.value.detail
    assert not LicenseUse.objects.exists()
    assert len(refusals()) == 4


@pytest.mark.parametrize(
    ("code", "uscc", "identifier", "fields"),
    [
        ("", BANK_USCC, None, {"access_code"}),
        ("ABC", BANK_USCC, None, {"access_code"}),
        ("!" * 16, "bad", "bad", {"access_code", "grantee_uscc", "identifier"}),
    ],
)
def test_malformed_access_requests_name_each_field(alice, license, code, uscc, identifier, fields):
    with pytest.raises(DomainError) as refused:
        wallet.read_with_access_code(
            code=code, grantee_uscc=uscc, identifier=identifier or license.identifier
        )
    assert refused.value.status == 400
    assert {error.field for error in refused.value.errors} == fields
