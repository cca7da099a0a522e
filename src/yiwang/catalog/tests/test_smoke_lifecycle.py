from yiwang.catalog import selectors
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.search import Filters


def test_published_item_is_found_by_initials(world):
    version = world.implement(world.county_agency)
    assert version.status == VersionStatus.PUBLISHED
    page = selectors.search("spjyxk", Filters())
    assert [e.implementation_code for e in page.results] == [
        version.service_item.implementation_code
    ]
