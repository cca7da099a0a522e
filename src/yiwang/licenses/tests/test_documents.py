"""The license as its holder carries it: the verification code, the signed JSON and the PDF
that embeds it, and the refusal of files that are not license PDFs."""

import io
import json

import pytest
from pypdf import PdfReader, PdfWriter

from yiwang.core.errors import DomainError
from yiwang.licenses import documents, seal_image, signing
from yiwang.licenses.constants import Verdict
from yiwang.licenses.tests.factories import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def license(seal, food_type):
    return sign(food_type, seal)


def test_the_verification_code_is_eight_unambiguous_characters_fixed_per_license(license):
    code = documents.verification_code(license.identifier)
    assert len(code) == 8
    assert set(code) <= set(documents.CODE_ALPHABET)
    assert not set(code) & set("01IO")
    assert documents.verification_code(license.identifier.lower() + " ") == code
    assert documents.verification_code(license.identifier) == code  # deterministic


def test_codes_differ_between_licenses(seal, food_type):
    codes = {documents.verification_code(sign(food_type, seal).identifier) for _ in range(5)}
    assert len(codes) == 5


def test_a_typed_code_is_normalized_and_a_malformed_one_refused():
    assert documents.normalize_code(" abcd-efgh ") == "ABCDEFGH"
    for bad in ("", "ABCDEFG", "ABCDEFGHJ", "ABCDEFG0", "ABCDEFGI", "数字数字数字数字"):
        with pytest.raises(DomainError, match="8位字母或数字") as refused:
            documents.normalize_code(bad)
        assert refused.value.errors[0].field == "code"


def test_the_json_document_is_the_signed_license_with_names_to_read(license):
    document = json.loads(json.dumps(documents.license_document(license)))
    assert document["format"] == signing.SIGNED_LICENSE_FORMAT
    assert document["type_name"] == "食品经营许可证"
    assert document["issuer_name"] == "芙蓉区市场监督管理局"
    assert document["field_titles"]["business_scope"] == "经营项目"
    assert document["verification_code"] == documents.verification_code(license.identifier)
    assert document["verification_url"].endswith(
        f"/licenses/verify/?id={license.identifier}&code={document['verification_code']}"
    )
    signed = signing.SignedLicense.from_document(document)
    assert signed.payload["holder_name"] == "长沙湘江餐饮有限公司"


def test_the_pdf_shows_the_license_and_carries_the_signed_json(license):
    pdf = documents.license_pdf(license)
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for shown in (
        "食品经营许可证",
        "长沙湘江餐饮有限公司",
        "经营项目",
        "热食类食品制售",
        "芙蓉区市场监督管理局",
        license.identifier,
        documents.verification_code(license.identifier),
        "扫码核验",
    ):
        assert shown in text.replace("\n", ""), shown
    document = documents.signed_document_from_pdf(pdf)
    assert document == json.loads(json.dumps(documents.license_document(license)))
    trust = signing.TrustList([signing.TrustedSeal(**_entry(license))])
    result = signing.verify(
        signing.SignedLicense.from_document(document), trust, today=license.issued_on
    )
    assert result.verdict == Verdict.VALID


def _entry(license) -> dict:
    seal = license.seal
    return {
        "seal_id": seal.key_id,
        "issuer_uscc": seal.agency.uscc,
        "issuer_name": seal.agency.name,
        "seal_name": seal.name,
        "public_key_pem": seal.public_key_pem,
        "valid_from": seal.valid_from,
        "valid_until": seal.valid_until,
    }


def test_a_long_value_wraps_and_the_pdf_still_reads_back(seal, food_type):
    scope = "热食类食品制售、冷食类食品制售、生食类食品制售、糕点类食品制售（含裱花蛋糕）" * 3
    license = sign(food_type, seal, data={"business_scope": scope[:200], "premises": "一号"})
    pdf = documents.license_pdf(license)
    assert (
        documents.signed_document_from_pdf(pdf)["license"]["data"]["business_scope"]
        == (scope[:200])
    )


def test_files_that_are_not_license_pdfs_are_refused_with_the_reason():
    with pytest.raises(DomainError, match="不是 PDF"):
        documents.signed_document_from_pdf(b"GIF89a......")
    specimen = seal_image.specimen_pdf(agency_name="某局", seal_name="专用章")
    with pytest.raises(DomainError, match="未含签名数据"):
        documents.signed_document_from_pdf(specimen)
    with pytest.raises(DomainError, match="已损坏或无法读取"):
        documents.signed_document_from_pdf(b"%PDF-1.7\n" + b"\x00garbage" * 50)


def test_a_pdf_whose_embedded_data_is_not_json_is_refused():
    other = PdfWriter()
    other.add_blank_page(100, 100)
    other.add_attachment(documents.ATTACHMENT_NAME, b"\xff\xfe not json")
    buffer = io.BytesIO()
    other.write(buffer)
    with pytest.raises(DomainError, match="数据已损坏"):
        documents.signed_document_from_pdf(buffer.getvalue())


def test_public_display_masks_the_fields_a_type_marks_personal(food_type):
    food_type.display_hints = {"order": ["premises"], "personal": ["business_scope"]}
    data = {"business_scope": "欧阳娜娜", "premises": "长沙市芙蓉区五一大道1号"}
    public = {row[0]: row[2] for row in documents.display_fields(food_type, data, public=True)}
    own = {row[0]: row[2] for row in documents.display_fields(food_type, data)}
    assert public == {"business_scope": "欧***", "premises": "长沙市芙蓉区五一大道1号"}
    assert own == data
