"""The public verification page: the form, the QR code's URL verifying at once, uploads, and
refusals shown beside the form."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from yiwang.licenses import documents
from yiwang.licenses.models import LicenseUse
from yiwang.licenses.tests.factories import LicenseTypeFactory, company_uscc, make_seal, sign

pytestmark = pytest.mark.django_db
PAGE = "/licenses/verify/"


@pytest.fixture
def license(world):
    return sign(LicenseTypeFactory(), make_seal(world.county_agency))


def test_the_page_offers_both_ways_in(client):
    page = client.get(PAGE).content.decode()
    assert "电子证照核验" in page
    assert 'name="id"' in page and 'name="code"' in page and 'type="file"' in page
    assert "style=" not in page  # CSP: no inline styles


def test_the_qr_url_lands_here_and_verifies_at_once(client, license):
    url = documents.verification_url(license.identifier)
    response = client.get(url.split("127.0.0.1:8000", 1)[-1])
    page = response.content.decode()
    assert response.status_code == 200
    assert "核验结果：" in page and "有效" in page
    assert "芙蓉区市场监督管理局" in page and "食品经营许可证" in page
    assert f'value="{license.identifier}"' in page  # the form stays filled in
    assert LicenseUse.objects.filter(license=license).count() == 1


def test_a_wrong_code_is_told_without_saying_whether_the_license_exists(client, license):
    response = client.get(PAGE, {"id": license.identifier, "code": "ABCDEFGH"})
    assert response.status_code == 404
    assert "未找到该证照，请核对证照标识和验证码" in response.content.decode()
    response = client.get(PAGE, {"id": license.identifier, "code": "01"})
    assert response.status_code == 400
    assert 'id="verify-code-error"' in response.content.decode()


def test_an_uploaded_tampered_json_names_the_field(client, license):
    document = documents.license_document(license)
    document["license"]["data"]["premises"] = "长沙市岳麓区某地"
    upload = SimpleUploadedFile("license.json", json.dumps(document).encode())
    response = client.post("/licenses/verify/upload/", {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "已被篡改" in page and "证照数据“经营场所”" in page


def test_an_upload_of_nothing_or_garbage_is_refused_beside_the_form(client):
    response = client.post("/licenses/verify/upload/", {})
    assert response.status_code == 400 and 'id="verify-file-error"' in response.content.decode()
    upload = SimpleUploadedFile("x.pdf", b"%PDF-1.4 nothing here")
    response = client.post("/licenses/verify/upload/", {"file": upload})
    assert response.status_code == 400 and "PDF" in response.content.decode()


@override_settings(LOOKUP_RATE="1/m")
def test_lookups_are_rate_limited(client, license):
    query = {"id": license.identifier, "code": documents.verification_code(license.identifier)}
    assert client.get(PAGE, query).status_code == 200
    response = client.get(PAGE, query)
    assert response.status_code == 429 and "操作过于频繁" in response.content.decode()


# --- 批量核验 ---------------------------------------------------------------------------------

BATCH_PAGE = "/licenses/verify/batch/"


def test_the_verify_page_links_the_batch_page(client):
    assert BATCH_PAGE in client.get(PAGE).content.decode()


def test_pasted_lines_are_answered_line_by_line(client, license):
    other = sign(license.license_type, license.seal, holder_id=company_uscc(70000301))
    lines = "\n".join(
        [
            f"{license.identifier}\t{documents.verification_code(license.identifier)}",
            "",
            f"{other.identifier}, {documents.verification_code(other.identifier).lower()}",
            f"{license.identifier} ABCD 2345",
        ]
    )
    response = client.post(BATCH_PAGE, {"lines": lines})
    page = response.content.decode()
    assert response.status_code == 200
    assert "核验结果：共 3 个，有效 2 个，未核验 1 个" in page
    assert page.count('class="verdict-valid"') == 2 and page.count('class="verdict-refused"') == 1
    assert "未找到该证照，请核对证照标识和验证码" in page
    assert "芙蓉区市场监督管理局" in page
    assert LicenseUse.objects.filter(detail__channel="batch").count() == 2


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("", "一次核验的证照应为1至100个"),
        ("1.2.156.3005.2.X\n\nABC", "第1、3行应有证照标识和验证码两项"),
        ("a b\n" * 101, "一次核验的证照应为1至100个"),
        ("x" * 20_001, "内容过长"),
    ],
)
def test_bad_lines_are_refused_whole_naming_them(client, license, lines, message):
    response = client.post(BATCH_PAGE, {"lines": lines})
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and 'id="batch-lines-error"' in page
    assert not LicenseUse.objects.exists()


@override_settings(LICENSE_BATCH_RATE="1/m")
def test_the_batch_page_shares_the_batch_rate_limit(client, license):
    line = f"{license.identifier} {documents.verification_code(license.identifier)}"
    assert client.post(BATCH_PAGE, {"lines": line}).status_code == 200
    refused = client.post(BATCH_PAGE, {"lines": line})
    assert refused.status_code == 429
    assert LicenseUse.objects.count() == 1
