"""互认共享 in one process: another platform's trust list imported (by file and command), its
licenses verified offline here, and lists that would let it speak for us refused."""

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
        return trust.to_document(platform="https://hubei.example", generated_at=START)

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
    call_command("licenses_trust", "add", "湖北政务服务平台", "--file", str(path))
    seal = ForeignSeal.objects.get()
    assert (seal.platform.name, seal.seal_name) == ("湖北政务服务平台", "行政审批专用章")

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
    verification.import_trust_list(name="湖北", document=other.trust_list(revoked), actor="t")
    done = verification.import_trust_list(name="湖北", document=other.trust_list(), actor="t")
    assert done.updated == 0 and ForeignSeal.objects.get().revoked_at == revoked_at
    assert upload(other.license()).verdict == Verdict.TAMPERED  # signed after revocation


def test_a_seal_the_list_no_longer_names_is_no_longer_trusted():
    other, second = OtherPlatform(), OtherPlatform()
    both = other.trust_list(other.seal, second.seal)
    verification.import_trust_list(name="湖北", document=both, actor="t")
    done = verification.import_trust_list(name="湖北", document=other.trust_list(), actor="t")
    assert (done.removed, ForeignSeal.objects.count()) == (1, 1)


def test_our_own_trust_list_or_our_issuers_are_refused(seal):
    with pytest.raises(DomainError, match="含有本平台自己的印章"):
        verification.import_trust_list(
            name="冒充", document=selectors.trust_list_document(), actor="t"
        )
    impostor = OtherPlatform(issuer_uscc=seal.agency.uscc)
    with pytest.raises(DomainError, match="声称代表本平台的发证机关：芙蓉区市场监督管理局"):
        verification.import_trust_list(name="冒充", document=impostor.trust_list(), actor="t")
    assert not ForeignPlatform.objects.exists()


def test_a_seal_another_platform_lists_is_refused():
    other = OtherPlatform()
    verification.import_trust_list(name="湖北", document=other.trust_list(), actor="t")
    with pytest.raises(DomainError, match="已由互认平台“湖北”列入"):
        verification.import_trust_list(name="江西", document=other.trust_list(), actor="t")


def test_broken_trust_lists_are_refused(tmp_path):
    other = OtherPlatform()
    document = other.trust_list()
    document["seals"][0]["public_key_pem"] = OtherPlatform().seal.public_key_pem
    with pytest.raises(DomainError, match="标识与公钥不符"):
        verification.import_trust_list(name="湖北", document=document, actor="t")
    with pytest.raises(DomainError, match="不是信任列表"):
        verification.import_trust_list(name="湖北", document=[1, 2], actor="t")
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(CommandError, match="不是有效的 JSON"):
        call_command("licenses_trust", "add", "湖北", "--file", str(path))
    with pytest.raises(CommandError, match="https"):
        call_command("licenses_trust", "add", "湖北", "--url", "http://hubei.example/list.json")
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("licenses_trust", "add", "湖北", "--file", str(tmp_path / "missing.json"))
    assert not ForeignPlatform.objects.exists()


def test_refresh_needs_an_address(capsys):
    verification.import_trust_list(name="湖北", document=OtherPlatform().trust_list(), actor="t")
    with pytest.raises(CommandError, match="没有登记信任列表地址的互认平台：湖北"):
        call_command("licenses_trust", "refresh", "湖北")
    call_command("licenses_trust", "list")
    assert "湖北\t信任中\t1 枚印章" in capsys.readouterr().out
