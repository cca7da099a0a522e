"""The issuing authority's desk on the workbench: approvers of the issuing agency find a license
it issued, see its versions and signed lifecycle steps, and 变更、延续、注销、撤销 it through
licenses.lifecycle. The rules are lifecycle's; these tests check that the pages reach them,
show their refusals in Chinese beside the field, write nothing on a refusal, and refuse (and
audit) staff of another agency."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from django.urls import reverse

from yiwang.cases.tests.factories import staff
from yiwang.core.models import AuditRecord
from yiwang.identity.constants import Role
from yiwang.identity.testing import sign_in_as
from yiwang.licenses import lifecycle
from yiwang.licenses.constants import LicenseStatus, LifecycleAction
from yiwang.licenses.identifiers import parse_identifier
from yiwang.licenses.models import License, LifecycleRecord
from yiwang.licenses.tests.factories import FOOD_DATA, LicenseTypeFactory, make_seal, sign
from yiwang.workbench.tests.factories import person

pytestmark = pytest.mark.django_db

ISSUED = date(2024, 5, 10)  # five years: valid through 2029-05-09
LIST = reverse("workbench:issued_licenses")


@pytest.fixture
def seal(world):
    return make_seal(world.county_agency)


@pytest.fixture
def license(seal):
    return sign(LicenseTypeFactory(), seal, issued_on=ISSUED)


@pytest.fixture
def approver(world):
    return staff("approver", Role.APPROVER, world.county, world.county_agency)


@pytest.fixture
def other_approver(world):
    """An approver of 天元区市场监督管理局, another county's agency."""
    return staff("tianyuan", Role.APPROVER, world.other_county, world.other_county_agency)


def _page(license: License) -> str:
    return reverse("workbench:issued_license", args=[license.identifier])


def _act(license: License, action: str) -> str:
    return reverse("workbench:issued_license_action", args=[license.identifier, action])


def _change_form(**changes) -> dict:
    """The change form as the page fills it: every data field, the holder name, a reason."""
    form = {f"changes.{name}": str(value) for name, value in FOOD_DATA.items()}
    form |= {"holder_name": "长沙湘江餐饮有限公司", "reason": "经营场所变更"}
    return form | changes


def _nothing_written(license: License) -> None:
    assert License.objects.count() == 1
    assert License.objects.get(pk=license.pk).status == LicenseStatus.VALID
    assert not LifecycleRecord.objects.exists()
    assert not AuditRecord.objects.filter(
        action__in=[f"license.{action}" for action in LifecycleAction.values]
    ).exists()


# --- finding a license --------------------------------------------------------------------------


def test_an_approver_finds_the_agencys_license_and_sees_its_record(client, approver, license):
    sign_in_as(client, approver)

    listing = client.get(LIST)
    found = client.get(LIST, {"identifier": f"  {license.identifier.lower()} "})
    page = client.get(_page(license))

    assert listing.status_code == 200
    assert _page(license) in listing.content.decode()
    assert found.status_code == 302 and found["Location"] == _page(license)
    html = page.content.decode()
    assert page.status_code == 200
    assert "长沙湘江餐饮有限公司" in html and license.holder_id_masked in html
    assert FOOD_DATA["premises"] in html and "2029-05-09" in html
    for action in ("change", "renew", "cancel", "revoke"):
        assert f'action="{_act(license, action)}"' in html
    assert 'id="license-versions"' in html and "第1版" in html


def test_an_unknown_or_malformed_identifier_is_named(client, approver, license):
    sign_in_as(client, approver)
    unknown = replace(parse_identifier(license.identifier), serial="20990000001")

    malformed = client.get(LIST, {"identifier": "1.2.156.3005.2.abc"})
    missing = client.get(LIST, {"identifier": str(unknown)})
    missing_page = client.get(reverse("workbench:issued_license", args=[str(unknown)]))

    assert malformed.status_code == 400
    assert "证照标识应为" in malformed.content.decode()
    assert missing.status_code == missing_page.status_code == 404
    assert "该证照不存在" in missing.content.decode()
    assert "该证照不存在" in missing_page.content.decode()
    assert not AuditRecord.objects.filter(action="license.authority_refused").exists()


