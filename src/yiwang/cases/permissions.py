"""Who may do what with a case: lanes of the process templates map to staff roles, scoped by
the case's region and the task's agency (a county reviewer sees only that county's work).

A partner department's review (联办件) belongs to that department: only a reviewer assigned to
the partner agency itself may take it, not one whose role spans every agency of a region."""

from __future__ import annotations

from yiwang.cases.models import CaseTask
from yiwang.identity import selectors as identity
from yiwang.identity.constants import Role
from yiwang.identity.models import Account

APPLICANT_LANE = "applicant"
PARTNER_LANE = "partner_reviewer"
LANE_ROLES = {
    "window_clerk": Role.WINDOW_CLERK,
    "reviewer": Role.REVIEWER,
    PARTNER_LANE: Role.REVIEWER,
    "approver": Role.APPROVER,
}
AGENCY_OWN_LANES = {PARTNER_LANE}


def may_work_on(actor: Account, task: CaseTask) -> bool:
    role = LANE_ROLES.get(task.lane)
    if not role:
        return False
    if task.lane in AGENCY_OWN_LANES:
        return any(
            assignment.agency_id == task.agency_id
            and identity.covers(assignment, task.case.region_code)
            for assignment in identity.roles_of(actor).filter(role=role)
        )
    return identity.has_role(
        actor, role, region_code=task.case.region_code, agency_id=task.agency_id
    )
