"""Signing and verifying licenses without a database: the canonical form, the portable signed
document, the trust list and the verdict. What verifies offline needs only these.

- Canonical form: the signed fields (PAYLOAD_FIELDS) as JSON with sorted keys, no whitespace,
  UTF-8 without \\u escapes; dates YYYY-MM-DD, the signing time in UTC to the second. The seal's
  key id and the signing time are signed too, so neither can be swapped or backdated after
  the fact: "signed while the seal was valid" is a fact of the signed bytes.
- Signature: SM2 with SM3 (GB/T 32918) over the canonical bytes, by the seal's private key.
- Trust list: the seals a verifier trusts (issuer, key id, public key, validity, revocation).
  A seal stays listed after revocation, so what it signed before still verifies.
- The published trust list is signed (SM2 over its canonical form, signer included) by the
  platform's trust-list key; a platform that recognizes another pins that key's id, learnt
  from it out of band, and takes no list the key did not sign.
- Verdict: unknown issuer, tampered (naming the changed fields when an authentic reference is
  at hand), then the registry's status (revoked, cancelled), then the validity period.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from django.utils import timezone

from yiwang.core.crypto import CryptoError, SM2KeyPair, load_public_key, sm2_verify, sm3_hex
from yiwang.core.errors import DomainError, FieldError
from yiwang.licenses.constants import HOLDER_ID_TYPE, LicenseStatus, SealStatus, Verdict

SIGNED_LICENSE_FORMAT = "yiwang-signed-license/1"
TRUST_LIST_FORMAT = "yiwang-trust-list/1"

FIELD_LABELS = {
    "identifier": "证照标识",
    "type_code": "证照类型代码",
    "holder_id_type": "持证主体证件类型",
    "holder_id": "持证主体证件号码",
    "holder_name": "持证主体名称",
    "issuer_uscc": "发证机关代码",
    "data": "证照数据",
    "issued_on": "发证日期",
    "valid_from": "有效期起始日期",
    "valid_until": "有效期截止日期",
    "version": "版本号",
    "seal_id": "签章印章",
    "signed_at": "签章时间",
}
PAYLOAD_FIELDS = tuple(FIELD_LABELS)
_TEXT_FIELDS = ("identifier", "type_code", "holder_name", "issuer_uscc", "seal_id", "holder_id")


def canonical(payload: dict) -> bytes:
    return json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    ).encode()


def key_id_of(public_key_pem: str) -> str:
    """A seal's key id: the SM3 digest of its public key (PEM)."""
    return sm3_hex(public_key_pem.encode())


def utc_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def license_payload(
    *,
    identifier: str,
    type_code: str,
    holder_kind: str,
    holder_id: str,
    holder_name: str,
    issuer_uscc: str,
    data: dict,
    issued_on: date,
    valid_from: date,
    valid_until: date | None,
    version: int,
    seal_id: str,
    signed_at: datetime,
) -> dict:
    """The signed fields of a license, as the canonical form writes them."""
    return {
        "identifier": identifier,
        "type_code": type_code,
        "holder_id_type": HOLDER_ID_TYPE[holder_kind],
        "holder_id": holder_id,
        "holder_name": holder_name,
        "issuer_uscc": issuer_uscc,
        "data": data,
        "issued_on": issued_on.isoformat(),
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "version": version,
        "seal_id": seal_id,
        "signed_at": utc_instant(signed_at),
    }


# --- the portable signed license --------------------------------------------------------------