def test_a_region_wide_approver_above_the_agency_reaches_its_licenses(client, world, license):
    city_approver = staff("changsha", Role.APPROVER, world.city)
    sign_in_as(client, city_approver)

    assert _page(license) in client.get(LIST).content.decode()
    assert client.get(_page(license)).status_code == 200


# --- 变更、延续、注销、撤销 ---------------------------------------------------------------------


def test_a_change_signs_a_new_version_and_opens_it(client, approver, license):
    sign_in_as(client, approver)

    response = client.post(_act(license, "change"), _change_form(**{"changes.seats": "60"}))

    new = License.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == _page(new)
    assert new.data == {**FOOD_DATA, "seats": 60} and new.previous_id == license.pk
    assert License.objects.get(pk=license.pk).status == LicenseStatus.CANCELLED
    audit = AuditRecord.objects.get(action="license.changed")
    assert audit.actor == str(approver) and audit.detail["reason"] == "经营场所变更"
    html = client.get(_page(new)).content.decode()
    assert "已变更，现行证照为第2版。" in html
    assert "已变更为第2版" in html  # the replaced version's status reason
    assert _page(license) in html  # the versions table links the first version


def test_a_blank_optional_field_is_removed_and_a_new_holder_name_signed(client, approver, license):
    sign_in_as(client, approver)
    form = _change_form(**{"changes.seats": " ", "holder_name": "长沙湘江美食有限公司"})

    assert client.post(_act(license, "change"), form).status_code == 302

    new = License.objects.get(version=2)
    assert "seats" not in new.data and new.holder_name == "长沙湘江美食有限公司"


def test_a_renewal_runs_the_types_period_from_the_old_end(client, approver, license):
    sign_in_as(client, approver)

    response = client.post(_act(license, "renew"), {"reason": "有效期届满延续", "valid_until": ""})

    new = License.objects.get(version=2)
    assert response.status_code == 302
    assert new.valid_until == date(2034, 5, 9)
    assert AuditRecord.objects.get(action="license.renewed").actor == str(approver)


def test_a_renewal_to_a_chosen_date(client, approver, license):
    sign_in_as(client, approver)

    client.post(_act(license, "renew"), {"reason": "延续", "valid_until": "2031-12-31"})

    assert License.objects.get(version=2).valid_until == date(2031, 12, 31)


@pytest.mark.parametrize(
    ("action", "status", "step", "label"),
    [
        ("cancel", LicenseStatus.CANCELLED, LifecycleAction.CANCELLED, "已注销。"),
        ("revoke", LicenseStatus.REVOKED, LifecycleAction.REVOKED, "已撤销。"),
    ],
)
def test_cancelling_or_revoking_ends_the_license_with_its_reason(
    client, approver, license, action, status, step, label
):
    sign_in_as(client, approver)

    response = client.post(_act(license, action), {"reason": "主体已注销（决定书 2026-01 号）"})

    ended = License.objects.get(pk=license.pk)
    assert response.status_code == 302 and response["Location"] == _page(license)
    assert (ended.status, ended.status_reason) == (status, "主体已注销（决定书 2026-01 号）")
    record = LifecycleRecord.objects.get(license=license)
    assert record.action == step and lifecycle.verify_lifecycle_record(record)
    html = client.get(_page(license)).content.decode()
    assert label in html
    assert 'id="cancel-form"' not in html  # an ended license offers no more steps


# --- refusals: shown beside the field, nothing written --------------------------------------------


SEATS_WORDS = _change_form(**{"changes.seats": "很多"})
NO_PREMISES = _change_form(**{"changes.premises": ""})


