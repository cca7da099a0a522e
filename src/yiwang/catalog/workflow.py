"""The one table of allowed lifecycle transitions of a service-item version."""

from yiwang.catalog.constants import VersionStatus as S
from yiwang.core.errors import Conflict

TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED},
    S.SUBMITTED: {S.PUBLISHED, S.DRAFT},
    S.PUBLISHED: {S.SUPERSEDED, S.REVOKED},
    S.SUPERSEDED: set(),
    S.REVOKED: set(),
}


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict("status", f"版本状态为“{S(current).label}”，不能变为“{S(target).label}”")
