"""Shared test fixtures: factories for the catalog's building blocks, built through services."""

import pytest
from django.core.cache import cache

from yiwang.catalog.tests.factories import CatalogWorld
from yiwang.core import keys
from yiwang.identity.testing import ListedSessionClient


@pytest.fixture
def world(db) -> CatalogWorld:
    """A province, a city and a county with agencies, and catalog items ready to implement."""
    return CatalogWorld.build()


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters and single-use markers live in the cache, unwrapped data keys in
    the process: each test's database starts without them, so each test starts clean."""
    cache.clear()
    keys.forget_keys()
    yield
    cache.clear()
    keys.forget_keys()


@pytest.fixture
def client() -> ListedSessionClient:
    """Django's test client, signing in through the session list like a real login."""
    return ListedSessionClient()