@pytest.mark.parametrize(
    ("action", "form", "error_id", "message"),
    [
        ("change", SEATS_WORDS, "changes.seats", "餐位数：应为数字"),
        ("change", NO_PREMISES, "changes.premises", "经营场所：必须填写"),
        ("change", _change_form(reason=""), "change-reason", "请写明原因"),
        ("change", _change_form(reason="变" * 501), "change-reason", "不超过500个字"),
        ("change", _change_form(holder_name=""), "change-holder-name", "持证主体名称不能为空"),
        ("change", _change_form(), None, "没有需要变更的内容"),
        ("renew", {"reason": "延续", "valid_until": "2031/13/01"}, "renew-until", "年-月-日"),
        ("renew", {"reason": "延续", "valid_until": "2029-01-01"}, "renew-until", "应晚于原截止"),
        ("renew", {"reason": " "}, "renew-reason", "请写明原因"),
        ("cancel", {"reason": ""}, "cancel-reason", "请写明原因"),
        ("revoke", {}, "revoke-reason", "请写明原因"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_writes_nothing(
    client, approver, license, action, form, error_id, message
):
    sign_in_as(client, approver)

    response = client.post(_act(license, action), form)

    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    if error_id:
        assert f'id="{error_id}-error"' in html
    _nothing_written(license)


def test_an_ended_license_cannot_be_revoked_again(client, approver, license):
    sign_in_as(client, approver)
    client.post(_act(license, "cancel"), {"reason": "主体注销"})

    response = client.post(_act(license, "revoke"), {"reason": "撤销"})

    assert response.status_code == 409
    assert "证照当前为“已注销”，不能撤销" in response.content.decode()
    assert License.objects.get(pk=license.pk).status == LicenseStatus.CANCELLED
    assert not AuditRecord.objects.filter(action="license.revoked").exists()


def test_an_unknown_action_is_not_found(client, approver, license):
    sign_in_as(client, approver)
    assert client.post(_act(license, "delete"), {"reason": "x"}).status_code == 404


# --- who may ----------------------------------------------------------------------------------


def test_another_agencys_approver_is_refused_and_audited(client, other_approver, license):
    sign_in_as(client, other_approver)

    listing = client.get(LIST)
    searched = client.get(LIST, {"identifier": license.identifier})
    page = client.get(_page(license))
    cancelled = client.post(_act(license, "cancel"), {"reason": "越权注销"})

    assert _page(license) not in listing.content.decode()
    assert searched.status_code == 403
    assert page.status_code == 403 and cancelled.status_code == 403
    assert "只有发证机关（芙蓉区市场监督管理局）的审批人员可以办理该证照" in page.content.decode()
    assert FOOD_DATA["premises"] not in page.content.decode()
    refusals = AuditRecord.objects.filter(action="license.authority_refused")
    assert refusals.count() == 3
    assert {record.actor for record in refusals} == {str(other_approver)}
    assert {record.target for record in refusals} == {license.identifier}
    _nothing_written(license)


def test_staff_without_the_approver_role_get_the_role_page(client, world, license):
    clerk = staff("clerk", Role.WINDOW_CLERK, world.county, world.county_agency)
    sign_in_as(client, clerk)

    for response in (client.get(LIST), client.post(_act(license, "cancel"), {"reason": "注销"})):
        assert response.status_code == 403
        assert "“审批人员”" in response.content.decode()
    _nothing_written(license)


def test_citizens_and_anonymous_visitors_do_not_reach_the_desk(client, license):
    anonymous = client.post(_act(license, "revoke"), {"reason": "撤销"})
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("workbench:login"))

    sign_in_as(client, person())
    for response in (client.get(_page(license)), client.post(_act(license, "revoke"), {})):
        assert response.status_code == 302
        assert response["Location"] == reverse("portal:my_account")
    _nothing_written(license)


def test_the_home_page_links_the_license_screens_for_approvers_only(client, world, approver):
    links = (LIST, reverse("workbench:license_import"))
    sign_in_as(client, approver)
    approver_home = client.get(reverse("workbench:home")).content.decode()
    sign_in_as(client, staff("clerk", Role.WINDOW_CLERK, world.county, world.county_agency))
    clerk_home = client.get(reverse("workbench:home")).content.decode()

    assert all(link in approver_home for link in links)
    assert not any(link in clerk_home for link in links)
    assert reverse("workbench:authorized") in clerk_home
