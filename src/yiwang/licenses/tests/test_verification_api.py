"""The public verification API (no login) and the well-known trust list."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from yiwang.licenses import documents, identifiers, selectors, signing, verification
from yiwang.licenses.models import LicenseUse
from yiwang.licenses.tests.factories import sign

pytestmark = pytest.mark.django_db
URL = "/api/licenses/verify"
CONTRACT = {
    "verdict",
    "verdict_label",
    "detail",
    "identifier",
    "license_name",
    "holder_name",
    "issuer",
    "valid_from",
    "valid_until",
    "status",
    "changed_fields",
}


@pytest.fixture
def license(seal, food_type):
    return sign(food_type, seal)


def code_of(license) -> str:
    return documents.verification_code(license.identifier)


def test_get_verifies_by_identifier_and_code(client, license):
    response = client.get(URL, {"identifier": license.identifier, "code": code_of(license)})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT
    assert body["verdict"] == "valid" and body["verdict_label"] == "有效"
    assert body["identifier"] == license.identifier
    assert body["license_name"] == "食品经营许可证"
    assert body["holder_name"] == "长沙湘江餐饮有限公司"
    assert body["issuer"] == "芙蓉区市场监督管理局"
    assert body["valid_from"] == license.valid_from.isoformat()
    assert body["valid_until"] == license.valid_until.isoformat()
    assert body["status"] == "valid" and body["changed_fields"] == []
    assert LicenseUse.objects.get(license=license).address == "127.0.0.1"


def test_the_answer_is_the_model_the_openapi_document_declares(client, license):
    """The views encode their answer themselves (core.api.model_response), past django-ninja's
    response handling: it must still be the declared model, as JSON."""
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    declared = schemas["VerificationOut"]
    response = client.get(URL, {"identifier": license.identifier, "code": code_of(license)})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = json.loads(response.content.decode("utf-8"))
    assert set(body) == set(declared["properties"]) and set(declared["required"]) <= set(body)
    assert body["fields"] and set(body["fields"][0]) == {"name", "title", "value"}
    items = [{"identifier": license.identifier, "code": code_of(license)}]
    batch = client.post(f"{URL}/batch", {"items": items}, content_type="application/json")
    assert batch["Content-Type"] == "application/json; charset=utf-8"
    (result,) = batch.json()["results"]
    assert set(result) == set(schemas["BatchItemOut"]["properties"])
    assert set(result["verification"]) == set(declared["properties"])


def test_the_get_path_is_one_lookup_and_one_log_row(client, license, django_assert_num_queries):
    query = {"identifier": license.identifier, "code": code_of(license)}
    client.get(URL, query)  # the process opens its keys once
    with django_assert_num_queries(2):
        assert client.get(URL, query).status_code == 200


def test_wrong_code_and_unknown_identifier_are_the_same_404(client, license, seal, food_type):
    other = sign(food_type, seal)
    wrong = client.get(URL, {"identifier": license.identifier, "code": code_of(other)})
    parts = identifiers.parse_identifier(license.identifier)
    absent = str(
        identifiers.make_identifier(
            type_code=parts.type_code,
            issuer_uscc=parts.issuer_uscc,
            serial="20990000001",
            version=1,
        )
    )
    unknown = client.get(URL, {"identifier": absent, "code": documents.verification_code(absent)})
    assert wrong.status_code == 404 and wrong["Content-Type"] == "application/problem+json"
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"] == "未找到该证照，请核对证照标识和验证码"


def test_bad_parameters_are_problems_naming_the_field(client, license):
    response = client.get(URL, {"identifier": license.identifier, "code": "0O0O"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "code"
    response = client.get(URL, {"identifier": license.identifier})
    assert response.status_code == 400


@override_settings(LOOKUP_RATE="2/m")
def test_lookups_are_rate_limited_per_address(client, license):
    query = {"identifier": license.identifier, "code": code_of(license)}
    assert client.get(URL, query).status_code == 200
    assert client.get(URL, query).status_code == 200
    refused = client.get(URL, query)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1


def test_post_verifies_an_uploaded_file_and_names_a_changed_field(client, license):
    pdf = documents.license_pdf(license)
    response = client.post(URL, {"file": _file("license.pdf", pdf)})
    assert response.status_code == 200 and response.json()["verdict"] == "valid"

    document = documents.license_document(license)
    document["license"]["holder_name"] = "别的公司"
    response = client.post(URL, {"file": _file("license.json", json.dumps(document).encode())})
    body = response.json()
    assert body["verdict"] == "tampered"
    assert body["changed_fields"] == ["holder_name"]
    assert body["changed"] == [{"field": "holder_name", "label": "持证主体名称"}]


def test_post_verifies_a_qr_payload_and_refuses_nothing_or_garbage(client, license):
    response = client.post(URL, {"qr": documents.verification_url(license.identifier)})
    assert response.status_code == 200 and response.json()["verdict"] == "valid"
    assert client.post(URL, {}).status_code == 400
    response = client.post(URL, {"file": _file("x.json", b"\x00\x01garbage")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_the_trust_list_is_published_at_the_well_known_address(client, seal):
    response = client.get("/.well-known/yiwang-trust-list.json")
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert response["Access-Control-Allow-Origin"] == "*"
    document = response.json()
    assert document["format"] == "yiwang-trust-list/1"
    assert [entry["seal_id"] for entry in document["seals"]] == [seal.key_id]
    assert client.get("/api/licenses/trust-list").json()["seals"] == document["seals"]
    assert client.post("/.well-known/yiwang-trust-list.json").status_code == 405
    assert selectors.trust_list_document()["seals"] == document["seals"]
    key_id = verification.current_trust_list_key().key_id
    assert document["signer"]["key_id"] == key_id
    signing.check_trust_signature(document, key_id=key_id)
    signing.check_trust_signature(client.get("/api/licenses/trust-list").json(), key_id=key_id)


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)
