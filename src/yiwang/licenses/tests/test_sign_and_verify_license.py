"""用章 and 网上验证核对: a license signed by its agency's seal over the canonical form, every
use logged, and verification telling valid, expired, revoked, tampered (naming what changed)
and unknown issuers apart."""

import base64
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from yiwang.core.crypto import SM2KeyPair
from yiwang.core.errors import Conflict, DomainError
from yiwang.identity.tests.factories import in_registry
from yiwang.licenses import selectors, services, signing
from yiwang.licenses.constants import HolderKind, LicenseStatus, Verdict
from yiwang.licenses.identifiers import make_identifier, parse_identifier
from yiwang.licenses.models import License, SealUse, SerialCounter
from yiwang.licenses.tests.factories import (
    FOOD_DATA,
    LicenseTypeFactory,
    company_uscc,
    make_seal,
    sign,
)
from yiwang.registries.models import PersonRecord

pytestmark = pytest.mark.django_db
ISSUED = date(2024, 5, 10)  # five years: valid through 2029-05-09


def verify(license: License, **kwargs) -> signing.Verification:
    """Verification as the public page will run it: look the identifier up, then verify."""
    kwargs.setdefault("today", ISSUED)
    return services.verify_license(selectors.license_by_identifier(license.identifier), **kwargs)


def holders_copy(license: License) -> dict:
    """The JSON a holder downloads, as it comes back from a file."""
    return json.loads(json.dumps(services.signed_license_of(license).to_document()))


def presented(document: dict) -> signing.SignedLicense:
    return signing.SignedLicense.from_document(document)


# --- signing --------------------------------------------------------------------------------


