"""变更、延续、注销、撤销 by the issuing authority: a new version with the same serial (the old
one cancelled and linked), or the end of a license with a reason; each step signed by the
agency's seal and audited; only the issuing agency's approvers may act."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from yiwang.cases.tests.factories import staff
from yiwang.catalog.tests.factories import organization
from yiwang.core.errors import Conflict, DomainError, Forbidden
from yiwang.core.events import Event
from yiwang.core.models import AuditRecord
from yiwang.identity.constants import Role
from yiwang.identity.tests.factories import in_registry, registered
from yiwang.licenses import lifecycle, services
from yiwang.licenses.constants import DocumentKind, LicenseStatus, LifecycleAction, Verdict
from yiwang.licenses.identifiers import parse_identifier
from yiwang.licenses.models import License, LifecycleRecord, SealUse
from yiwang.licenses.tests.factories import FOOD_DATA, LicenseTypeFactory, make_seal, sign

pytestmark = pytest.mark.django_db
ISSUED = date(2024, 5, 10)  # five years: valid through 2029-05-09


@pytest.fixture
def approver(world):
    return staff("approver", Role.APPROVER, world.county, world.county_agency)


@pytest.fixture
def license(seal, food_type):
    return sign(food_type, seal, issued_on=ISSUED)


def _steps(license: License) -> list[tuple[str, str]]:
    records = LifecycleRecord.objects.filter(license=license).order_by("occurred_at", "pk")
    return [(record.action, record.reason) for record in records]


def _signed_steps_verify() -> bool:
    records = LifecycleRecord.objects.select_related("license", "seal")
    return all(lifecycle.verify_lifecycle_record(record) for record in records)


# --- 变更 ---------------------------------------------------------------------------------------


def test_a_change_is_a_new_version_with_the_same_serial(license, approver, seal):
    new = lifecycle.change_license(
        actor=approver,
        license=license,
        reason="经营场所变更",
        changes={"premises": "长沙市芙蓉区韶山路2号"},
    )
    old, new = License.objects.get(pk=license.pk), License.objects.get(pk=new.pk)
    assert new.version == 2 and new.previous == old
    assert parse_identifier(new.identifier).serial == parse_identifier(old.identifier).serial
    assert new.identifier.split(".")[-2] == "002"
    assert new.data == {**FOOD_DATA, "premises": "长沙市芙蓉区韶山路2号"}
    assert (new.valid_from, new.valid_until) == (old.valid_from, old.valid_until)
    assert new.issued_on == timezone.localdate() and new.holder_id_index == old.holder_id_index
    assert (old.status, old.status_reason) == (LicenseStatus.CANCELLED, "已变更为第2版")

    assert services.verify_license(new).verdict == Verdict.VALID
    assert services.verify_license(old).verdict == Verdict.CANCELLED
    assert _steps(old) == [(LifecycleAction.CANCELLED, "已变更为第2版")]
    assert _steps(new) == [(LifecycleAction.CHANGED, "经营场所变更")]
    assert _signed_steps_verify()
    lifecycle_uses = SealUse.objects.filter(document_kind=DocumentKind.LIFECYCLE, seal=seal)
    assert lifecycle_uses.count() == 2
    audit = AuditRecord.objects.get(action="license.changed")
    assert audit.detail == {"previous": old.identifier, "version": 2, "reason": "经营场所变更"}
    event = Event.objects.get(topic="license.changed")
    assert event.payload["identifier"] == new.identifier
    assert event.payload["previous"] == old.identifier


def test_a_second_change_follows_the_first(license, approver):
    second = lifecycle.change_license(
        actor=approver, license=license, reason="餐位调整", changes={"seats": 60}
    )
    third = lifecycle.change_license(
        actor=approver, license=second, reason="去掉餐位", changes={"seats": None}
    )
    assert third.version == 3 and third.previous_id == second.pk
    assert "seats" not in License.objects.get(pk=third.pk).data
    assert License.objects.get(pk=second.pk).status_reason == "已变更为第3版"


def test_the_holders_name_can_change(license, approver):
    new = lifecycle.change_license(
        actor=approver, license=license, reason="名称变更", holder_name="长沙湘江美食有限公司"
    )
    assert services.signed_license_of(new).payload["holder_name"] == "长沙湘江美食有限公司"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({}, "changes", "没有需要变更的内容"),
        ({"premises": FOOD_DATA["premises"]}, "changes", "没有需要变更的内容"),
        ({"seats": "很多"}, "changes.seats", "餐位数"),
        ({"owner": "某人"}, "changes.owner", "不是该类证照的数据项"),
        ({"premises": None}, "changes.premises", "经营场所"),
        ("premises", "changes", "须是 JSON 对象"),
    ],
)
def test_a_bad_change_is_refused_and_nothing_is_written(license, approver, changes, field, message):
    with pytest.raises(DomainError) as refused:
        lifecycle.change_license(actor=approver, license=license, reason="变更", changes=changes)
    assert any(e.field == field and message in e.message for e in refused.value.errors)
    assert License.objects.count() == 1
    assert License.objects.get().status == LicenseStatus.VALID
    assert not LifecycleRecord.objects.exists()
    assert not AuditRecord.objects.filter(action__startswith="license.").exists()


def test_an_expired_license_cannot_change(seal, food_type, approver):
    expired = sign(food_type, seal, issued_on=date(2018, 1, 1))  # through 2022-12-31
    with pytest.raises(Conflict, match="已于2022年12月31日到期"):
        lifecycle.change_license(
            actor=approver, license=expired, reason="变更", changes={"seats": 1}
        )


# --- 延续 ---------------------------------------------------------------------------------------


def test_a_renewal_runs_on_from_the_old_end_and_starts_today(license, approver):
    new = lifecycle.renew_license(actor=approver, license=license)
    new.refresh_from_db()
    assert new.version == 2 and new.previous_id == license.pk
    assert new.valid_from == timezone.localdate()
    assert new.valid_until == date(2034, 5, 9)  # five years from 2029-05-10
    assert new.data == license.data
    license.refresh_from_db()
    assert (license.status, license.status_reason) == (LicenseStatus.CANCELLED, "已延续为第2版")
    assert _steps(new) == [(LifecycleAction.RENEWED, "有效期届满延续")]
    assert services.verify_license(new).verdict == Verdict.VALID
    assert _signed_steps_verify()
    assert AuditRecord.objects.filter(action="license.renewed").count() == 1


def test_a_renewal_may_name_its_end_but_not_an_earlier_one(license, approver):
    with pytest.raises(DomainError, match="应晚于原截止日期（2029年5月9日）"):
        lifecycle.renew_license(actor=approver, license=license, valid_until=date(2029, 5, 9))
    new = lifecycle.renew_license(
        actor=approver, license=license, reason="延续三年", valid_until=date(2032, 5, 9)
    )
    assert License.objects.get(pk=new.pk).valid_until == date(2032, 5, 9)


def test_a_permanent_or_expired_license_is_not_renewed(world, seal, approver):
    permanent = sign(LicenseTypeFactory(permanent=True), seal)
    with pytest.raises(Conflict, match="长期有效的证照无需延续"):
        lifecycle.renew_license(actor=approver, license=permanent)
    expired = sign(LicenseTypeFactory(), seal, issued_on=date(2018, 1, 1))
    with pytest.raises(Conflict, match="到期"):
        lifecycle.renew_license(actor=approver, license=expired)
    assert not LifecycleRecord.objects.exists()


# --- 注销 and 撤销 --------------------------------------------------------------------------------


def test_cancellation_ends_the_license_with_its_reason(license, approver):
    lifecycle.cancel_license(actor=approver, license=license, reason="经营者申请注销")
    license.refresh_from_db()
    assert (license.status, license.status_reason) == (LicenseStatus.CANCELLED, "经营者申请注销")
    assert license.status_changed_at is not None
    result = services.verify_license(license)
    assert result.verdict == Verdict.CANCELLED and "经营者申请注销" in result.detail
    assert _steps(license) == [(LifecycleAction.CANCELLED, "经营者申请注销")]
    assert _signed_steps_verify()
    assert Event.objects.get(topic="license.cancelled").payload["reason"] == "经营者申请注销"


def test_revocation_ends_the_license_and_nothing_follows_an_end(license, approver):
    lifecycle.revoke_license(actor=approver, license=license, reason="以欺骗手段取得许可")
    license.refresh_from_db()
    assert license.status == LicenseStatus.REVOKED
    assert services.verify_license(license).verdict == Verdict.REVOKED
    for act in (lifecycle.revoke_license, lifecycle.cancel_license):
        with pytest.raises(Conflict, match="证照当前为“已撤销”"):
            act(actor=approver, license=license, reason="再次")
    with pytest.raises(Conflict, match="已撤销"):
        lifecycle.change_license(
            actor=approver, license=license, reason="变更", changes={"seats": 1}
        )
    with pytest.raises(Conflict, match="已撤销"):
        lifecycle.renew_license(actor=approver, license=license)
    assert _steps(license) == [(LifecycleAction.REVOKED, "以欺骗手段取得许可")]


@pytest.mark.parametrize("reason", ["", "   ", "理" * 501])
def test_an_end_needs_a_reason(license, approver, reason):
    with pytest.raises(DomainError, match="请写明原因") as refused:
        lifecycle.cancel_license(actor=approver, license=license, reason=reason)
    assert refused.value.errors[0].field == "reason"
    assert License.objects.get().status == LicenseStatus.VALID


# --- who may act ----------------------------------------------------------------------------


@pytest.fixture(
    params=["reviewer_of_the_agency", "approver_elsewhere", "approver_of_another_agency", "citizen"]
)
def outsider(request, world):
    if request.param == "reviewer_of_the_agency":
        return staff("reviewer", Role.REVIEWER, world.county, world.county_agency)
    if request.param == "approver_elsewhere":
        return staff("tianyuan", Role.APPROVER, world.other_county, world.other_county_agency)
    if request.param == "approver_of_another_agency":
        civil_affairs = organization(world.county, "芙蓉区民政局", 10000009, sector="民政")
        return staff("other", Role.APPROVER, world.county, civil_affairs)
    return registered(in_registry("王小明", 63)).account


def test_only_approvers_of_the_issuing_agency_act(license, outsider):
    acts = [
        lambda: lifecycle.change_license(
            actor=outsider, license=license, reason="变更", changes={"seats": 1}
        ),
        lambda: lifecycle.renew_license(actor=outsider, license=license),
        lambda: lifecycle.cancel_license(actor=outsider, license=license, reason="注销"),
        lambda: lifecycle.revoke_license(actor=outsider, license=license, reason="撤销"),
    ]
    for act in acts:
        with pytest.raises(Forbidden, match="芙蓉区市场监督管理局"):
            act()
    assert License.objects.get().status == LicenseStatus.VALID
    assert not LifecycleRecord.objects.exists()
    assert not SealUse.objects.filter(document_kind=DocumentKind.LIFECYCLE).exists()


def test_a_city_wide_approver_reaches_the_countys_licenses(world, license):
    city_approver = staff("changsha", Role.APPROVER, world.city)
    lifecycle.cancel_license(actor=city_approver, license=license, reason="注销")
    assert License.objects.get().status == LicenseStatus.CANCELLED


def test_a_revoked_role_no_longer_acts(license, approver):
    approver.roles.update(revoked_at=timezone.now())
    with pytest.raises(Forbidden):
        lifecycle.cancel_license(actor=approver, license=license, reason="注销")


# --- the seal that signs a step -------------------------------------------------------------


def test_steps_are_signed_by_the_agencys_seal_in_force(world, license, approver, seal):
    services.revoke_seal(seal=seal, actor="test", reason="更换印章")
    with pytest.raises(Conflict, match="没有有效的电子印章"):
        lifecycle.cancel_license(actor=approver, license=license, reason="注销")
    assert License.objects.get().status == LicenseStatus.VALID
    new_seal = make_seal(world.county_agency)
    lifecycle.cancel_license(actor=approver, license=license, reason="注销")
    record = LifecycleRecord.objects.get()
    assert record.seal == new_seal and lifecycle.verify_lifecycle_record(record)
    # What the old seal signed before its revocation still verifies as signed while valid.
    assert services.verify_license(License.objects.get()).signed_while_valid


def test_an_altered_step_no_longer_verifies(license, approver):
    lifecycle.cancel_license(actor=approver, license=license, reason="经营者申请注销")
    LifecycleRecord.objects.update(reason="依法撤销")
    assert not lifecycle.verify_lifecycle_record(LifecycleRecord.objects.get())
    LifecycleRecord.objects.update(
        reason="经营者申请注销", occurred_at=timezone.now() + timedelta(1)
    )
    assert not lifecycle.verify_lifecycle_record(LifecycleRecord.objects.get())
