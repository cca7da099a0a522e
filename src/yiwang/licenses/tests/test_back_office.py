"""The back office: a seal made on its screen runs 制章; seals and licenses are read-only there;
the license catalog is edited there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.core.models import AuditRecord
from yiwang.licenses.models import Seal
from yiwang.licenses.tests.factories import company_uscc, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("security", "Pw-2026-back"))
    return client


def seal_form(agency, name: str, **changes) -> dict:
    start = timezone.localtime()
    end = start + timedelta(days=365)
    form = {
        "agency": agency.pk,
        "name": name,
        "valid_from_0": start.strftime("%Y-%m-%d"),
        "valid_from_1": start.strftime("%H:%M:%S"),
        "valid_until_0": end.strftime("%Y-%m-%d"),
        "valid_until_1": end.strftime("%H:%M:%S"),
    }
    return form | changes


def test_a_seal_added_on_screen_is_made_by_the_service(admin_client, agency):
    response = admin_client.post("/admin/licenses/seal/add/", seal_form(agency, "电子证照专用章"))
    assert response.status_code == 302
    seal = Seal.objects.get(name="电子证照专用章")
    assert seal.key_id and seal.private_key_sealed and seal.image_id
    assert AuditRecord.objects.get(action="seal.made").actor == "security"

    page = admin_client.get(f"/admin/licenses/seal/{seal.pk}/change/").content.decode()
    assert seal.key_id in page
    assert "private_key_sealed" not in page and seal.private_key_sealed not in page
    assert 'name="name"' not in page  # nothing to edit


def test_a_seal_the_service_would_refuse_is_refused_on_screen(admin_client, seal):
    response = admin_client.post("/admin/licenses/seal/add/", seal_form(seal.agency, seal.name))
    assert response.status_code == 200
    assert "已有名为“行政审批专用章”的有效印章" in response.content.decode()
    assert Seal.objects.count() == 1


def test_licenses_are_listed_masked_and_found_by_identifier(admin_client, seal, food_type):
    license = sign(food_type, seal)
    page = admin_client.get("/admin/licenses/license/", {"q": license.identifier})
    assert license.identifier in page.content.decode()
    assert license.holder_id_masked in page.content.decode()
    other = sign(food_type, seal, holder_id=company_uscc(70000011))
    typed = admin_client.get("/admin/licenses/license/", {"q": f" {license.identifier.lower()} "})
    assert license.identifier in typed.content.decode()
    assert other.identifier not in typed.content.decode()
    for junk in ("营业执照", license.identifier[:-1] + "?"):
        listed = admin_client.get("/admin/licenses/license/", {"q": junk}).content.decode()
        assert license.identifier not in listed and other.identifier not in listed
    records = admin_client.get("/admin/licenses/lifecyclerecord/", {"q": license.identifier})
    assert records.status_code == 200
    detail = admin_client.get(f"/admin/licenses/license/{license.pk}/change/").content.decode()
    assert license.holder_id_sealed not in detail
    for screen in ("sealuse/", "licensetype/add/", f"licensetype/{food_type.pk}/change/"):
        assert admin_client.get(f"/admin/licenses/{screen}").status_code == 200
