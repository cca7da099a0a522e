"""The back office: a seal made on its screen runs 制章; seals and licenses are read-only there;
the license catalog is edited there; another platform is recognized there from its signed
trust list, and our own trust-list key is shown."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from yiwang.core.models import AuditRecord
from yiwang.licenses import verification
from yiwang.licenses.models import ForeignPlatform, ForeignSeal, Seal
from yiwang.licenses.tests.factories import company_uscc, sign
from yiwang.licenses.tests.test_trust_recognition import OtherPlatform

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


@pytest.fixture
def hubei():
    """Another platform publishing its signed trust list on a loopback address."""
    other = OtherPlatform()
    body = json.dumps(other.trust_list()).encode()

    class TrustListPage(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), TrustListPage)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    other.url = f"http://127.0.0.1:{server.server_address[1]}/trust-list.json"
    yield other
    server.shutdown()
    server.server_close()


def platform_form(other, key_id: str) -> dict:
    seals = {"seals-TOTAL_FORMS": "0", "seals-INITIAL_FORMS": "0"}  # the read-only inline
    return {
        "name": "湖北政务服务平台",
        "trust_list_url": other.url,
        "signer_key_id": key_id,
    } | seals


def test_a_platform_is_recognized_on_screen_only_with_the_key_that_signed_its_list(
    admin_client, hubei
):
    stranger = OtherPlatform()
    form = platform_form(hubei, stranger.key_id)
    refused = admin_client.post("/admin/licenses/foreignplatform/add/", form)
    assert refused.status_code == 200
    assert "签名密钥标识不符" in refused.content.decode()
    typo = admin_client.post("/admin/licenses/foreignplatform/add/", platform_form(hubei, "12"))
    assert "64位十六进制" in typo.content.decode()
    assert not ForeignPlatform.objects.exists()

    form = platform_form(hubei, hubei.key_id.upper())
    response = admin_client.post("/admin/licenses/foreignplatform/add/", form)
    assert response.status_code == 302
    platform = ForeignPlatform.objects.get()
    assert platform.signer_key_id == hubei.key_id
    assert ForeignSeal.objects.get().key_id == hubei.seal.seal_id
    page = admin_client.get(f"/admin/licenses/foreignplatform/{platform.pk}/change/")
    assert hubei.key_id in page.content.decode()
    assert 'name="signer_key_id"' not in page.content.decode()  # re-pinned by the command only


def test_our_trust_list_key_is_shown_without_its_private_key(admin_client):
    key = verification.current_trust_list_key()
    listed = admin_client.get("/admin/licenses/trustlistkey/").content.decode()
    assert key.key_id in listed
    detail = admin_client.get(f"/admin/licenses/trustlistkey/{key.pk}/change/").content.decode()
    assert key.public_key_pem.splitlines()[1] in detail
    assert key.private_key_sealed not in detail
    assert admin_client.get("/admin/licenses/trustlistkey/add/").status_code == 403
