"""Shared test fixtures: factories for the catalog's building blocks, built through services."""

import pytest

from yiwang.catalog.tests.factories import CatalogWorld


@pytest.fixture
def world(db) -> CatalogWorld:
    """A province, a city and a county with agencies, and catalog items ready to implement."""
    return CatalogWorld.build()
