"""Fixtures of the workbench's tests: staff by role, scoped in the catalog's `world` regions."""

import pytest

# The case-handling fixtures (the county office's clerk, reviewer and approver; the food item;
# two applicants) serve the case pages' tests as they serve the cases context's own.
from yiwang.cases.tests.conftest import applicant, food_item, office, other_applicant  # noqa: F401
from yiwang.identity.constants import Role
from yiwang.workbench.tests.factories import staff


@pytest.fixture
def security_admin(world):
    return staff("anquan", Role.SECURITY_ADMIN, region=world.province)


@pytest.fixture
def auditor(world):
    return staff("shenji", Role.AUDIT_ADMIN, region=world.province)


@pytest.fixture
def reviewer(world):
    return staff("shenhe", Role.REVIEWER, region=world.county)
