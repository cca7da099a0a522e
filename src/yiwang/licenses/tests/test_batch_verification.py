"""批量核验: many identifier + code pairs in one call, each answered as it would be alone, one
lookup and one use-log write for all; a malformed batch is refused whole, with nothing logged."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.core.errors import DomainError
from yiwang.licenses import documents, verification
from yiwang.licenses.constants import LicenseStatus, UseKind, Verdict
from yiwang.licenses.models import License, LicenseUse
from yiwang.licenses.tests.factories import company_uscc, sign

pytestmark = pytest.mark.django_db
URL = "/api/licenses/verify/batch"
ADDRESS = "198.51.100.7"
NOT_FOUND = "未找到该证照，请核对证照标识和验证码"


@pytest.fixture
def licenses(seal, food_type):
    return [sign(food_type, seal, holder_id=company_uscc(70000100 + n)) for n in range(3)]


def pair(license) -> tuple[str, str]:
    return license.identifier, documents.verification_code(license.identifier)


def test_each_pair_is_answered_in_order_and_logged_as_a_batch_use(licenses):
    first, revoked, tampered = licenses
    License.objects.filter(pk=revoked.pk).update(
        status=LicenseStatus.REVOKED, status_changed_at=timezone.now()
    )
    License.objects.filter(pk=tampered.pk).update(holder_name="别的餐饮有限公司")
    wrong_code = (first.identifier, documents.verification_code(revoked.identifier))
    items = [pair(first), ("1.2.156.3005.2.X", "ABCD2345"), pair(revoked), wrong_code]
    items.append(pair(tampered))

    answers = verification.verify_batch(items, address=ADDRESS)

    assert [answer.identifier for answer in answers] == [item[0] for item in items]
    valid, malformed, revoked_answer, refused, tampered_answer = answers
    assert valid.outcome.verdict == Verdict.VALID and valid.error == ""
    assert valid.outcome.holder_name == "长沙湘江餐饮有限公司"
    assert malformed.outcome is None and malformed.field == "identifier"
    assert "证照标识" in malformed.error
    assert revoked_answer.outcome.verdict == Verdict.REVOKED
    assert (refused.outcome, refused.field, refused.error) == (None, "", NOT_FOUND)
    assert tampered_answer.outcome.verdict == Verdict.TAMPERED
    assert tampered_answer.outcome.holder_name == ""  # nothing of an altered record is shown
    uses = LicenseUse.objects.order_by("license_id")
    assert [use.license_id for use in uses] == [first.pk, revoked.pk, tampered.pk]
    assert {(use.kind, use.address, use.detail["channel"]) for use in uses} == {
        (UseKind.VERIFIED, ADDRESS, "batch")
    }
    assert [use.detail["verdict"] for use in uses] == ["valid", "revoked", "tampered"]


def test_a_batch_is_one_lookup_however_many_licenses(seal, food_type):
    batch = [sign(food_type, seal, holder_id=company_uscc(70000200 + n)) for n in range(12)]
    verification.verify_batch([pair(batch[0])])  # the process opens its keys once
    with CaptureQueriesContext(connection) as queries:
        answers = verification.verify_batch([pair(license) for license in batch])
    lookups = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(lookups) == 1
    assert all(answer.outcome.verdict == Verdict.VALID for answer in answers)
    assert LicenseUse.objects.filter(detail__channel="batch").count() == 13


@pytest.mark.parametrize("size", [0, verification.BATCH_MAX + 1])
def test_an_empty_or_oversized_batch_is_refused_naming_items(licenses, size):
    items = [pair(licenses[0])] * size
    with pytest.raises(DomainError) as refused:
        verification.verify_batch(items)
    assert refused.value.errors[0].field == "items"
    assert "1至100" in refused.value.errors[0].message
    assert not LicenseUse.objects.exists()


def test_the_api_answers_each_item_with_its_verification_or_reason(client, licenses):
    items = [dict(zip(("identifier", "code"), pair(license), strict=True)) for license in licenses]
    items.append({"identifier": licenses[0].identifier, "code": "0O0O"})
    response = client.post(URL, {"items": items}, content_type="application/json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["identifier"] for result in results[:3]] == [x.identifier for x in licenses]
    assert all(result["verification"]["verdict"] == "valid" for result in results[:3])
    assert results[0]["verification"]["issuer"] == "芙蓉区市场监督管理局"
    assert results[3]["verification"] is None and results[3]["field"] == "code"
    assert LicenseUse.objects.filter(address="127.0.0.1").count() == 3


def test_the_api_refuses_a_body_without_items_or_with_too_many(client, licenses):
    response = client.post(URL, {"items": []}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "items"
    item = dict(zip(("identifier", "code"), pair(licenses[0]), strict=True))
    response = client.post(URL, {"items": [item] * 101}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "items"
    response = client.post(URL, {"things": [item]}, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "items"
    assert not LicenseUse.objects.exists()


@override_settings(LICENSE_BATCH_RATE="2/m")
def test_batches_are_rate_limited_per_address(client, licenses):
    body = {"items": [dict(zip(("identifier", "code"), pair(licenses[0]), strict=True))]}
    for _ in range(2):
        assert client.post(URL, body, content_type="application/json").status_code == 200
    refused = client.post(URL, body, content_type="application/json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert LicenseUse.objects.count() == 2