@dataclass(frozen=True)
class SignedLicense:
    """A license as signed: what a JSON download holds, a PDF embeds and a verifier receives."""

    payload: dict
    signature: bytes

    @property
    def identifier(self) -> str:
        return self.payload["identifier"]

    @property
    def seal_id(self) -> str:
        return self.payload["seal_id"]

    @property
    def signed_at(self) -> datetime:
        return datetime.fromisoformat(self.payload["signed_at"])

    @property
    def valid_from(self) -> date:
        return date.fromisoformat(self.payload["valid_from"])

    @property
    def valid_until(self) -> date | None:
        until = self.payload["valid_until"]
        return date.fromisoformat(until) if until else None

    @property
    def digest(self) -> str:
        return sm3_hex(canonical(self.payload))

    def to_document(self) -> dict:
        return {
            "format": SIGNED_LICENSE_FORMAT,
            "license": self.payload,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_document(cls, document: object, *, field: str = "document") -> SignedLicense:
        """Read a signed license someone presents; a malformed one is refused, naming what."""
        if not isinstance(document, dict) or document.get("format") != SIGNED_LICENSE_FORMAT:
            raise DomainError.of(field, f"不是电子证照文件（应为 {SIGNED_LICENSE_FORMAT} 格式）")
        payload = document.get("license")
        _check_payload(payload, field)
        try:
            signature = base64.b64decode(document.get("signature") or "", validate=True)
        except (binascii.Error, TypeError, ValueError) as error:
            raise DomainError.of(field, "电子证照文件的签名不是有效的 Base64 编码") from error
        if not signature:
            raise DomainError.of(field, "电子证照文件缺少签名")
        return cls(payload=payload, signature=signature)


def _check_payload(payload: object, field: str) -> None:
    if not isinstance(payload, dict):
        raise DomainError.of(field, "电子证照文件缺少证照内容")
    missing = [name for name in PAYLOAD_FIELDS if name not in payload]
    extra = sorted(set(payload) - set(PAYLOAD_FIELDS))
    errors = [FieldError(field, f"电子证照文件缺少{FIELD_LABELS[name]}") for name in missing]
    errors += [FieldError(field, f"电子证照文件含有未签署的内容：{name}") for name in extra]
    if not errors:
        errors = [
            FieldError(field, f"电子证照文件的{FIELD_LABELS[name]}格式不正确")
            for name in PAYLOAD_FIELDS
            if not _well_typed(name, payload[name])
        ]
    if errors:
        raise DomainError(errors)


def _well_typed(name: str, value: object) -> bool:
    if name in _TEXT_FIELDS:
        return isinstance(value, str) and bool(value)
    if name == "holder_id_type":
        return value in HOLDER_ID_TYPE.values()
    if name == "data":
        return isinstance(value, dict)
    if name == "version":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "valid_until" and value is None:
        return True
    if name == "signed_at":
        return _parses(datetime.fromisoformat, value) and value.endswith("Z")
    return _parses(date.fromisoformat, value)  # issued_on, valid_from, valid_until


def _parses(parse, value: object) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


# --- the trust list ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _public_key(pem: str):
    """Parsed once per process: a PEM names one key for good, whatever its seal's status."""
    return load_public_key(pem.encode())


@dataclass(frozen=True)
class Issuer:
    uscc: str
    name: str
    seal_id: str
    seal_name: str


@dataclass(frozen=True)
class TrustedSeal:
    seal_id: str
    issuer_uscc: str
    issuer_name: str
    seal_name: str
    public_key_pem: str
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None = None

    @property
    def issuer(self) -> Issuer:
        return Issuer(self.issuer_uscc, self.issuer_name, self.seal_id, self.seal_name)

    @property
    def public_key(self):
        return _public_key(self.public_key_pem)

    def could_sign_at(self, moment: datetime) -> bool:
        """Was the seal in force at `moment`: inside its validity and not yet revoked?"""
        revoked_before = self.revoked_at is not None and self.revoked_at <= moment
        return self.valid_from <= moment < self.valid_until and not revoked_before

    def to_entry(self) -> dict:
        return {
            "seal_id": self.seal_id,
            "issuer_uscc": self.issuer_uscc,
            "issuer_name": self.issuer_name,
            "seal_name": self.seal_name,
            "public_key_pem": self.public_key_pem,
            "valid_from": utc_instant(self.valid_from),
            "valid_until": utc_instant(self.valid_until),
            "status": SealStatus.REVOKED if self.revoked_at else SealStatus.ACTIVE,
            "revoked_at": utc_instant(self.revoked_at) if self.revoked_at else None,
        }

    @classmethod
    def from_entry(cls, entry: object, *, field: str = "trust_list") -> TrustedSeal:
        try:
            seal = cls(
                seal_id=_text(entry["seal_id"]),
                issuer_uscc=_text(entry["issuer_uscc"]),
                issuer_name=_text(entry["issuer_name"]),
                seal_name=_text(entry["seal_name"]),
                public_key_pem=_text(entry["public_key_pem"]),
                valid_from=_instant(entry["valid_from"]),
                valid_until=_instant(entry["valid_until"]),
                revoked_at=_instant(entry["revoked_at"]) if entry["revoked_at"] else None,
            )
            seal.public_key  # noqa: B018  (a key that cannot be read is refused now, not later)
        except (KeyError, TypeError, ValueError, CryptoError) as error:
            raise DomainError.of(field, "信任列表中有印章条目不完整或格式不正确") from error
        if key_id_of(seal.public_key_pem) != seal.seal_id:
            raise DomainError.of(field, f"信任列表中印章 {seal.seal_id[:12]}… 的标识与公钥不符")
        return seal


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("text expected")
    return value


def _instant(value: object) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError("an instant needs its offset")
    return moment


class TrustList:
    """The seals a verifier trusts, by key id: this platform's own, and other platforms' for
    mutual recognition (互认)."""

    def __init__(self, seals: Iterable[TrustedSeal]) -> None:
        self._seals = {seal.seal_id: seal for seal in seals}

    def get(self, seal_id: str) -> TrustedSeal | None:
        return self._seals.get(seal_id)

    def __iter__(self) -> Iterator[TrustedSeal]:
        return iter(self._seals.values())

    def __len__(self) -> int:
        return len(self._seals)

    def to_document(self, *, platform: str, generated_at: datetime) -> dict:
        seals = sorted(self, key=lambda seal: (seal.issuer_uscc, seal.seal_name, seal.seal_id))
        return {
            "format": TRUST_LIST_FORMAT,
            "platform": platform,
            "generated_at": utc_instant(generated_at),
            "seals": [seal.to_entry() for seal in seals],
        }

    @classmethod
    def from_document(cls, document: object, *, field: str = "trust_list") -> TrustList:
        if not isinstance(document, dict) or document.get("format") != TRUST_LIST_FORMAT:
            raise DomainError.of(field, f"不是信任列表（应为 {TRUST_LIST_FORMAT} 格式）")
        entries = document.get("seals")
        if not isinstance(entries, list):
            raise DomainError.of(field, "信任列表缺少印章列表（seals）")
        return cls(TrustedSeal.from_entry(entry, field=field) for entry in entries)


def sign_trust_document(document: dict, key_pair: SM2KeyPair) -> dict:
    """The trust list document with its signer (key id and public key) and SM2 signature, in
    place of any it carried."""
    public_key_pem = key_pair.public_pem().decode()
    signer = {"key_id": key_id_of(public_key_pem), "public_key_pem": public_key_pem}
    signed = {name: value for name, value in document.items() if name != "signature"}
    signed["signer"] = signer
    return {**signed, "signature": base64.b64encode(key_pair.sign(canonical(signed))).decode()}


def check_trust_signature(document: object, *, key_id: str, field: str = "trust_list") -> None:
    """Refuse a trust list that the key `key_id` (pinned by whoever recognizes the platform)
    did not sign exactly as it stands."""
    signer = document.get("signer") if isinstance(document, dict) else None
    if not isinstance(signer, dict) or "signature" not in document:
        raise DomainError.of(field, "信任列表没有签名，无法确认它出自对方平台")
    public_key_pem = signer.get("public_key_pem")
    if (
        signer.get("key_id") != key_id
        or not isinstance(public_key_pem, str)
        or key_id_of(public_key_pem) != key_id
    ):
        raise DomainError.of(field, "信任列表不是由登记的对方平台密钥签名的（签名密钥标识不符）")
    unsigned = {name: value for name, value in document.items() if name != "signature"}
    try:
        signature = base64.b64decode(document["signature"], validate=True)
        public_key = _public_key(public_key_pem)
        message = canonical(unsigned)
    except (binascii.Error, TypeError, ValueError, CryptoError) as error:
        raise DomainError.of(field, "信任列表的签名或签名公钥格式不正确") from error
    if not sm2_verify(public_key, signature, message):
        raise DomainError.of(field, "信任列表的签名无效：列表内容在签名后被改动，或签名已损坏")


# --- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What a verifier is told: the verdict, why, by whom the license was signed, and (when an
    authentic original was at hand) which fields were changed."""

    verdict: Verdict
    detail: str
    identifier: str
    issuer: Issuer | None = None
    changed_fields: tuple[str, ...] = ()
    seal_revoked_at: datetime | None = None
    payload: dict = field(default_factory=dict)  # as presented: to be believed only if authentic

    @property
    def is_valid(self) -> bool:
        return self.verdict == Verdict.VALID

    @property
    def authentic(self) -> bool:
        """Signed by a trusted seal of its issuer, unchanged since."""
        return self.verdict not in (Verdict.UNKNOWN_ISSUER, Verdict.TAMPERED)

    @property
    def signed_while_valid(self) -> bool:
        """Authentic, by a seal revoked since: what it signed before revocation still holds."""
        return self.authentic and self.seal_revoked_at is not None


def field_label(name: str) -> str:
    if name.startswith("data."):
        return f"证照数据“{name.removeprefix('data.')}”"
    return FIELD_LABELS.get(name, name)


def changed_fields(claimed: dict, signed: dict) -> tuple[str, ...]:
    """The signed fields whose values differ, data fields one by one ("data.经营项目").
    Values are compared in canonical form, so 1 and true differ as they do in the bytes."""
    changed = []
    for name in PAYLOAD_FIELDS:
        mine, theirs = claimed.get(name), signed.get(name)
        if name == "data" and isinstance(mine, dict) and isinstance(theirs, dict):
            changed += [f"data.{key}" for key in _differing_keys(mine, theirs)]
        elif not _same(mine, theirs):
            changed.append(name)
    return tuple(changed)


def _differing_keys(mine: dict, theirs: dict) -> list[str]:
    keys = sorted(mine.keys() | theirs.keys())
    return [key for key in keys if not _same(mine.get(key), theirs.get(key))]


def _same(mine: object, theirs: object) -> bool:
    return canonical({"v": mine}) == canonical({"v": theirs})


def verify(
    signed: SignedLicense,
    trust: TrustList,
    *,
    today: date,
    reference: SignedLicense | None = None,
) -> Verification:
    """Verify a signed license against the trust list on `today`. `reference` is an original
    to name the changed fields by when the signature fails (used only if it is authentic)."""
    seal = trust.get(signed.seal_id)
    if seal is None:
        return _verdict(signed, Verdict.UNKNOWN_ISSUER, "签章印章不在信任列表中，无法确认发证机关")
    if seal.issuer_uscc != signed.payload["issuer_uscc"]:
        detail = f"签章印章属于{seal.issuer_name}，不是证照所载的发证机关"
        return _verdict(signed, Verdict.UNKNOWN_ISSUER, detail, seal)
    if not _signature_holds(signed, seal):
        changed = _changes_from_reference(signed, reference, trust)
        return _verdict(signed, Verdict.TAMPERED, _tampered_detail(changed), seal, changed)
    if not seal.could_sign_at(signed.signed_at):
        return _verdict(signed, Verdict.TAMPERED, "签章时印章不在有效期内或已注销，签章无效", seal)
    return _period_verdict(signed, seal, today)


def _signature_holds(signed: SignedLicense, seal: TrustedSeal) -> bool:
    return sm2_verify(seal.public_key, signed.signature, canonical(signed.payload))


def _changes_from_reference(
    signed: SignedLicense, reference: SignedLicense | None, trust: TrustList
) -> tuple[str, ...]:
    if reference is None:
        return ()
    seal = trust.get(reference.seal_id)
    authentic = (
        seal is not None
        and seal.issuer_uscc == reference.payload["issuer_uscc"]
        and _signature_holds(reference, seal)
    )
    return changed_fields(signed.payload, reference.payload) if authentic else ()


def _tampered_detail(changed: tuple[str, ...]) -> str:
    if not changed:
        return "证照内容与签章不符：内容被篡改或签名已损坏"
    return f"证照内容与签章不符，被改动的内容：{'、'.join(map(field_label, changed))}"


def _period_verdict(signed: SignedLicense, seal: TrustedSeal, today: date) -> Verification:
    valid_until = signed.valid_until
    if valid_until is not None and today > valid_until:
        verdict, detail = Verdict.EXPIRED, f"证照已于{chinese_date(valid_until)}到期"
    elif today < signed.valid_from:
        verdict, detail = Verdict.NOT_YET_VALID, f"证照自{chinese_date(signed.valid_from)}起生效"
    else:
        verdict, detail = Verdict.VALID, "证照有效"
    if seal.revoked_at is not None:
        detail += f"；签章时印章有效（该印章已于{chinese_date(seal.revoked_at)}注销）"
    return _verdict(signed, verdict, detail, seal)


def _verdict(
    signed: SignedLicense,
    verdict: Verdict,
    detail: str,
    seal: TrustedSeal | None = None,
    changed: tuple[str, ...] = (),
) -> Verification:
    return Verification(
        verdict=verdict,
        detail=detail,
        identifier=signed.identifier,
        issuer=seal.issuer if seal else None,
        changed_fields=changed,
        seal_revoked_at=seal.revoked_at if seal else None,
        payload=signed.payload,
    )


def unreadable(identifier: str) -> Verification:
    """A stored license whose signed form cannot even be rebuilt: its row was altered."""
    detail = "平台存档已被改动，无法还原签署的内容"
    return Verification(verdict=Verdict.TAMPERED, detail=detail, identifier=identifier)


def unlike_record(check: Verification, differences: tuple[str, ...]) -> Verification:
    """A presented copy that verifies yet differs from the registry's authentic record (signed
    for another license, or superseded): not the license on record."""
    labels = "、".join(map(field_label, differences))
    return replace(
        check,
        verdict=Verdict.TAMPERED,
        detail=f"提交的证照与平台存档不一致：{labels}",
        changed_fields=differences,
    )


def with_status(
    check: Verification, *, status: str, changed_at: datetime | None, reason: str
) -> Verification:
    """Overlay what only the issuing registry knows: a revocation or cancellation outranks
    the validity period, never a failed signature."""
    if not check.authentic or status == LicenseStatus.VALID:
        return check
    verdict, act = (
        (Verdict.REVOKED, "撤销")
        if status == LicenseStatus.REVOKED
        else (Verdict.CANCELLED, "注销")
    )
    when = f"于{chinese_date(changed_at)}" if changed_at else ""
    detail = f"证照已{when}被发证机关{act}"
    return replace(check, verdict=verdict, detail=f"{detail}：{reason}" if reason else detail)


def chinese_date(moment: date) -> str:
    """2029年5月9日 (in Beijing time for an instant)."""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment).date()
    return f"{moment.year}年{moment.month}月{moment.day}日"
