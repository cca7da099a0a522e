import pytest
from django.test import override_settings

from yiwang.cases import selectors, services
from yiwang.cases.tests.factories import open_task, submitted_case
from yiwang.core import sms
from yiwang.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_number_and_id_tail_show_the_progress_without_names(client, applicant, food_item, office):
    case = submitted_case(applicant, food_item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    response = client.get(
        "/api/progress", {"number": case.number, "id_tail": applicant.id_number[-6:]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "审查中" and [s["status"] for s in body["steps"]] == [
        "待受理",
        "审查中",
    ]
    assert "张丽华" not in response.content.decode() and "clerk" not in response.content.decode()


def test_a_wrong_tail_and_an_unknown_number_answer_alike(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    wrong = client.get("/api/progress", {"number": case.number, "id_tail": "000000"})
    unknown = client.get(
        "/api/progress", {"number": "20260101XK00000000000001", "id_tail": "000000"}
    )
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_an_sms_code_to_the_applicants_phone_also_proves_it(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    sent = client.post(
        "/api/progress/code", {"number": case.number}, content_type="application/json"
    )
    assert sent.status_code == 200
    code = sms.latest_outbox_code(applicant.phone)
    assert client.get("/api/progress", {"number": case.number, "code": code}).status_code == 200
    replay = client.get("/api/progress", {"number": case.number, "code": code})
    assert replay.status_code == 400  # one use only
    with pytest.raises(DomainError):
        selectors.public_progress(case.number, id_tail="")


@override_settings(RATELIMIT_ENABLE=True)
def test_the_lookup_is_rate_limited(client, applicant, food_item):
    case = submitted_case(applicant, food_item)
    answers = [
        client.get("/api/progress", {"number": case.number, "id_tail": "111111"}).status_code
        for _ in range(21)
    ]
    assert answers[:20] == [404] * 20 and answers[20] == 429
