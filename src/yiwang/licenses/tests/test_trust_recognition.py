"""互认共享 in one process: another platform's trust list imported (by file and command) when
signed by the key pinned for it, its licenses verified offline here, and lists that would
let it speak for us, or that its key did not sign, refused."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from yiwang.core.crypto import SM2KeyPair
from yiwang.core.errors import DomainError
from yiwang.core.identifiers import make_uscc
from yiwang.licenses import identifiers, selectors, signing, verification
from yiwang.licenses.constants import HolderKind, Verdict
from yiwang.licenses.models import ForeignPlatform, ForeignSeal
from yiwang.licenses.tests.factories import DEFINER_USCC, company_uscc

pytestmark = pytest.mark.django_db
WUHAN_AGENCY = make_uscc(authority="1", kind="1", division6="420100", organization8="20000001")
START = datetime(2025, 1, 1, tzinfo=UTC)


class OtherPlatform:
    """A platform elsewhere: its own key, agency and trust list, nothing in our database."""

    def __init__(self, issuer_uscc: str = WUHAN_AGENCY) -> None:
        self.key = SM2KeyPair.generate()
        self.list_key = SM2KeyPair.generate()  # what it signs its trust list with
        self.key_id = signing.key_id_of(self.list_key.public_pem().decode())
        pem = self.key.public_pem().decode()
        self.seal = signing.TrustedSeal(
            seal_id=signing.key_id_of(pem),
            issuer_uscc=issuer_uscc,
            issuer_name="武汉市市场监督管理局",
            seal_name="行政审批专用章",
            public_key_pem=pem,
            valid_from=START,
            valid_until=START + timedelta(days=3650),
        )

    def trust_list(self, *seals) -> dict:
        trust = signing.TrustList(seals or [self.seal])
        document = trust.to_document(platform="https://hubei.example", generated_at=START)
        return signing.sign_trust_document(document, self.list_key)

    def recognize(self, name: str = "湖北", *seals) -> verification.TrustImport:
        document = self.trust_list(*seals)
        return verification.import_trust_list(
            name=name, document=document, actor="t", key_id=self.key_id
        )

    def license(self, **changes) -> dict:
        payload = signing.license_payload(
            identifier=str(
                identifiers.make_identifier(
                    type_code=f"{DEFINER_USCC}001",
                    issuer_uscc=self.seal.issuer_uscc,
                    serial="20250000001",
                    version=1,
                )
            ),
            type_code=f"{DEFINER_USCC}001",
            holder_kind=HolderKind.ORGANIZATION,
            holder_id=company_uscc(80000001),
            holder_name="武汉长江餐饮有限公司",
            issuer_uscc=self.seal.issuer_uscc,
            data={"business_scope": "热食类食品制售", "premises": "武汉市江汉区"},
            issued_on=date(2025, 3, 1),
            valid_from=date(2025, 3, 1),
            valid_until=date(2030, 2, 28),
            version=1,
            seal_id=self.seal.seal_id,
            signed_at=START + timedelta(days=59),
        )
        signature = self.key.sign(signing.canonical(payload))
        document = signing.SignedLicense(payload, signature).to_document()
        document["license"].update(changes)
        return document


def upload(document: dict) -> verification.Outcome:
    return verification.verify_upload(json.dumps(document, ensure_ascii=False).encode())


def test_a_recognized_platforms_license_verifies_here_offline(tmp_path):
    other = OtherPlatform()
    assert upload(other.license()).verdict == Verdict.UNKNOWN_ISSUER

    path = tmp_path / "hubei.json"
    path.write_text(json.dumps(other.trust_list()))
    call_command(
        "licenses_trust", "add", "湖北政务服务平台", "--file", str(path), "--key-id", other.key_id
    )
    seal = ForeignSeal.objects.get()
    assert (seal.platform.name, seal.seal_name) == ("湖北政务服务平台", "行政审批专用章")
    assert seal.platform.signer_key_id == other.key_id

    outcome = upload(other.license())
    assert outcome.verdict == Verdict.VALID
    assert outcome.issuer == "武汉市市场监督管理局" and outcome.platform == "湖北政务服务平台"
    assert outcome.holder_name == "武汉长江餐饮有限公司"
    assert outcome.license_name.startswith("电子证照")  # its type is not in our catalog

    tampered = upload(other.license(holder_name="别的公司"))
    assert tampered.verdict == Verdict.TAMPERED and tampered.holder_name == ""

    ForeignPlatform.objects.update(active=False)
    assert upload(other.license()).verdict == Verdict.UNKNOWN_ISSUER


def test_a_revocation_once_seen_stays():
    other = OtherPlatform()
    revoked_at = START + timedelta(days=30)  # before the license was signed
    revoked = signing.TrustedSeal(**{**vars(other.seal), "revoked_at": revoked_at})
    other.recognize("湖北", revoked)
    done = other.recognize("湖北")
    assert done.updated == 0 and ForeignSeal.objects.get().revoked_at == revoked_at
    assert upload(other.license()).verdict == Verdict.TAMPERED  # signed after revocation


def test_a_seal_the_list_no_longer_names_is_no_longer_trusted():
    other, second = OtherPlatform(), OtherPlatform()
    other.recognize("湖北", other.seal, second.seal)
    done = other.recognize("湖北")
    assert (done.removed, ForeignSeal.objects.count()) == (1, 1)


def test_our_own_trust_list_or_our_issuers_are_refused(seal):
    ours = verification.published_trust_list()
    with pytest.raises(DomainError, match="本平台自己的信任列表签名密钥"):
        verification.import_trust_list(
            name="冒充", document=ours, actor="t", key_id=ours["signer"]["key_id"]
        )
    impostor = OtherPlatform()
    with pytest.raises(DomainError, match="含有本平台自己的印章"):
        verification.import_trust_list(
            name="冒充",
            document=signing.sign_trust_document(
                selectors.trust_list_document(), impostor.list_key
            ),
            actor="t",
            key_id=impostor.key_id,
        )
    impostor = OtherPlatform(issuer_uscc=seal.agency.uscc)
    with pytest.raises(DomainError, match="声称代表本平台的发证机关：芙蓉区市场监督管理局"):
        impostor.recognize("冒充")
    assert not ForeignPlatform.objects.exists()


def test_a_seal_another_platform_lists_is_refused():
    other = OtherPlatform()
    other.recognize("湖北")
    with pytest.raises(DomainError, match="已由互认平台“湖北”列入"):
        other.recognize("江西")


def test_a_list_its_pinned_key_did_not_sign_is_refused(tmp_path):
    other, stranger = OtherPlatform(), OtherPlatform()
    unsigned = other.trust_list()
    del unsigned["signer"], unsigned["signature"]
    with pytest.raises(DomainError, match="没有签名"):
        verification.import_trust_list(
            name="湖北", document=unsigned, actor="t", key_id=other.key_id
        )
    with pytest.raises(DomainError, match="签名密钥标识不符"):  # a man in the middle's own list
        verification.import_trust_list(
            name="湖北", document=stranger.trust_list(), actor="t", key_id=other.key_id
        )
    widened = other.trust_list()
    widened["seals"].append(stranger.seal.to_entry())
    with pytest.raises(DomainError, match="签名无效"):
        verification.import_trust_list(
            name="湖北", document=widened, actor="t", key_id=other.key_id
        )
    path = tmp_path / "hubei.json"
    path.write_text(json.dumps(other.trust_list()))
    with pytest.raises(CommandError, match="请填写对方平台线下告知的信任列表签名密钥标识"):
        call_command("licenses_trust", "add", "湖北", "--file", str(path))
    with pytest.raises(CommandError, match="64位十六进制"):
        call_command("licenses_trust", "add", "湖北", "--file", str(path), "--key-id", "abc")
    assert not ForeignPlatform.objects.exists()


def test_a_known_platforms_new_key_is_taken_only_once_pinned_anew():
    other = OtherPlatform()
    other.recognize("湖北")
    old_key_id = other.key_id
    other.list_key = SM2KeyPair.generate()  # the platform rotated its trust-list key
    other.key_id = signing.key_id_of(other.list_key.public_pem().decode())
    with pytest.raises(DomainError, match="签名密钥标识不符"):
        verification.import_trust_list(name="湖北", document=other.trust_list(), actor="t")
    assert ForeignPlatform.objects.get().signer_key_id == old_key_id

    other.recognize("湖北")  # the administrator pins the id the platform gave anew
    assert ForeignPlatform.objects.get().signer_key_id == other.key_id


def test_a_platform_recognized_before_lists_were_signed_must_be_pinned():
    other = OtherPlatform()
    other.recognize("湖北")
    ForeignPlatform.objects.update(signer_key_id="")
    with pytest.raises(DomainError, match="请填写对方平台线下告知的信任列表签名密钥标识"):
        verification.import_trust_list(name="湖北", document=other.trust_list(), actor="t")


def test_broken_trust_lists_are_refused(tmp_path):
    other = OtherPlatform()
    document = other.trust_list()
    document["seals"][0]["public_key_pem"] = OtherPlatform().seal.public_key_pem
    document = signing.sign_trust_document(document, other.list_key)  # signed, yet inconsistent
    with pytest.raises(DomainError, match="标识与公钥不符"):
        verification.import_trust_list(
            name="湖北", document=document, actor="t", key_id=other.key_id
        )
    with pytest.raises(DomainError, match="没有签名"):
        verification.import_trust_list(name="湖北", document=[1, 2], actor="t", key_id=other.key_id)
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\xff\xfe{")
    key = ("--key-id", other.key_id)
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("licenses_trust", "add", "湖北", "--file", str(path), *key)
    with pytest.raises(CommandError, match="https"):
        call_command("licenses_trust", "add", "湖北", "--url", "http://hubei.example/l.json", *key)
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command(
            "licenses_trust", "add", "湖北", "--file", str(tmp_path / "missing.json"), *key
        )
    assert not ForeignPlatform.objects.exists()


def test_refresh_needs_an_address(capsys):
    other = OtherPlatform()
    other.recognize("湖北")
    with pytest.raises(CommandError, match="没有登记信任列表地址的互认平台：湖北"):
        call_command("licenses_trust", "refresh", "湖北")
    call_command("licenses_trust", "list")
    assert f"湖北\t信任中\t1 枚印章\t-\t{other.key_id}" in capsys.readouterr().out
