"""一次提交: POST /api/applications takes form, files and submission at once; all or nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from yiwang.cases import services
from yiwang.cases.constants import CaseStatus, MaterialSource
from yiwang.cases.models import Case, CaseEvent, CaseMaterial
from yiwang.cases.tests.factories import PDF
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.models import AuditRecord, Event, StoredFile
from yiwang.core.tests.racing import at_once
from yiwang.identity.testing import sign_in_as

pytestmark = pytest.mark.django_db
FORM_ITEM = {
    "data_schema": {
        "type": "object",
        "required": ["premises"],
        "properties": {
            "operator": {"title": "经营者姓名", "type": "string"},
            "premises": {"title": "经营场所", "type": "string", "minLength": 4},
        },
    },
    "ui": {"prefill": {"operator": "applicant.name"}},
}
APPLICATION_FORM = "食品经营许可申请书"
FILLED = {"premises": "五一大道1号"}


@pytest.fixture
def form_item(world):
    """食品经营许可 with its own form; the ID card is held by the population registry."""
    guide = food_guide(form=FORM_ITEM)
    guide["materials"][1] = {
        "name": "经营者居民身份证",
        "basis": "《食品经营许可和备案管理办法》第十二条",
        "source": "license",
        "license_type": "居民身份证",
        "medium": "electronic",
    }
    return world.implement(world.county_agency, guide).service_item


def _pdf(name="申请书.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def _post(client, item, *, form=FILLED, names=(APPLICATION_FORM,), files=None, key="one-step-1"):
    body = {
        "implementation_code": item.implementation_code,
        "form": form if isinstance(form, str) else json.dumps(form),
        "material_names": list(names),
        "files": files if files is not None else [_pdf()],
    }
    return client.post("/api/applications", body, HTTP_IDEMPOTENCY_KEY=key)


def _nothing_written() -> bool:
    return not (
        Case.objects.exists() or CaseMaterial.objects.exists() or CaseEvent.objects.exists()
    )


def test_one_request_submits_with_prefill_upload_and_held_material(client, applicant, form_item):
    sign_in_as(client, applicant.account)
    answer = _post(client, form_item, form={"premises": "五一大道1号", "operator": "冒名"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["status"] == CaseStatus.SUBMITTED and body["number"].endswith("000001")
    assert body["form"] == {"premises": "五一大道1号", "operator": "张丽华"}  # held, not typed
    sources = {m["name"]: m["source"] for m in body["materials"]}
    assert sources == {APPLICATION_FORM: MaterialSource.UPLOAD, "经营者居民身份证": "held"}
    case = Case.objects.get()
    assert case.due_on and case.tasks.get().spec == "accept"
    assert [e.action for e in case.events.order_by("pk")] == ["material_added", "submitted"]
    assert Event.objects.filter(topic="case.submitted", payload__number=case.number).exists()
    assert AuditRecord.objects.filter(action="case.submitted", target=case.number).exists()


def test_a_retry_with_the_same_key_answers_200_with_the_same_case(client, applicant, form_item):
    sign_in_as(client, applicant.account)
    first = _post(client, form_item)
    again = _post(client, form_item, files=[_pdf(data=PDF + b"% another\n")])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert Case.objects.count() == 1 and CaseMaterial.objects.filter(source="upload").count() == 1
    other = _post(client, form_item, key="one-step-2")
    assert other.status_code == 201 and other.json()["number"] != first.json()["number"]


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"form": "[1, 2]"}, "form", "JSON 对象"),
        ({"form": "{not json"}, "form", "JSON 对象"),
        ({"form": {"premises": "小"}}, "form.premises", "至少4个字"),
        ({"form": {}}, "form.premises", "必须填写"),
        ({"names": ()}, "material_names", "一一对应"),
        ({"names": ("营业执照副本",)}, "material", "不是本事项的申请材料"),
        ({"names": (APPLICATION_FORM, APPLICATION_FORM), "files": 2}, "material", "只能提交一份"),
        ({"names": (), "files": 0}, "materials", APPLICATION_FORM),
        ({"files": "exe"}, "file", "文件类型不受支持"),
    ],
)
def test_bad_input_names_the_field_and_keeps_nothing(
    client, applicant, form_item, changes, field, reason
):
    sign_in_as(client, applicant.account)
    files = {
        2: [_pdf(), _pdf("b.pdf", PDF + b"%b\n")],
        0: [],
        "exe": [SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00 not a pdf")],
    }.get(changes.pop("files", None))
    answer = _post(client, form_item, files=files, **changes)
    assert answer.status_code == 400, answer.content
    problem = answer.json()
    assert field in {error["field"] for error in problem["errors"]}, problem
    assert reason in problem["detail"]
    assert _nothing_written()


def test_a_failed_submission_leaves_no_file_row(client, applicant, form_item):
    sign_in_as(client, applicant.account)
    answer = _post(client, form_item, form={"premises": "小"})
    assert answer.status_code == 400 and not StoredFile.objects.exists()


def test_who_may_submit(client, applicant, other_applicant, form_item, world):
    assert _post(client, form_item).status_code == 401
    sign_in_as(client, applicant.account)
    stranger = client.post(
        "/api/applications",
        {
            "implementation_code": form_item.implementation_code,
            "organization_uscc": world.county_agency.uscc,
            "material_names": [APPLICATION_FORM],
            "files": [_pdf()],
        },
    )
    assert stranger.status_code == 403 and "法定代表人" in stranger.json()["detail"]
    unknown = client.post("/api/applications", {"implementation_code": "NOSUCHITEM"})
    assert unknown.status_code == 404
    assert _nothing_written()
    mine = _post(client, form_item).json()
    sign_in_as(client, other_applicant.account)
    assert client.get(f"/api/cases/{mine['uid']}").status_code == 404
    theirs = _post(client, form_item)  # the same key from someone else is their own case
    assert theirs.status_code == 201 and theirs.json()["uid"] != mine["uid"]


@pytest.mark.django_db(transaction=True)
def test_two_racing_retries_make_one_case(applicant, form_item):
    numbers: list[str] = []

    def send() -> None:
        case, _ = services.submit_application(
            applicant.account,
            form_item.implementation_code,
            form={"premises": "五一大道1号"},
            uploads=[services.Upload(APPLICATION_FORM, "a.pdf", PDF)],
            idempotency_key="racing",
        )
        numbers.append(case.number)

    at_once(send, send)
    assert len(numbers) == 2 and numbers[0] == numbers[1], numbers
    assert Case.objects.count() == 1
