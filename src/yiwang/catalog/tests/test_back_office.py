"""The back office: catalog admins see their scope only, and every change goes through services."""

import pytest

from yiwang.catalog import services
from yiwang.catalog.constants import VersionStatus
from yiwang.catalog.models import CatalogItemChange, ServiceItemVersion
from yiwang.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    group = services.ensure_catalog_admin_group()

    def login(user):
        user.groups.add(group)
        client.force_login(user)
        return client

    return login


def test_county_editor_sees_only_own_agency_items(world, staff_client):
    mine = world.implement(world.county_agency)
    other = world.implement(world.other_county_agency)
    client = staff_client(world.editor(world.county, world.county_agency))

    page = client.get("/admin/catalog/serviceitem/").content.decode()

    assert mine.service_item.implementation_code in page
    assert other.service_item.implementation_code not in page
    own = client.get(f"/admin/catalog/serviceitem/{mine.service_item_id}/change/")
    assert own.status_code == 200
    version_page = client.get(f"/admin/catalog/serviceitemversion/{mine.pk}/change/")
    assert version_page.status_code == 200
    assert "与上一版相比的变化" in version_page.content.decode()
    url = f"/admin/catalog/serviceitem/{other.service_item_id}/change/"
    assert client.get(url).status_code == 302  # not in the queryset: admin redirects away


def test_submit_action_runs_the_service_and_reports_refusals(world, staff_client):
    draft = world.implement(world.county_agency, publish=False)
    client = staff_client(world.editor(world.county, world.county_agency))
    response = client.post(
        "/admin/catalog/serviceitemversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "审核发布" not in [m.message for m in response.context["messages"]]
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT  # an editor may not publish

    client.post(
        "/admin/catalog/serviceitemversion/", {"action": "submit", "_selected_action": [draft.pk]}
    )
    draft.refresh_from_db()
    assert draft.status == VersionStatus.SUBMITTED


def test_catalog_item_edit_in_the_back_office_records_a_diff(world, staff_client):
    world.implement(world.county_agency)
    client = staff_client(world.reviewer(world.province))
    form = {
        "basic_code": "XK00012000",
        "item_type": "XK",
        "name": "食品经营许可证核发",
        "legal_basis": '[{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}]',
        "levels": "[1, 2, 3]",
        "sector": "市场监管",
        "audience": '["organization", "person"]',
        "themes": '["开办企业"]',
        "life_events": '["开饭店"]',
        "keywords": '["餐饮许可"]',
        "popularity": "900",
        # the read-only inline of earlier changes still posts its management form
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
        "changes-MIN_NUM_FORMS": "0",
        "changes-MAX_NUM_FORMS": "0",
    }
    response = client.post(f"/admin/catalog/catalogitem/{world.food.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    change = CatalogItemChange.objects.get()
    assert change.diff[0]["path"] == "name" and change.diff[0]["new"] == "食品经营许可证核发"


def test_unscoped_staff_sees_no_versions(world, staff_client):
    version = world.implement(world.county_agency)
    client = staff_client(UserFactory())
    assert ServiceItemVersion.objects.exists()
    response = client.get("/admin/catalog/serviceitemversion/")
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert version.service_item.implementation_code not in response.content.decode()
