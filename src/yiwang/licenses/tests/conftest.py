import pytest

from yiwang.licenses.tests.factories import LicenseTypeFactory, make_seal


@pytest.fixture
def agency(world):
    """芙蓉区市场监督管理局 (sector 市场监管)."""
    return world.county_agency


@pytest.fixture
def seal(agency):
    return make_seal(agency)


@pytest.fixture
def food_type(db):
    return LicenseTypeFactory()
