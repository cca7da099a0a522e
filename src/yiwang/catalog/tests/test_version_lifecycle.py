import pytest
from django.core.exceptions import ValidationError

from yiwang.catalog import selectors, services
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import SearchEntry, ServiceItemVersion
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.errors import Conflict, DomainError
from yiwang.core.models import Event

pytestmark = pytest.mark.django_db


def test_draft_submit_publish_indexes_and_emits_events(world):
    version = world.implement(world.county_agency, publish=False)
    assert version.status == VersionStatus.DRAFT
    assert not SearchEntry.objects.exists()

    services.submit_version(actor=SYSTEM, version=version)
    services.publish_version(actor=SYSTEM, version=version)

    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.published_at is not None
    entry = SearchEntry.objects.get()
    assert entry.implementation_code == version.service_item.implementation_code
    assert entry.region_code == "430102000000"
    topics = list(Event.objects.values_list("topic", flat=True))
    assert "catalog.version_submitted" in topics and "catalog.version_published" in topics


def test_publishing_a_revision_supersedes_but_keeps_the_old_version(world):
    first = world.implement(world.county_agency)
    draft = services.start_revision(actor=SYSTEM, service_item=first.service_item)
    services.edit_draft(
        actor=SYSTEM, version=draft, guide=food_guide(promised_limit=5), change_note="压缩时限"
    )
    services.submit_version(actor=SYSTEM, version=draft)
    services.publish_version(actor=SYSTEM, version=draft)

    first.refresh_from_db()
    assert first.status == VersionStatus.SUPERSEDED
    assert first.guide["promised_limit"] == 10  # what earlier cases pinned stays as it was
    _, current = selectors.guide_of(first.service_item.implementation_code)
    assert current.number == 2 and current.parsed.promised_limit == 5


def test_submitted_and_published_content_is_immutable(world):
    version = world.implement(world.county_agency)
    version.guide = {**version.guide, "promised_limit": 1}
    with pytest.raises(ValidationError):
        version.save()
    with pytest.raises(DomainError, match="只有草稿可以修改"):
        services.edit_draft(actor=SYSTEM, version=version, guide=food_guide())


def test_transitions_outside_the_table_are_refused(world):
    version = world.implement(world.county_agency, publish=False)
    with pytest.raises(Conflict, match="不能变为“已发布”"):
        services.publish_version(actor=SYSTEM, version=version)
    services.submit_version(actor=SYSTEM, version=version)
    with pytest.raises(Conflict):
        services.submit_version(actor=SYSTEM, version=version)


def test_reviewer_can_return_a_submission_with_a_reason(world):
    version = world.implement(world.county_agency, publish=False)
    services.submit_version(actor=SYSTEM, version=version)
    with pytest.raises(DomainError, match="原因"):
        services.return_version(actor=SYSTEM, version=version, reason=" ")
    services.return_version(actor=SYSTEM, version=version, reason="收费依据不全")
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert version.return_reason == "收费依据不全"


def test_revocation_takes_the_item_out_of_search_and_the_guide(world):
    version = world.implement(world.county_agency)
    services.revoke_service_item(actor=SYSTEM, service_item=version.service_item, reason="事项取消")
    version.refresh_from_db()
    assert version.status == VersionStatus.REVOKED
    assert not SearchEntry.objects.exists()
    with pytest.raises(DomainError, match="不存在"):
        selectors.guide_of(version.service_item.implementation_code)


def test_only_one_open_revision_at_a_time(world):
    version = world.implement(world.county_agency)
    services.start_revision(actor=SYSTEM, service_item=version.service_item)
    with pytest.raises(DomainError, match="未发布的第2版"):
        services.start_revision(actor=SYSTEM, service_item=version.service_item)


def test_implementation_outside_the_allowed_levels_is_refused(world):
    world.food.levels = [1, 2]
    world.food.save()
    with pytest.raises(DomainError, match="只能由省级、市级机构实施"):
        world.implement(world.county_agency)
    assert not ServiceItemVersion.objects.exists()
