"""The trust list: every seal's public key, validity and status, published as JSON, enough to
verify licenses offline; revoked seals stay listed so what they signed before still verifies."""

import json
from datetime import date

import pytest
from django.conf import settings

from yiwang.core.errors import DomainError
from yiwang.licenses import selectors, services, signing
from yiwang.licenses.constants import Verdict
from yiwang.licenses.tests.factories import make_seal, sign

pytestmark = pytest.mark.django_db
ISSUED = date(2024, 5, 10)


def published() -> dict:
    """The trust list as a verifier downloads it."""
    return json.loads(json.dumps(selectors.trust_list_document()))


def test_the_trust_list_names_each_seal_its_key_validity_and_status(agency, seal):
    retired = make_seal(agency, "旧章")
    services.revoke_seal(seal=retired, actor="admin", reason="更换")
    retired.refresh_from_db()
    document = published()

    assert document["format"] == "yiwang-trust-list/1"
    assert document["platform"] == settings.PUBLIC_BASE_URL
    entries = {entry["seal_name"]: entry for entry in document["seals"]}
    assert entries["行政审批专用章"] == {
        "seal_id": seal.key_id,
        "issuer_uscc": agency.uscc,
        "issuer_name": "芙蓉区市场监督管理局",
        "seal_name": "行政审批专用章",
        "public_key_pem": seal.public_key_pem,
        "valid_from": signing.utc_instant(seal.valid_from),
        "valid_until": signing.utc_instant(seal.valid_until),
        "status": "active",
        "revoked_at": None,
    }
    assert entries["旧章"]["status"] == "revoked"
    assert entries["旧章"]["revoked_at"] == signing.utc_instant(retired.revoked_at)
    assert "PRIVATE" not in json.dumps(document)


def test_a_downloaded_license_verifies_offline_from_the_trust_list_alone(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    copy = json.loads(json.dumps(services.signed_license_of(license).to_document()))
    trust = signing.TrustList.from_document(published())

    result = signing.verify(signing.SignedLicense.from_document(copy), trust, today=ISSUED)
    assert result.verdict == Verdict.VALID
    assert result.issuer.uscc == seal.agency.uscc

    services.revoke_seal(seal=seal, actor="admin", reason="密钥更换")
    later = signing.TrustList.from_document(published())
    result = signing.verify(signing.SignedLicense.from_document(copy), later, today=ISSUED)
    assert result.verdict == Verdict.VALID and result.signed_while_valid


def test_a_trust_list_that_does_not_hold_together_is_refused(seal):
    document = published()
    other = make_seal(seal.agency, "另一枚章")
    document["seals"][0]["public_key_pem"] = other.public_key_pem  # a key under another's id
    with pytest.raises(DomainError, match="标识与公钥不符"):
        signing.TrustList.from_document(document)

    document = published()
    del document["seals"][0]["valid_until"]
    with pytest.raises(DomainError, match="条目不完整或格式不正确"):
        signing.TrustList.from_document(document)

    document = published()
    document["seals"][0]["public_key_pem"] = (
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    )
    with pytest.raises(DomainError, match="条目不完整或格式不正确"):
        signing.TrustList.from_document(document)

    with pytest.raises(DomainError, match="不是信任列表"):
        signing.TrustList.from_document({"seals": []})
