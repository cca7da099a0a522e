"""Cases made the way applicants make them (a draft, an upload, a submission) and the staff
who handle them, with real role assignments."""

from yiwang.cases import services
from yiwang.cases.constants import OPEN_TASK_STATUSES
from yiwang.identity import services as identity
from yiwang.identity.models import Account

SYSTEM = identity.Actor(None)
PDF = b"%PDF-1.4\n% yiwang test material\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def staff(username: str, role: str, region, agency=None) -> Account:
    account = Account.objects.create_user(username, password="x", name=username)
    identity.assign_role(SYSTEM, account, role, region=region, agency=agency)
    return account


def submitted_case(person, item, *, key: str = ""):
    case = services.start_application(person.account, item.implementation_code)
    services.add_material(
        person.account, case, name="食品经营许可申请书", data=PDF, filename="申请书.pdf"
    )
    return services.submit(person.account, case, idempotency_key=key)


def open_task(case, spec: str, **lookup):
    return case.tasks.get(spec=spec, status__in=OPEN_TASK_STATUSES, **lookup)


def approved_case(person, item, office):
    """A 承诺件 taken through acceptance, review and an approving decision by `office`."""
    case = submitted_case(person, item)
    services.decide_acceptance(office.clerk, open_task(case, "accept"), "accept")
    services.review(office.reviewer, open_task(case, "review"), "pass")
    services.decide(office.approver, open_task(case, "decide"), "approve", basis="符合条件")
    case.refresh_from_db()
    return case