def test_a_signed_license_verifies_as_valid_with_its_issuer(agency, seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    result = verify(license)
    assert result.verdict == Verdict.VALID and result.is_valid
    assert result.detail == "证照有效"
    assert result.issuer == signing.Issuer(agency.uscc, agency.name, seal.key_id, seal.name)
    assert result.payload["data"] == FOOD_DATA
    assert not result.signed_while_valid


def test_the_identifier_and_the_period_follow_the_type(agency, seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    expected = make_identifier(
        type_code=food_type.code, issuer_uscc=agency.uscc, serial="20240000001", version=1
    )
    assert license.identifier == str(expected)
    assert (license.valid_from, license.valid_until) == (ISSUED, date(2029, 5, 9))
    assert parse_identifier(sign(food_type, seal, issued_on=ISSUED).identifier).serial == (
        "20240000002"
    )


def test_a_new_version_keeps_the_serial_and_an_identifier_is_issued_once(seal, food_type):
    first = sign(food_type, seal, issued_on=ISSUED)
    serial = parse_identifier(first.identifier).serial
    second = sign(food_type, seal, issued_on=ISSUED, serial=serial, version=2)
    assert parse_identifier(second.identifier).serial == serial
    assert (second.version, second.identifier.split(".")[-2]) == (2, "002")
    with pytest.raises(Conflict, match="已存在") as refused:
        sign(food_type, seal, issued_on=ISSUED, serial=serial, version=2)
    assert refused.value.errors[0].field == "identifier"


def test_every_signature_is_logged_as_a_use_of_the_seal(seal, food_type):
    licenses = [sign(food_type, seal, issued_on=ISSUED) for _ in range(2)]
    uses = list(SealUse.objects.order_by("pk"))
    assert [use.document_reference for use in uses] == [lic.identifier for lic in licenses]
    for use, license in zip(uses, licenses, strict=True):
        assert (use.seal, use.actor, use.document_kind) == (seal, "system", "license")
        assert (use.digest, use.used_at) == (license.digest, license.signed_at)
    with pytest.raises(ValueError, match="只能追加"):
        uses[0].save()


def test_bad_input_is_refused_whole_naming_each_field(world, seal, food_type):
    with pytest.raises(DomainError) as refused:
        sign(food_type, seal, data={"business_scope": 5, "seats": -1, "owner": "张三"})
    assert {error.field for error in refused.value.errors} == {
        "data.owner",
        "data.business_scope",
        "data.premises",
        "data.seats",
    }
    assert "经营场所：必须填写" in refused.value.detail
    with pytest.raises(DomainError, match="统一社会信用代码校验位不正确"):
        sign(food_type, seal, holder_id=company_uscc(1)[:-1] + "0")
    with pytest.raises(DomainError, match="发证日期不能晚于今天"):
        sign(food_type, seal, issued_on=date(2999, 1, 1))
    health_office = make_seal(world.city_agency)
    world.city_agency.sector = "卫生健康"
    world.city_agency.save()
    with pytest.raises(DomainError, match="不属于市场监管领域，不能签发食品经营许可证"):
        sign(food_type, health_office)
    assert not License.objects.exists()
    assert not SealUse.objects.exists()
    assert not SerialCounter.objects.filter(last__gt=0).exists()


def test_the_holder_id_is_sealed_and_filed_under_the_registry_index(seal):
    person = in_registry("张丽华", 61)
    health = LicenseTypeFactory(for_persons=True, issuing_sector="")
    license = sign(
        health, seal, holder_id=person.id_number, holder_name="张丽华", data={"occupation": "餐饮"}
    )
    assert person.id_number not in str(License.objects.values().get(pk=license.pk))
    assert license.holder_id_masked == person.id_number[:4] + "*" * 10 + person.id_number[-4:]
    registry_index = PersonRecord.objects.get(name="张丽华").id_number_index
    assert license.holder_id_index == registry_index
    assert selectors.holder_index(HolderKind.PERSON, person.id_number) == registry_index
    assert list(selectors.licenses_held(registry_index)) == [license]
    payload = services.signed_license_of(license).payload
    assert (payload["holder_id"], payload["holder_id_type"]) == (person.id_number, "111")


# --- the canonical form -----------------------------------------------------------------------


def test_the_canonical_form_is_sorted_compact_utf8_json():
    payload = signing.license_payload(
        identifier="1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
        type_code="11100000000013338W011",
        holder_kind=HolderKind.ORGANIZATION,
        holder_id="91430102100000018A",
        holder_name="长沙湘江餐饮有限公司",
        issuer_uscc="11430000006122244L",
        data={"seats": 40, "business_scope": "热食类食品制售"},
        issued_on=date(2023, 5, 10),
        valid_from=date(2023, 5, 10),
        valid_until=None,
        version=1,
        seal_id="ab" * 32,
        signed_at=datetime(2023, 5, 10, 9, 30, 15, 999999, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
    expected = (
        '{"data":{"business_scope":"热食类食品制售","seats":40},'
        '"holder_id":"91430102100000018A","holder_id_type":"001",'
        '"holder_name":"长沙湘江餐饮有限公司",'
        '"identifier":"1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",'
        '"issued_on":"2023-05-10","issuer_uscc":"11430000006122244L",'
        f'"seal_id":"{"ab" * 32}","signed_at":"2023-05-10T01:30:15Z",'
        '"type_code":"11100000000013338W011","valid_from":"2023-05-10","valid_until":null,'
        '"version":1}'
    )
    assert signing.canonical(payload) == expected.encode()
    assert signing.canonical(dict(reversed(payload.items()))) == expected.encode()


def test_the_form_rebuilt_from_the_database_is_the_one_signed(seal, food_type):
    # PostgreSQL's jsonb reorders keys and SQLite keeps them: both must give the same bytes.
    license = sign(
        food_type, seal, data={"seats": 8, "premises": "五一大道1号", "business_scope": "x"}
    )
    license = License.objects.get(pk=license.pk)
    rebuilt = services.signed_license_of(license)
    assert rebuilt.digest == license.digest
    assert rebuilt.signature == base64.b64decode(license.signature)


# --- tampering --------------------------------------------------------------------------------


def test_one_changed_data_field_is_named(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    copy = holders_copy(license)
    copy["license"]["data"]["business_scope"] = "热食类食品制售、生食类食品制售"

    result = verify(license, presented=presented(copy))
    assert result.verdict == Verdict.TAMPERED and not result.authentic
    assert result.changed_fields == ("data.business_scope",)
    assert result.detail == "证照内容与签章不符，被改动的内容：证照数据“business_scope”"

    # Offline, with no original at hand, the change is found but cannot be named.
    offline = signing.verify(presented(copy), selectors.trust_list(), today=ISSUED)
    assert (offline.verdict, offline.changed_fields) == (Verdict.TAMPERED, ())


def test_changed_holder_and_validity_are_named_in_signed_order(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    copy = holders_copy(license)
    copy["license"]["valid_until"] = "2039-05-09"
    copy["license"]["holder_name"] = "长沙另一家餐饮有限公司"
    result = verify(license, presented=presented(copy))
    assert result.changed_fields == ("holder_name", "valid_until")
    assert "持证主体名称、有效期截止日期" in result.detail


def test_a_row_altered_in_the_database_is_caught_and_named_against_the_holders_copy(
    seal, food_type
):
    license = sign(food_type, seal, issued_on=ISSUED)
    copy = presented(holders_copy(license))
    License.objects.filter(pk=license.pk).update(holder_name="冒名公司")

    alone = verify(license)
    assert (alone.verdict, alone.changed_fields) == (Verdict.TAMPERED, ())
    against_copy = verify(license, presented=copy)
    assert (against_copy.verdict, against_copy.changed_fields) == (
        Verdict.TAMPERED,
        ("holder_name",),
    )


def test_a_sealed_holder_id_moved_from_another_row_is_caught(seal, food_type):
    license, other = (sign(food_type, seal, issued_on=ISSUED) for _ in range(2))
    License.objects.filter(pk=license.pk).update(holder_id_sealed=other.holder_id_sealed)
    result = verify(license)
    assert (result.verdict, result.detail) == (
        Verdict.TAMPERED,
        "平台存档已被改动，无法还原签署的内容",
    )


def test_an_authentic_copy_of_another_license_is_not_this_one(seal, food_type):
    license, other = (sign(food_type, seal, issued_on=ISSUED) for _ in range(2))
    result = verify(license, presented=presented(holders_copy(other)))
    assert result.verdict == Verdict.TAMPERED
    assert result.changed_fields == ("identifier",)
    assert result.detail == "提交的证照与平台存档不一致：证照标识"


def test_a_malformed_copy_is_refused_naming_what_is_wrong(seal, food_type):
    copy = holders_copy(sign(food_type, seal, issued_on=ISSUED))
    del copy["license"]["holder_name"]
    copy["license"]["extra"] = 1
    with pytest.raises(DomainError) as refused:
        presented(copy)
    assert "电子证照文件缺少持证主体名称" in refused.value.detail
    assert "电子证照文件含有未签署的内容：extra" in refused.value.detail
    copy = holders_copy(sign(food_type, seal, issued_on=ISSUED))
    copy["license"]["signed_at"] = "昨天"
    with pytest.raises(DomainError, match="签章时间格式不正确"):
        presented(copy)
    copy = holders_copy(sign(food_type, seal, issued_on=ISSUED))
    copy["signature"] = "不是签名"
    with pytest.raises(DomainError, match="签名不是有效的 Base64 编码"):
        presented(copy)
    with pytest.raises(DomainError, match="不是电子证照文件"):
        presented({"format": "pdf"})


# --- issuers ----------------------------------------------------------------------------------


def test_a_copy_signed_by_a_key_the_platform_never_made_has_an_unknown_issuer(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    forger = SM2KeyPair.generate()
    payload = dict(holders_copy(license)["license"], holder_name="冒名公司")
    payload["seal_id"] = signing.key_id_of(forger.public_pem().decode())
    forged = signing.SignedLicense(payload, forger.sign(signing.canonical(payload)))

    result = verify(license, presented=forged)
    assert result.verdict == Verdict.UNKNOWN_ISSUER and result.issuer is None
    assert result.detail == "签章印章不在信任列表中，无法确认发证机关"
    # Claiming the real seal does not help: the signature is not the seal's.
    forged_as_seal = dict(payload, seal_id=seal.key_id)
    claimed = signing.SignedLicense(forged_as_seal, forger.sign(signing.canonical(forged_as_seal)))
    result = verify(license, presented=claimed)
    assert (result.verdict, result.changed_fields) == (Verdict.TAMPERED, ("holder_name",))


def test_another_agencys_seal_cannot_sign_for_this_one(world, seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    elsewhere = make_seal(world.other_county_agency)
    payload = dict(holders_copy(license)["license"], seal_id=elsewhere.key_id)
    key = services.Keyring().signing_key(elsewhere)
    borrowed = signing.SignedLicense(payload, key.sign(signing.canonical(payload)))
    result = signing.verify(borrowed, selectors.trust_list(), today=ISSUED)
    assert result.verdict == Verdict.UNKNOWN_ISSUER
    assert result.detail == "签章印章属于天元区市场监督管理局，不是证照所载的发证机关"


def test_without_the_seal_in_the_trust_list_the_issuer_is_unknown(seal, food_type):
    copy = presented(holders_copy(sign(food_type, seal, issued_on=ISSUED)))
    result = signing.verify(copy, signing.TrustList([]), today=ISSUED)
    assert result.verdict == Verdict.UNKNOWN_ISSUER


# --- periods and status -----------------------------------------------------------------------


def test_a_license_is_valid_through_its_last_day_then_expired(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED)
    assert verify(license, today=date(2029, 5, 9)).verdict == Verdict.VALID
    expired = verify(license, today=date(2029, 5, 10))
    assert expired.verdict == Verdict.EXPIRED and expired.authentic
    assert expired.detail == "证照已于2029年5月9日到期"


def test_a_license_is_not_valid_before_its_first_day(seal, food_type):
    license = sign(food_type, seal, issued_on=ISSUED, valid_from=date(2024, 6, 1))
    early = verify(license, today=date(2024, 5, 20))
    assert (early.verdict, early.detail) == (Verdict.NOT_YET_VALID, "证照自2024年6月1日起生效")
    permanent = sign(LicenseTypeFactory(permanent=True), seal, issued_on=ISSUED)
    assert permanent.valid_until is None
    assert verify(permanent, today=date(2100, 1, 1)).verdict == Verdict.VALID


@pytest.mark.parametrize(
    ("status", "verdict", "detail"),
    [
        (
            LicenseStatus.REVOKED,
            Verdict.REVOKED,
            "证照已于2025年1月2日被发证机关撤销：以欺骗手段取得",
        ),
        (
            LicenseStatus.CANCELLED,
            Verdict.CANCELLED,
            "证照已于2025年1月2日被发证机关注销：以欺骗手段取得",
        ),
    ],
)
def test_a_revoked_or_cancelled_license_says_so_even_after_its_expiry(
    seal, food_type, status, verdict, detail
):
    license = sign(food_type, seal, issued_on=ISSUED)
    License.objects.filter(pk=license.pk).update(
        status=status,
        status_changed_at=datetime(2025, 1, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai")),
        status_reason="以欺骗手段取得",
    )
    for today in (date(2025, 1, 3), date(2030, 1, 1)):
        result = verify(license, today=today)
        assert (result.verdict, result.detail) == (verdict, detail)
        assert result.authentic and not result.is_valid


def test_verification_by_identifier_takes_one_query(seal, food_type, django_assert_num_queries):
    license = sign(food_type, seal, issued_on=ISSUED)
    keyring = services.Keyring()
    verify(license, keyring=keyring)  # opens the holder-id key once
    with django_assert_num_queries(1):
        assert verify(license, keyring=keyring).is_valid
