"""Issuance rules in the back office: added and changed through rules.save_issuance_rule,
checked against what issuance will ask of them (the type's fields, the implementing agencies'
seals and sector, one rule per item), every fault named beside its field in Chinese, nothing
saved on a refusal, every change audited with what changed."""

import json

import pytest

from yiwang.cases.tests import conftest as case_fixtures
from yiwang.core.errors import DomainError
from yiwang.core.events import deliver_pending
from yiwang.core.models import AuditRecord
from yiwang.licenses import rules, services
from yiwang.licenses.models import IssuanceRule, License
from yiwang.licenses.tests.factories import ACTOR, make_seal
from yiwang.licenses.tests.issuance_setup import (
    TRADER_SOURCES,
    completed_case,
    issuing_item,
    rule,
    trader_type,
)

pytestmark = pytest.mark.django_db
applicant, office = case_fixtures.applicant, case_fixtures.office

ADD = "/admin/licenses/issuancerule/add/"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("security", "Pw-2026-back"))
    return client


@pytest.fixture
def item(world):
    """食品经营许可, implemented by 芙蓉区市场监督管理局."""
    return issuing_item(world)


@pytest.fixture
def trader(db):
    return trader_type()


def _form(item, license_type, **changes) -> dict:
    form = {
        "catalog_item": item.catalog_item.pk,
        "license_type": license_type.pk,
        "seal_name": "行政审批专用章",
        "field_sources": json.dumps(TRADER_SOURCES, ensure_ascii=False),
        "renewal_item": "",
        "remind_days_before": "30",
    }
    return form | changes


def _sources(**changes) -> str:
    sources = {**TRADER_SOURCES, **changes}
    return json.dumps({name: s for name, s in sources.items() if s is not None}, ensure_ascii=False)


def _rule_audits():
    return AuditRecord.objects.filter(action__startswith="issuance_rule.")


def _errors(response) -> dict:
    assert response.status_code == 200  # the form again, not a redirect
    return response.context["adminform"].form.errors


def test_a_rule_added_on_screen_is_saved_and_audited(admin_client, item, trader, seal):
    response = admin_client.post(ADD, _form(item, trader, remind_days_before="45"))

    assert response.status_code == 302
    saved = IssuanceRule.objects.get()
    assert (saved.catalog_item, saved.license_type) == (item.catalog_item, trader)
    assert (saved.field_sources, saved.remind_days_before) == (TRADER_SOURCES, 45)
    audit = _rule_audits().get()
    assert (audit.action, audit.actor) == ("issuance_rule.created", "security")
    assert audit.target == f"IssuanceRule:{saved.pk}"
    assert audit.detail["item"] == item.catalog_item.basic_code
    assert audit.detail["changes"]["seal_name"] == [None, "行政审批专用章"]
    assert audit.detail["changes"]["license_type"] == [None, trader.code]


