import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate-limit counters and code failure counts live in the cache: each test starts clean."""
    cache.clear()
    yield
    cache.clear()
