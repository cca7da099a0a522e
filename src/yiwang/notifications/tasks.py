"""Every step of a case reaches its applicant (and the agent who submitted it) by inbox and SMS."""

from __future__ import annotations

from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case
from yiwang.core.events import consumer
from yiwang.notifications import services

CASE_STEPS = (
    "submitted",
    "accepted",
    "rejected",
    "correction_requested",
    "resubmitted",
    "approved",
    "denied",
    "completed",
    "withdrawn",
)


def _case_news(event_id: int, payload: dict) -> None:
    case = Case.objects.select_related("applicant", "submitted_by").get(uid=payload["case"])
    item = case.version.elements.get("name", "")
    status = CaseStatus(payload["status"]).label
    body = f"您的办件{case.number}（{item}）状态更新为“{status}”，详情请登录一网查看。"
    for person in {case.applicant, case.submitted_by}:
        services.notify(
            event_id, person, title=f"{item}：{status}", body=body, link=f"/my/cases/{case.uid}/"
        )


for step in CASE_STEPS:
    consumer(f"case.{step}")(_case_news)