def test_a_change_on_screen_audits_only_what_changed(admin_client, world, item, trader, seal):
    stored = rule(item, trader)
    make_seal(world.county_agency, "电子证照专用章")
    change = f"/admin/licenses/issuancerule/{stored.pk}/change/"

    response = admin_client.post(
        change, _form(item, trader, seal_name=" 电子证照专用章 ", remind_days_before="60")
    )

    assert response.status_code == 302
    stored.refresh_from_db()
    assert (stored.seal_name, stored.remind_days_before) == ("电子证照专用章", 60)
    audit = _rule_audits().get()
    assert audit.action == "issuance_rule.changed"
    assert audit.detail["changes"] == {
        "seal_name": ["行政审批专用章", "电子证照专用章"],
        "remind_days_before": [30, 60],
    }
    assert (
        admin_client.post(
            change, _form(item, trader, seal_name="电子证照专用章", remind_days_before="60")
        ).status_code
        == 302
    )
    assert _rule_audits().count() == 1  # saved unchanged: nothing written


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"field_sources": '["applicant.name"]'}, "field_sources", "须是 JSON 对象"),
        ({"field_sources": '{"operator": '}, "field_sources", "JSON"),
        (
            {"field_sources": _sources(owner="applicant.name")},
            "field_sources",
            "“owner”不是该类证照的数据项",
        ),
        (
            {"field_sources": _sources(operator="applicant.phone")},
            "field_sources",
            "来源“applicant.phone”无法识别",
        ),
        (
            {"field_sources": _sources(authority=None)},
            "field_sources",
            "必填数据项“发证机关”（authority）没有来源",
        ),
        ({"field_sources": _sources(operator="organization.name")}, "field_sources", "取自单位"),
        ({"seal_name": "公章"}, "seal_name", "实施机构芙蓉区市场监督管理局没有有效的“公章”"),
        ({"seal_name": " "}, "seal_name", "必填"),
        ({"remind_days_before": "400"}, "remind_days_before", "提前提醒天数应在0至365天之间"),
        ({"remind_days_before": "-1"}, "remind_days_before", "大于或等于0"),
    ],
)
def test_a_rule_issuance_could_not_use_is_refused_beside_its_field(
    admin_client, item, trader, seal, changes, field, message
):
    errors = _errors(admin_client.post(ADD, _form(item, trader, **changes)))

    assert field in errors
    assert message in " ".join(errors[field])
    assert not IssuanceRule.objects.exists()
    assert not _rule_audits().exists()


def test_a_revoked_seal_does_not_count(admin_client, item, trader, seal):
    services.revoke_seal(seal=seal, actor=ACTOR, reason="印章遗失")

    errors = _errors(admin_client.post(ADD, _form(item, trader)))

    assert "没有有效的“行政审批专用章”" in errors["seal_name"][0]
    assert not IssuanceRule.objects.exists()


def test_a_type_of_another_sector_is_refused(admin_client, item, seal):
    police_type = trader_type(name="机动车驾驶证", issuing_sector="公安")

    errors = _errors(admin_client.post(ADD, _form(item, police_type)))

    assert errors["license_type"] == [
        "实施机构芙蓉区市场监督管理局不属于公安领域，不能签发机动车驾驶证"
    ]
    assert not IssuanceRule.objects.exists()


def test_a_second_rule_for_the_same_item_is_refused(admin_client, item, trader, seal):
    rule(item, trader)

    errors = _errors(admin_client.post(ADD, _form(item, trader)))

    assert errors["catalog_item"] == [
        "“食品经营许可”已有证照签发规则（签发食品经营许可证（个体）），请修改原规则"
    ]
    assert IssuanceRule.objects.count() == 1 and not _rule_audits().exists()


def test_every_fault_is_named_at_once_by_the_service(item, trader, seal):
    terms = rules.RuleTerms(
        catalog_item=item.catalog_item,
        license_type=trader,
        seal_name="公章",
        field_sources={"owner": "applicant.name"},
        remind_days_before=900,
    )
    with pytest.raises(DomainError) as refused:
        rules.save_issuance_rule(actor=ACTOR, terms=terms)

    fields = [error.field for error in refused.value.errors]
    assert set(fields) == {"field_sources", "seal_name", "remind_days_before"}
    assert fields.count("field_sources") == 6  # the unknown field and five required without
    assert not IssuanceRule.objects.exists() and not _rule_audits().exists()


def test_rules_are_not_deleted_on_screen(admin_client, item, trader, seal):
    stored = rule(item, trader)
    response = admin_client.get(f"/admin/licenses/issuancerule/{stored.pk}/delete/")
    assert response.status_code == 403
    assert IssuanceRule.objects.filter(pk=stored.pk).exists()


def test_a_rule_saved_on_screen_issues_the_license(
    admin_client, item, trader, seal, applicant, office
):
    admin_client.post(ADD, _form(item, trader))

    case = completed_case(applicant.account, item, office)
    deliver_pending()

    license = License.objects.get(case_number=case.number)
    assert license.license_type == trader and license.seal == seal
    assert license.data["operator"] == applicant.account.name
