import pytest

from yiwang.identity.tests.factories import in_registry, registered


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 11))


@pytest.fixture
def bob(world):
    return registered(in_registry("李建国", 12))
