"""网上验证核对: by identifier and code, by the QR code's URL, by an uploaded PDF or JSON; the
verdicts (valid, expired, revoked, tampered naming the field, unknown issuer), the use log,
and the refusal of bad input without an oracle."""

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from yiwang.core.crypto import SM2KeyPair
from yiwang.core.errors import DomainError
from yiwang.licenses import documents, identifiers, services, signing, verification
from yiwang.licenses.constants import LicenseStatus, UseKind, Verdict
from yiwang.licenses.models import LicenseUse
from yiwang.licenses.tests.factories import sign

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.9"


@pytest.fixture
def license(seal, food_type):
    return sign(food_type, seal)


def code_of(license) -> str:
    return documents.verification_code(license.identifier)


def uploaded(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def test_identifier_and_code_verify_a_valid_license_and_log_the_use(license):
    outcome = verification.verify_by_code(
        license.identifier.lower(), code_of(license).lower(), address=ADDRESS
    )
    assert outcome.verdict == Verdict.VALID and outcome.verdict_label == "有效"
    assert outcome.detail == "证照有效"
    assert outcome.issuer == "芙蓉区市场监督管理局"
    assert outcome.license_name == "食品经营许可证"
    assert outcome.holder_name == "长沙湘江餐饮有限公司"  # an organization is shown whole
    assert outcome.holder_id_masked == license.holder_id_masked
    assert outcome.status == LicenseStatus.VALID
    assert [row.title for row in outcome.fields][:2] == ["经营项目", "经营场所"]
    use = LicenseUse.objects.get(license=license)
    assert (use.kind, use.user, use.address) == (UseKind.VERIFIED, "网上验证核对", ADDRESS)
    assert use.detail == {"channel": "code", "verdict": "valid"}


def test_a_wrong_code_and_an_unknown_identifier_are_refused_alike(license, seal, food_type):
    other = sign(food_type, seal)
    parts = identifiers.parse_identifier(license.identifier)
    unknown_id = str(
        identifiers.make_identifier(
            type_code=parts.type_code,
            issuer_uscc=parts.issuer_uscc,
            serial="20990000001",
            version=1,
        )
    )
    answers = []
    for identifier, code in (
        (license.identifier, code_of(other)),
        (unknown_id, documents.verification_code(unknown_id)),
    ):
        with pytest.raises(DomainError) as refused:
            verification.verify_by_code(identifier, code, address=ADDRESS)
        answers.append((refused.value.status, refused.value.detail))
    assert answers[0] == answers[1] == (404, verification.NOT_FOUND)
    assert not LicenseUse.objects.exists()


def test_a_malformed_identifier_or_code_is_refused_naming_the_field(license):
    with pytest.raises(DomainError) as refused:
        verification.verify_by_code("1.2.156.3005.2.nonsense", code_of(license))
    assert refused.value.errors[0].field == "identifier"
    with pytest.raises(DomainError) as refused:
        verification.verify_by_code(license.identifier, "0000")
    assert refused.value.errors[0].field == "code"


def test_expired_and_revoked_licenses_say_so(seal, food_type, license):
    old = sign(food_type, seal, issued_on=date(2018, 3, 1))
    outcome = verification.verify_by_code(old.identifier, code_of(old))
    assert outcome.verdict == Verdict.EXPIRED
    assert "2023年2月28日" in outcome.detail

    type(license).objects.filter(pk=license.pk).update(
        status=LicenseStatus.REVOKED,
        status_changed_at=timezone.now(),
        status_reason="以欺骗手段取得",
    )
    outcome = verification.verify_by_code(license.identifier, code_of(license))
    assert outcome.verdict == Verdict.REVOKED and outcome.verdict_label == "已撤销"
    assert "以欺骗手段取得" in outcome.detail and outcome.status == LicenseStatus.REVOKED


def test_a_person_is_shown_by_a_masked_name(seal, food_type):
    assert verification.mask_name("张三", "111") == "张*"
    assert verification.mask_name("欧阳娜娜", "111") == "欧***"
    assert verification.mask_name("长沙湘江餐饮有限公司", "001") == "长沙湘江餐饮有限公司"


# --- the QR code -------------------------------------------------------------------------------


def test_the_printed_qr_url_verifies(license):
    url = documents.verification_url(license.identifier)
    outcome = verification.verify_qr(url, address=ADDRESS)
    assert outcome.verdict == Verdict.VALID
    assert LicenseUse.objects.get(license=license).detail["channel"] == "code"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("", "为空或过长"),
        ("x" * 600, "为空或过长"),
        ("https://evil.example/licenses/verify/?id=1&code=2", "不是本平台的证照核验码"),
        ("javascript:alert(1)", "不是本平台的证照核验码"),
        ("http://127.0.0.1:8000/cases/progress/?id=1&code=2", "不是证照核验地址"),
        ("http://127.0.0.1:8000/licenses/verify/?id=1", "缺少证照标识或验证码"),
        ("http://127.0.0.1:8000/licenses/verify/?id=1&id=2&code=3", "缺少证照标识或验证码"),
    ],
)
def test_forged_qr_payloads_are_refused(payload, reason, settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    with pytest.raises(DomainError, match=reason) as refused:
        verification.verify_qr(payload)
    assert refused.value.errors[0].field == "qr"


def test_a_qr_url_with_a_forged_code_is_not_found(license):
    url = documents.verification_url(license.identifier, "ABCDEFGH")
    with pytest.raises(DomainError, match=verification.NOT_FOUND):
        verification.verify_qr(url)


# --- uploads -----------------------------------------------------------------------------------


def test_the_json_download_verifies_and_logs_the_use(license):
    outcome = verification.verify_upload(
        uploaded(documents.license_document(license)), address=ADDRESS
    )
    assert outcome.verdict == Verdict.VALID
    assert LicenseUse.objects.get(license=license).detail == {
        "channel": "upload",
        "verdict": "valid",
    }


def test_the_pdf_download_verifies(license):
    outcome = verification.verify_upload(documents.license_pdf(license))
    assert outcome.verdict == Verdict.VALID and outcome.issuer == "芙蓉区市场监督管理局"


def test_a_changed_field_is_named(license):
    document = documents.license_document(license)
    document["license"]["data"]["business_scope"] = "热食类食品制售、酒类销售"
    outcome = verification.verify_upload(uploaded(document), address=ADDRESS)
    assert outcome.verdict == Verdict.TAMPERED and outcome.verdict_label == "已被篡改"
    assert outcome.changed_fields == ("data.business_scope",)
    assert outcome.changed_labels == ("证照数据“经营项目”",)
    assert outcome.detail == "证照内容与签章不符，被改动的内容：证照数据“经营项目”"
    assert outcome.issuer == "芙蓉区市场监督管理局"
    assert outcome.fields == () and outcome.holder_name == ""  # nothing of a fake is shown
    assert LicenseUse.objects.get(license=license).detail["verdict"] == "tampered"

    document = documents.license_document(license)
    document["license"]["valid_until"] = "2099-12-31"
    outcome = verification.verify_upload(uploaded(document))
    assert outcome.changed_fields == ("valid_until",)
    assert outcome.changed_labels == ("有效期截止日期",)


def forged(license, key: SM2KeyPair, **changes) -> dict:
    """The license's document re-signed by a key no platform trusts."""
    payload = {**documents.license_document(license)["license"], **changes}
    payload["seal_id"] = signing.key_id_of(key.public_pem().decode())
    signed = signing.SignedLicense(payload, key.sign(signing.canonical(payload)))
    return signed.to_document()


def test_a_license_signed_by_an_unknown_seal_names_an_unknown_issuer(license):
    key = SM2KeyPair.generate()
    outcome = verification.verify_upload(uploaded(forged(license, key)))
    assert outcome.verdict == Verdict.UNKNOWN_ISSUER
    assert outcome.verdict_label == "签发机关不可信" and outcome.fields == ()

    not_here = license.identifier.replace(license.identifier.split(".")[-3], "20260009999")
    outcome = verification.verify_upload(uploaded(forged(license, key, identifier=not_here)))
    assert outcome.verdict == Verdict.UNKNOWN_ISSUER
    assert LicenseUse.objects.filter(license=license).count() == 1  # only the held one


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "空的"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "不是电子证照"),
        (b"[1, 2, 3]", "不是电子证照"),
        (b'{"format": "yiwang-signed-license/1", "license": {"seal_id": NaN}}', "不是电子证照"),
        (b"[" * 100000 + b"]" * 100000, "不是电子证照|层级过深"),
        (b'{"format": "something-else"}', "不是电子证照"),
        (b'{"format": "yiwang-signed-license/1", "license": {}, "signature": "x"}', "缺少"),
        ("证照".encode("gbk"), "不是电子证照"),
        (b"%PDF-1.4 broken", "PDF"),
    ],
)
def test_garbage_files_are_refused_with_the_reason(data, reason):
    with pytest.raises(DomainError, match=reason) as refused:
        verification.verify_upload(data)
    assert refused.value.errors[0].field == "file"
    assert not LicenseUse.objects.exists()


def test_an_oversized_upload_is_refused(settings):
    settings.MAX_UPLOAD_BYTES = 1024
    with pytest.raises(DomainError, match="不能超过"):
        verification.verify_upload(b"{" + b" " * 2048 + b"}")


def test_a_signature_that_is_not_base64_is_refused(license):
    document = documents.license_document(license)
    document["signature"] = "not base64!"
    with pytest.raises(DomainError, match="Base64"):
        verification.verify_upload(uploaded(document))


def test_a_valid_license_verified_after_its_seal_was_revoked_was_signed_while_valid(license, seal):
    services.revoke_seal(seal=seal, actor="admin", reason="更换")
    outcome = verification.verify_by_code(license.identifier, code_of(license))
    assert outcome.verdict == Verdict.VALID and outcome.signed_while_valid
    assert "签章时印章有效" in outcome.detail


def test_a_not_yet_valid_license(seal, food_type):
    later = sign(food_type, seal, valid_from=timezone.localdate() + timedelta(days=10))
    outcome = verification.verify_by_code(later.identifier, code_of(later))
    assert outcome.verdict == Verdict.NOT_YET_VALID
