import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import services
from yiwang.cases.tests.factories import PDF, open_task, submitted_case
from yiwang.identity.testing import sign_in_as

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _apply(client, item, key="api-key-1"):
    created = client.post(
        "/api/cases", {"implementation_code": item.implementation_code}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    uid = created.json()["uid"]
    upload = client.post(
        f"/api/cases/{uid}/materials",
        {"name": "食品经营许可申请书", "file": _file()},
    )
    assert upload.status_code == 201, upload.content
    return uid, client.post(f"/api/cases/{uid}/submit", HTTP_IDEMPOTENCY_KEY=key)


def _file():
    return SimpleUploadedFile("申请书.pdf", PDF, content_type="application/pdf")


def test_apply_submit_retry_and_follow_through_the_api(client, applicant, food_item):
    sign_in_as(client, applicant.account)
    uid, submitted = _apply(client, food_item)
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    retried = client.post(f"/api/cases/{uid}/submit", HTTP_IDEMPOTENCY_KEY="api-key-1")
    assert retried.json()["number"] == submitted.json()["number"]
    mine = client.get("/api/cases").json()
    assert [case["number"] for case in mine] == [submitted.json()["number"]]
    timeline = client.get(f"/api/cases/{uid}/timeline").json()
    assert [step["action"] for step in timeline] == ["创建申请", "提交材料", "提交"]
    assert {step["actor"] for step in timeline} == {"申请人"}


def test_another_applicant_gets_404_for_the_case_and_its_materials(
    client, applicant, other_applicant, food_item
):
    sign_in_as(client, applicant.account)
    uid, _ = _apply(client, food_item)
    sign_in_as(client, other_applicant.account)
    for response in (
        client.get(f"/api/cases/{uid}"),
        client.get(f"/api/cases/{uid}/timeline"),
        client.post(f"/api/cases/{uid}/withdraw", {}, content_type=JSON),
        client.post(f"/api/cases/{uid}/materials", {"name": "食品经营许可申请书", "file": _file()}),
    ):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_staff_complete_tasks_and_bad_input_is_a_problem(client, applicant, food_item, office):
    sign_in_as(client, applicant.account)
    _apply(client, food_item)
    sign_in_as(client, office.clerk)
    tasks = client.get("/api/tasks").json()
    assert [task["spec"] for task in tasks] == ["accept"]
    task_id = tasks[0]["id"]
    bad = client.post(f"/api/tasks/{task_id}/acceptance", {"outcome": "maybe"}, content_type=JSON)
    assert bad.status_code == 400 and "受理结论" in bad.json()["detail"]
    done = client.post(f"/api/tasks/{task_id}/acceptance", {"outcome": "accept"}, content_type=JSON)
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    again = client.post(
        f"/api/tasks/{task_id}/acceptance", {"outcome": "accept"}, content_type=JSON
    )
    assert again.status_code == 409 and "办理完毕" in again.json()["detail"]
    sign_in_as(client, office.reviewer)
    assert (
        client.post("/api/tasks/999999/review", {"outcome": "pass"}, content_type=JSON).status_code
        == 404
    )


def test_the_api_needs_a_login(client):
    assert client.get("/api/cases").status_code == 401


def test_issued_notices_download_for_the_applicant_only(
    client, applicant, other_applicant, food_item, office
):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    document = case.documents.get()
    url = f"/api/cases/{case.uid}/documents/{document.pk}"
    sign_in_as(client, applicant.account)
    pdf = client.get(url)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")
    assert "attachment" in pdf["Content-Disposition"] and pdf["X-Content-Type-Options"] == "nosniff"
    sign_in_as(client, other_applicant.account)
    assert client.get(url).status_code == 404
