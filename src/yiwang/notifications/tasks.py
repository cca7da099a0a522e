"""Every step of a case reaches its applicant (and the agent who submitted it) by inbox and SMS;
so do a license's issue, every later step of it (变更, 延续, 注销, 撤销) and its coming expiry
(主动服务) to its holder."""

from __future__ import annotations

from datetime import date

from yiwang.cases.constants import CaseStatus
from yiwang.cases.models import Case
from yiwang.core.events import consumer
from yiwang.identity.models import Account
from yiwang.licenses.constants import LifecycleAction
from yiwang.licenses.models import License
from yiwang.licenses.signing import chinese_date
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


# --- e-licenses: issued, and about to expire (主动服务) ----------------------------------------

WALLET_LINK = "/my/licenses/"


def _holders(payload: dict):
    return Account.objects.filter(pk__in=payload.get("accounts") or [], is_active=True)


@consumer("license.issued")
def license_issued(event_id: int, payload: dict) -> None:
    licenses = License.objects.select_related("license_type")
    license = licenses.filter(identifier=payload["identifier"]).first()
    if license is None:
        return
    name = license.license_type.name
    case = f"（办件{payload['case']}）" if payload.get("case") else ""
    body = f"您的{name}已签发{case}，可登录一网在“我的证照”中查看、下载和亮证。"
    for person in _holders(payload):
        services.notify(
            event_id, person, title=f"电子证照已签发：{name}", body=body, link=WALLET_LINK
        )


# What the holder is told of a step the issuing authority took; {name}, {issuer}, {reason},
# {until} filled from the license the event names.
LIFECYCLE_NEWS = {
    LifecycleAction.CHANGED: "您的{name}已由{issuer}变更（{reason}），原证照同时失效，"
    "新证照可在“我的证照”中查看。",
    LifecycleAction.RENEWED: "您的{name}已由{issuer}延续，有效期至{until}，"
    "新证照可在“我的证照”中查看。",
    LifecycleAction.CANCELLED: "您的{name}已由{issuer}注销，原因：{reason}。",
    LifecycleAction.REVOKED: "您的{name}已由{issuer}撤销，原因：{reason}。如有异议，"
    "可向{issuer}了解详情，或依法申请行政复议、提起行政诉讼。",
}


def license_step(event_id: int, payload: dict) -> None:
    licenses = License.objects.select_related("license_type", "issuer")
    license = licenses.filter(identifier=payload["identifier"]).first()
    if license is None:
        return
    action = LifecycleAction(payload["action"])
    body = LIFECYCLE_NEWS[action].format(
        name=license.license_type.name,
        issuer=license.issuer.name,
        reason=payload.get("reason", ""),
        until=chinese_date(license.valid_until) if license.valid_until else "长期",
    )
    title = f"电子证照已{action.label}：{license.license_type.name}"
    for person in _holders(payload):
        services.notify(event_id, person, title=title, body=body, link=WALLET_LINK)


for action in LIFECYCLE_NEWS:
    consumer(f"license.{action}")(license_step)


@consumer("license.expiring")
def license_expiring(event_id: int, payload: dict) -> None:
    name = payload.get("type_name") or "电子证照"
    body = f"您的{name}将于{chinese_date(date.fromisoformat(payload['valid_until']))}到期"
    if payload.get("renewal_item"):
        body += f"，请及时办理“{payload['renewal_item']}”。"
    else:
        body += "，请及时向发证机关申请延续。"
    link = payload.get("renewal_link") or WALLET_LINK
    for person in _holders(payload):
        services.notify(event_id, person, title=f"证照即将到期：{name}", body=body, link=link)
