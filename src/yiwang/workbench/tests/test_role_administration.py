"""The security administrator creates staff accounts, grants and revokes roles within regions
(三员分立 enforced by identity), and resets a lost authenticator."""

import pytest
from django.test import Client
from django.urls import reverse

from yiwang.identity import services
from yiwang.identity.constants import Role
from yiwang.identity.models import Account, RoleAssignment, SecondFactor
from yiwang.identity.testing import sign_in_as
from yiwang.workbench.tests.factories import PASSWORD, staff

STAFF = reverse("workbench:staff")


def _member_page(account):
    return reverse("workbench:staff_member", args=[account.pk])


@pytest.fixture
def admin_client(client, security_admin):
    sign_in_as(client, security_admin)
    return client


@pytest.mark.django_db
def test_the_list_shows_staff_with_their_roles(admin_client, reviewer):
    page = admin_client.get(STAFF).content.decode()

    assert "shenhe" in page and "审核人员 · 芙蓉区" in page
    assert "安全管理员 · 湖南省" in page


@pytest.mark.django_db
def test_creating_a_staff_account(admin_client):
    response = admin_client.post(
        STAFF, {"username": "wangfang", "name": "王芳", "password": PASSWORD}
    )

    account = Account.objects.get(username="wangfang")
    assert response["Location"] == _member_page(account)
    assert account.is_staff_member and account.check_password(PASSWORD)


@pytest.mark.django_db
def test_a_weak_initial_password_is_refused_in_chinese(admin_client):
    response = admin_client.post(STAFF, {"username": "wangfang", "name": "王芳", "password": "123"})

    page = response.content.decode()
    assert response.status_code == 400
    assert 'id="staff-password-error"' in page and "密码" in page
    assert 'value="wangfang"' in page
    assert not Account.objects.filter(username="wangfang").exists()


@pytest.mark.django_db
def test_granting_a_role_in_a_region_and_agency(admin_client, world):
    member = staff("wangfang")

    response = admin_client.post(
        _member_page(member),
        {
            "role": Role.WINDOW_CLERK,
            "region": world.county.code,
            "agency": world.county_agency.uscc,
        },
    )

    assert response["Location"] == _member_page(member)
    assignment = RoleAssignment.objects.get(account=member)
    assert (assignment.role, assignment.region, assignment.agency) == (
        Role.WINDOW_CLERK,
        world.county,
        world.county_agency,
    )
    assert (
        "已授予“窗口受理人员”（芙蓉区）" in admin_client.get(_member_page(member)).content.decode()
    )


@pytest.mark.django_db
def test_an_agency_may_be_named_by_its_id(admin_client, world):
    member = staff("wangfang")

    admin_client.post(
        _member_page(member),
        {"role": Role.REVIEWER, "region": world.city.code, "agency": str(world.city_agency.pk)},
    )

    assert RoleAssignment.objects.get(account=member).agency == world.city_agency


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"region": "4301"}, "region", "区划代码应为12位数字"),
        ({"region": "439999000000"}, "region", "区划 439999000000 不存在"),
        ({"region": ""}, "region", "请填写12位区划代码"),
        ({"agency": "91430000MA4L000000"}, "agency", "机构 91430000MA4L000000 不存在"),
        ({"role": "emperor"}, "role", "未知角色"),
    ],
)
def test_bad_role_fields_are_named(admin_client, world, fields, field, message):
    member = staff("wangfang")
    data = {"role": Role.REVIEWER, "region": world.county.code, **fields}

    response = admin_client.post(_member_page(member), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert f'id="assign-{field}-error">{message}' in page
    assert not RoleAssignment.objects.filter(account=member).exists()


@pytest.mark.django_db
def test_an_agency_outside_the_region_is_refused(admin_client, world):
    member = staff("wangfang")

    response = admin_client.post(
        _member_page(member),
        {"role": Role.REVIEWER, "region": world.county.code, "agency": world.city_agency.uscc},
    )

    assert "机构不在所选行政区划内" in response.content.decode()


@pytest.mark.django_db
def test_separation_of_the_three_admins_is_shown(admin_client, auditor, world):
    response = admin_client.post(
        _member_page(auditor), {"role": Role.SYSTEM_ADMIN, "region": world.province.code}
    )

    page = response.content.decode()
    assert response.status_code == 409
    assert "三员分立：该账号已是审计管理员，不能再授予系统管理员" in page
    assert not RoleAssignment.objects.filter(account=auditor, role=Role.SYSTEM_ADMIN).exists()


@pytest.mark.django_db
def test_an_admin_cannot_grant_a_role_to_themself(admin_client, security_admin, world):
    response = admin_client.post(
        _member_page(security_admin), {"role": Role.REVIEWER, "region": world.province.code}
    )

    assert response.status_code == 403
    assert "不能给自己授予角色" in response.content.decode()


@pytest.mark.django_db
def test_revoking_a_role(admin_client, reviewer):
    assignment = RoleAssignment.objects.get(account=reviewer)

    response = admin_client.post(
        reverse("workbench:revoke_role", args=[reviewer.pk, assignment.pk]), follow=True
    )

    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    assert "已撤销“审核人员”" in response.content.decode()
    assert "审核人员 · 芙蓉区" not in admin_client.get(STAFF).content.decode()


@pytest.mark.django_db
def test_resetting_a_lost_authenticator_ends_the_members_sessions(admin_client, reviewer):
    services.start_enrollment(reviewer)
    record = sign_in_as(Client(), reviewer)

    response = admin_client.post(reverse("workbench:reset_second_factor", args=[reviewer.pk]))

    record.refresh_from_db()
    assert response["Location"] == _member_page(reviewer)
    assert not SecondFactor.objects.filter(account=reviewer).exists()
    assert record.ended_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["workbench:staff", "workbench:audit"], ids=["security", "audit"])
def test_a_reviewer_cannot_open_the_admin_pages(client, reviewer, name):
    sign_in_as(client, reviewer)

    response = client.get(reverse(name))

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


@pytest.mark.django_db
def test_a_reviewer_cannot_change_roles(client, reviewer, auditor, world):
    sign_in_as(client, reviewer)

    response = client.post(
        _member_page(auditor), {"role": Role.SECURITY_ADMIN, "region": world.province.code}
    )

    assert response.status_code == 403
    assert not RoleAssignment.objects.filter(account=auditor, role=Role.SECURITY_ADMIN).exists()
