from dataclasses import dataclass

import pytest

from yiwang.cases.tests.factories import staff
from yiwang.catalog.tests.factories import food_guide
from yiwang.identity.constants import Role
from yiwang.identity.models import Account
from yiwang.identity.tests.factories import in_registry, registered


@dataclass
class Office:
    clerk: Account
    reviewer: Account
    approver: Account


@pytest.fixture
def office(world) -> Office:
    """Window clerk, reviewer and approver of 芙蓉区市场监督管理局."""
    county, agency = world.county, world.county_agency
    return Office(
        clerk=staff("clerk", Role.WINDOW_CLERK, county, agency),
        reviewer=staff("reviewer", Role.REVIEWER, county, agency),
        approver=staff("approver", Role.APPROVER, county, agency),
    )


@pytest.fixture
def food_item(world):
    """食品经营许可 (承诺件) published by the county agency."""
    guide = food_guide()
    del guide["materials"][1]  # 营业执照 comes from e-licenses (issue 5), not an upload
    return world.implement(world.county_agency, guide).service_item


@pytest.fixture
def applicant(world):
    return registered(in_registry("张丽华", 61))


@pytest.fixture
def other_applicant(world):
    return registered(in_registry("李建国", 62))


@pytest.fixture
def paid_item(world):
    """食品经营许可 with a 工本费 of 10 元."""
    guide = food_guide(fees=[{"name": "工本费", "amount_fen": 1000}])
    del guide["materials"][1]
    return world.implement(world.county_agency, guide).service_item
