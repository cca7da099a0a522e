"""The audit administrator searches the trail, checks its chain and exports a search; every
export is itself recorded."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from yiwang.core.audit import record_audit
from yiwang.core.models import AuditRecord
from yiwang.identity.testing import sign_in_as

AUDIT = reverse("workbench:audit")


@pytest.fixture
def auditor_client(client, auditor):
    sign_in_as(client, auditor)
    return client


@pytest.fixture
def trail(db):
    record_audit("login.failed", actor="系统", target="zhangwei", address="10.0.0.7")
    record_audit("login.succeeded", actor="张伟（zhangwei）", target="张伟", address="10.0.0.7")
    record_audit("role.granted", actor="安全员（anquan）", target='=HYPERLINK("http://x")')
    return AuditRecord.objects.order_by("sequence")


def _sequences(response) -> list[int]:
    return [record.sequence for record in response.context["page"].object_list]


@pytest.mark.django_db
def test_the_auditor_sees_the_newest_records_first(auditor_client, trail):
    response = auditor_client.get(AUDIT)

    page = response.content.decode()
    assert response.status_code == 200
    assert _sequences(response) == sorted(_sequences(response), reverse=True)
    assert "login.failed" in page and "10.0.0.7" in page and "张伟（zhangwei）" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "actions"),
    [
        ({"action": "login.*"}, {"login.failed", "login.succeeded"}),
        ({"action": "role.granted"}, {"role.granted"}),
        ({"actor": "zhangwei"}, {"login.succeeded"}),
        ({"target": "hyperlink"}, {"role.granted"}),
        ({"address": "10.0.0.7", "action": "login.failed"}, {"login.failed"}),
    ],
)
def test_searching_by_event_actor_target_and_address(auditor_client, trail, query, actions):
    response = auditor_client.get(AUDIT, query)

    assert {record.action for record in response.context["page"].object_list} == actions


@pytest.mark.django_db
def test_searching_by_shanghai_calendar_days(auditor_client, trail):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)

    assert len(_sequences(auditor_client.get(AUDIT, {"date_from": today, "date_to": today}))) > 3
    assert _sequences(auditor_client.get(AUDIT, {"date_to": yesterday})) == []


@pytest.mark.django_db
def test_a_reversed_date_range_is_named(auditor_client, trail):
    today = timezone.localdate()

    response = auditor_client.get(AUDIT, {"date_from": today, "date_to": today - timedelta(days=1)})

    assert response.status_code == 400
    assert "截止日期不能早于起始日期" in response.content.decode()


@pytest.mark.django_db
def test_fifty_records_a_page(auditor_client, db):
    for number in range(60):
        record_audit("case.viewed", target=f"case-{number}")

    first = auditor_client.get(AUDIT, {"action": "case.viewed"})
    second = auditor_client.get(AUDIT, {"action": "case.viewed", "page": 2})

    assert len(_sequences(first)) == 50 and len(_sequences(second)) == 10
    assert "action=case.viewed&amp;page=2" in first.content.decode()


@pytest.mark.django_db
def test_checking_an_intact_chain(auditor_client, trail):
    response = auditor_client.post(reverse("workbench:audit_verify"))

    assert "审计链校验通过" in response.content.decode()


@pytest.mark.django_db
def test_checking_names_the_first_altered_record(auditor_client, trail):
    altered = trail[1]
    AuditRecord.objects.filter(pk=altered.pk).update(target="别人")

    response = auditor_client.post(reverse("workbench:audit_verify"))

    page = response.content.decode()
    assert "审计链校验未通过" in page
    assert f"第{altered.sequence}条审计记录被篡改" in page


@pytest.mark.django_db
def test_exporting_a_search_as_a_spreadsheet_is_itself_audited(auditor_client, trail):
    response = auditor_client.post(f"{reverse('workbench:audit_export')}?action=login.*")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)))["审计记录"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("序号", "时间", "操作人", "事件", "对象", "来源地址", "详情")
    assert [row[3] for row in rows[1:]] == ["login.succeeded", "login.failed"]
    exported = AuditRecord.objects.get(action="audit.exported")
    assert exported.detail == {"filters": {"action": "login.*"}, "rows": 2}
    assert exported.actor.startswith("shenji")


@pytest.mark.django_db
def test_exported_text_never_becomes_a_formula(auditor_client, trail):
    response = auditor_client.post(f"{reverse('workbench:audit_export')}?action=role.granted")

    sheet = load_workbook(BytesIO(b"".join(response.streaming_content)))["审计记录"]
    target = sheet.cell(row=2, column=5)
    assert target.value == '=HYPERLINK("http://x")' and target.data_type == "s"


@pytest.mark.django_db
def test_export_needs_a_post(auditor_client, trail):
    assert auditor_client.get(reverse("workbench:audit_export")).status_code == 405
    assert not AuditRecord.objects.filter(action="audit.exported").exists()


@pytest.mark.django_db
def test_a_reviewer_cannot_export(client, reviewer, trail):
    sign_in_as(client, reviewer)

    assert client.post(reverse("workbench:audit_export")).status_code == 403
    assert not AuditRecord.objects.filter(action="audit.exported").exists()
