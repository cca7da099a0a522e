"""The trust list: every seal's public key, validity and status, published as JSON and signed
by the platform's trust-list key, enough to verify licenses offline; revoked seals stay
listed so what they signed before still verifies."""

import json
from datetime import date

import pytest
from django.conf import settings
from django.core.management import call_command

from yiwang.core.errors import DomainError
from yiwang.core.models import AuditRecord
from yiwang.core.tests.racing import at_once
from yiwang.licenses import services, signing, verification
from yiwang.licenses.constants import Verdict
from yiwang.licenses.models import TrustListKey
from yiwang.licenses.tests.factories import make_seal, sign

pytestmark = pytest.mark.django_db
ISSUED = date(2024, 5, 10)


def published() -> dict:
    """The trust list as a verifier downloads it."""
    return json.loads(json.dumps(verification.published_trust_list()))


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


def test_the_published_list_is_signed_by_the_platforms_current_key(seal, capsys):
    document = published()
    call_command("licenses_trust", "key")
    key_id = document["signer"]["key_id"]
    assert f"本平台信任列表签名密钥标识：{key_id}" in capsys.readouterr().out
    assert signing.key_id_of(document["signer"]["public_key_pem"]) == key_id
    signing.check_trust_signature(document, key_id=key_id)
    assert published()["signer"]["key_id"] == key_id  # one key, made once and audited
    assert AuditRecord.objects.filter(action="license.trust_list_key_made").count() == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda document: document["seals"][0].update(status="revoked"),
        lambda document: document["seals"].append(dict(document["seals"][0], seal_name="假章")),
        lambda document: document.update(platform="https://elsewhere.example"),
        lambda document: document["signer"].update(key_id="0" * 64),
    ],
)
def test_a_list_changed_after_signing_is_refused(seal, change):
    document = published()
    key_id = document["signer"]["key_id"]
    change(document)
    with pytest.raises(DomainError) as refused:
        signing.check_trust_signature(document, key_id=key_id)
    assert refused.value.errors[0].field == "trust_list"
    assert "签名" in refused.value.errors[0].message


def test_an_unsigned_list_or_one_signed_by_another_key_is_refused(seal):
    document = published()
    key_id = document.pop("signer")["key_id"]
    with pytest.raises(DomainError, match="没有签名"):
        signing.check_trust_signature(document, key_id=key_id)
    with pytest.raises(DomainError, match="签名密钥标识不符"):
        signing.check_trust_signature(published(), key_id="f" * 64)
    broken = published()
    broken["signature"] = "not base64!"
    with pytest.raises(DomainError, match="签名或签名公钥格式不正确"):
        signing.check_trust_signature(broken, key_id=key_id)


def test_after_rotation_the_list_is_signed_by_the_new_key_alone(seal, capsys):
    old = published()["signer"]["key_id"]
    call_command("licenses_trust", "key", "--rotate")
    new = verification.current_trust_list_key().key_id
    assert new != old and new in capsys.readouterr().out
    document = published()
    signing.check_trust_signature(document, key_id=new)
    with pytest.raises(DomainError, match="签名密钥标识不符"):
        signing.check_trust_signature(document, key_id=old)


@pytest.mark.django_db(transaction=True)
def test_two_first_publications_at_once_agree_on_one_key():
    made: list[str] = []

    def publish() -> None:
        made.append(verification.current_trust_list_key().key_id)

    at_once(publish, publish)
    assert len(made) == 2 and made[0] == made[1]
    assert TrustListKey.objects.get().key_id == made[0]
