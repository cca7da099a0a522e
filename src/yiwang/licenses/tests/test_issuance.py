"""电子证照与纸质证照同步签发: a completed case of an item with an issuance rule issues its
license, signed by the case agency's seal, once; a case that cannot issue is logged, audited
and retried without holding up the other consumers of case.completed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.cases import services as cases
from yiwang.cases.tests import conftest as case_fixtures
from yiwang.cases.tests.factories import PDF
from yiwang.core import keys
from yiwang.core.errors import DomainError
from yiwang.core.events import Event, deliver_pending
from yiwang.core.models import AuditRecord
from yiwang.identity import services as identity
from yiwang.identity.tests.factories import company
from yiwang.licenses import issuance, lifecycle, selectors, services
from yiwang.licenses.constants import (
    USCC_PURPOSE,
    DocumentKind,
    HolderKind,
    LifecycleAction,
    Verdict,
)
from yiwang.licenses.models import License, LifecycleRecord, SealUse
from yiwang.licenses.tests.factories import LicenseTypeFactory, make_seal
from yiwang.licenses.tests.issuance_setup import (
    COMPANY_SOURCES,
    ENTERED,
    completed_case,
    issuing_item,
    rule,
    trader_type,
)

pytestmark = pytest.mark.django_db
applicant, office = case_fixtures.applicant, case_fixtures.office


@pytest.fixture
def item(world):
    return issuing_item(world)


@pytest.fixture
def trader(db):
    return trader_type()


def test_a_completed_case_issues_a_signed_license_to_the_applicant(
    world, item, trader, applicant, office
):
    seal = make_seal(world.county_agency)
    rule(item, trader)
    case = completed_case(applicant.account, item, office)
    deliver_pending()

    license = License.objects.get(case_number=case.number)
    assert license.license_type == trader and license.issuer == world.county_agency
    assert license.holder_kind == HolderKind.PERSON and license.holder_name == "张丽华"
    assert license.holder_id_index == applicant.account.id_number_index
    assert license.data == {
        "operator": "张丽华",
        "premises": "长沙市芙蓉区五一大道1号",
        "seats": 40,
        "kind": "食品销售经营者",
        "authority": "芙蓉区市场监督管理局",
        "case_number": case.number,
        "decided_on": timezone.localdate(case.decided_at).isoformat(),
    }
    assert license.seal == seal and license.version == 1
    assert services.verify_license(license).verdict == Verdict.VALID
    holder_id = services.signed_license_of(license).payload["holder_id"]
    assert holder_id == applicant.id_number

    step = LifecycleRecord.objects.get(license=license)
    assert step.action == LifecycleAction.ISSUED and step.seal == seal
    assert lifecycle.verify_lifecycle_record(step)
    uses = SealUse.objects.filter(document_reference=license.identifier)
    assert sorted(uses.values_list("document_kind", flat=True)) == [
        DocumentKind.LICENSE,
        DocumentKind.LIFECYCLE,
    ]
    audit = AuditRecord.objects.get(action="license.issued")
    assert audit.detail["case"] == case.number and applicant.id_number not in str(audit.detail)
    event = Event.objects.get(topic="license.issued")
    assert event.payload == {
        "identifier": license.identifier,
        "case": case.number,
        "account": applicant.account.pk,
        "accounts": [applicant.account.pk],
    }


def test_a_redelivered_event_issues_nothing_more(world, item, trader, applicant, office):
    make_seal(world.county_agency)
    rule(item, trader)
    case = completed_case(applicant.account, item, office)
    deliver_pending()
    Event.objects.update(delivered_at=None)  # the worker delivers again after a crash
    deliver_pending()
    assert License.objects.count() == 1
    assert issuance.issue_license_for_case(case_uid=str(case.uid)) is None
    assert License.objects.count() == 1
    assert Event.objects.filter(topic="license.issued").count() == 1


def test_an_item_without_a_rule_issues_nothing(world, item, applicant, office):
    make_seal(world.county_agency)
    case = completed_case(applicant.account, item, office)
    deliver_pending()
    assert not License.objects.exists()
    assert Event.objects.get(topic="case.completed", payload__number=case.number).delivered_at
    assert not AuditRecord.objects.filter(action__startswith="license.").exists()


def test_an_organizations_case_issues_to_its_credit_code(world, item, applicant, office):
    make_seal(world.county_agency)
    uscc = company(applicant, 70000009)
    identity.claim_organization(identity.Actor(applicant.account), applicant.account, uscc)
    food = LicenseTypeFactory()  # 食品经营许可证 of an organization
    rule(item, food, field_sources=dict(COMPANY_SOURCES))
    case = completed_case(applicant.account, item, office, organization_uscc=uscc)
    deliver_pending()

    license = License.objects.get(case_number=case.number)
    assert license.holder_kind == HolderKind.ORGANIZATION
    assert license.holder_name == "长沙湘江餐饮有限公司"
    assert license.holder_id_index == keys.blind_index(USCC_PURPOSE, uscc)
    assert license.data["premises"] == "长沙市芙蓉区五一大道1号"
    assert services.signed_license_of(license).payload["holder_id"] == uscc
    # The people who act for the organization are told.
    assert selectors.holder_accounts(license) == [applicant.account.pk]


# --- cases that cannot issue ------------------------------------------------------------------


def _retry_event():
    return Event.objects.get(topic=issuance.RETRY_TOPIC)


def test_without_a_seal_the_failure_is_audited_and_retried_until_a_seal_exists(
    world, item, trader, applicant, office
):
    rule(item, trader)
    case = completed_case(applicant.account, item, office)
    deliver_pending()

    assert not License.objects.exists()
    # case.completed itself is delivered: the applicant hears of the completion all the same.
    assert Event.objects.get(topic="case.completed", payload__number=case.number).delivered_at
    audit = AuditRecord.objects.get(action="license.issuance_failed")
    assert audit.target == case.number
    assert "芙蓉区市场监督管理局没有有效的“行政审批专用章”" in audit.detail["reason"]

    deliver_pending()  # the retry fails too and backs off, keeping the reason
    retry = _retry_event()
    assert retry.delivered_at is None and retry.attempts == 1
    assert "没有有效的“行政审批专用章”" in retry.last_error and case.number in retry.last_error
    assert retry.available_at > timezone.now()

    make_seal(world.county_agency)
    Event.objects.filter(pk=retry.pk).update(available_at=timezone.now() - timedelta(seconds=1))
    deliver_pending()
    assert _retry_event().delivered_at is not None
    assert License.objects.get(case_number=case.number).holder_name == "张丽华"


@pytest.mark.parametrize(
    ("sources", "reason"),
    [
        (
            {"operator": "applicant.name", "unknown": "applicant.name"},
            "“unknown”不是该类证照的数据项",
        ),
        ({"operator": "applicant.phone"}, "来源“applicant.phone”无法识别"),
        ({"operator": "="}, "来源“=”无法识别"),
        ({"operator": "organization.name"}, "要求单位申请"),
        # Nothing fills 经营场所 (required): the schema names it rather than sign it blank.
        (
            {"operator": "applicant.name", "premises": "form.missing", "kind": "=个体"},
            "经营场所",
        ),
        ({"operator": "applicant.name", "premises": "=短", "kind": "=个体"}, "经营场所"),
    ],
)
def test_a_bad_rule_is_refused_naming_the_fault(
    world, item, trader, applicant, office, sources, reason
):
    make_seal(world.county_agency)
    rule(item, trader, field_sources=sources)
    case = completed_case(applicant.account, item, office)
    with pytest.raises(DomainError) as refused:
        issuance.issue_license_for_case(case_uid=str(case.uid))
    assert reason in refused.value.detail
    assert not License.objects.exists() and not SealUse.objects.exists()


def test_a_type_for_organizations_is_not_issued_to_a_person(world, item, applicant, office):
    make_seal(world.county_agency)
    rule(item, LicenseTypeFactory(), field_sources=dict(COMPANY_SOURCES))
    case = completed_case(applicant.account, item, office)
    with pytest.raises(DomainError, match="持证主体为单位"):
        issuance.issue_license_for_case(case_uid=str(case.uid))


def test_a_revoked_seal_issues_nothing(world, item, trader, applicant, office):
    seal = make_seal(world.county_agency)
    services.revoke_seal(seal=seal, actor="test", reason="印章遗失")
    rule(item, trader)
    completed_case(applicant.account, item, office)
    deliver_pending()
    assert not License.objects.exists()
    assert (
        "没有有效的“行政审批专用章”"
        in (AuditRecord.objects.get(action="license.issuance_failed").detail["reason"])
    )


def test_only_completed_cases_issue(world, item, trader, applicant, office):
    make_seal(world.county_agency)
    rule(item, trader)
    case = cases.start_application(applicant.account, item.implementation_code)
    cases.update_form(applicant.account, case, dict(ENTERED))
    cases.add_material(
        applicant.account, case, name="食品经营许可申请书", data=PDF, filename="a.pdf"
    )
    cases.submit(applicant.account, case)
    assert issuance.issue_license_for_case(case_uid=str(case.uid)) is None
    assert issuance.issue_license_for_case(case_uid="00000000-0000-0000-0000-000000000000") is None
    assert not License.objects.exists()


# --- the rule's field sources, without a case --------------------------------------------------


def test_source_problems_name_every_fault():
    schema = {"type": "object", "properties": {"a": {"title": "甲"}, "b": {"title": "乙"}}}
    assert issuance.source_problems({"a": "form.x", "b": "=固定"}, schema) == []
    assert issuance.source_problems([], schema) == ["证照数据来源须是 JSON 对象（证照字段 → 来源）"]
    problems = issuance.source_problems({"a": "form.", "b": 3, "c": "case.number"}, schema)
    assert len(problems) == 3
    assert problems[0] == "“c”不是该类证照的数据项"
    assert "“a”的来源“form.”" in problems[1] and "“b”的来源“3”" in problems[2]
