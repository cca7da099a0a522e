"""网上验证核对 (public verification) and 互认共享 (mutual recognition).

Verification, for anyone, without an account:
- by identifier + verification code (what the paper or PDF prints), or the QR code's URL that
  carries both. A wrong code and an unknown identifier get the same answer, so the page is
  no oracle for which identifiers exist; the code (40 bits) cannot be guessed at the rate
  the callers allow (core.ratelimit, per client address).
- by an uploaded PDF or JSON download. A license held here is verified against its record
  (services.verify_license with the copy presented), so a changed field is named; any other
  is verified offline against the trust: this platform's seals and the seals of the
  platforms it recognizes (ForeignSeal), so a license issued by another Yiwang deployment
  verifies here without a call to it.
- Every verification of a license held here is logged as a use (LicenseUse VERIFIED, 网上验证
  核对, the client's address), which its holder sees. Refused input is logged and changes
  nothing.

Mutual recognition: an administrator imports another platform's published trust list
(`yiwang licenses_trust add NAME --url … --key-id …`), and refreshes it. Every published
list is signed by its platform's trust-list key (TrustListKey); the importer pins that key's
id, given by the other platform out of band, and takes no list it did not sign, whether
fetched or handed over as a file. The list is validated as a whole (every key id is the SM3
of its key) and refused when it names one of our own seals or speaks for one of our own
issuers, or a seal another recognized platform already vouches for: a platform vouches for
its own issuers only. A revocation once seen stays, whatever a later list says.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.core import keys
from yiwang.core.audit import record_audit
from yiwang.core.crypto import SM2KeyPair
from yiwang.core.errors import DomainError, FieldError
from yiwang.core.identifiers import mask
from yiwang.core.ratelimit import hit
from yiwang.core.statements import RowInsert
from yiwang.licenses import documents, identifiers, license_data, selectors, services, signing
from yiwang.licenses.constants import (
    HOLDER_ID_TYPE,
    TRUST_LIST_KEY_PURPOSE,
    HolderKind,
    UseKind,
    Verdict,
)
from yiwang.licenses.models import (
    ForeignPlatform,
    ForeignSeal,
    License,
    LicenseType,
    LicenseUse,
    Seal,
    TrustListKey,
)

logger = logging.getLogger(__name__)

VERIFIED_BY = "网上验证核对"
NOT_FOUND = "未找到该证照，请核对证照标识和验证码"
UPLOAD_REFUSAL = "文件不是电子证照，请上传从证照平台下载的 PDF 或 JSON 文件"
UPLOAD_RATE = "20/m"  # parsing a PDF costs more than a lookup
MAX_QR_LENGTH = 512
BATCH_MAX = 100  # pairs per batch verification
MAX_JSON_DEPTH_ERROR = "电子证照文件的内容层级过深"
FETCH_TIMEOUT_SECONDS = 10
MAX_TRUST_LIST_BYTES = 5 * 1024 * 1024
PERSON_ID_TYPE = HOLDER_ID_TYPE[HolderKind.PERSON]
KEY_ID = re.compile(r"[0-9a-f]{64}")


class Channel:
    CODE = "code"
    BATCH = "batch"
    QR = "qr"
    UPLOAD = "upload"


# --- what a verifier is shown ---------------------------------------------------------------


@dataclass(frozen=True)
class LicenseField:
    name: str
    title: str
    value: str


@dataclass(frozen=True)
class Outcome:
    """A verdict with what may be shown beside it. License details are filled in only when the
    license is authentic (signed by a trusted seal of its issuer, unchanged): what a failed
    signature carries is not to be believed. A person's name is shown masked (张*), an
    organization's in full, as the public credit registries show them."""

    verdict: str
    verdict_label: str
    detail: str
    identifier: str
    issuer: str = ""
    issuer_uscc: str = ""
    seal_name: str = ""
    platform: str = ""  # "" for this platform, else the recognized platform's name
    license_name: str = ""
    holder_name: str = ""
    holder_id_masked: str = ""
    issued_on: date | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    status: str | None = None  # the registry's status, for a license held here
    status_label: str = ""
    signed_while_valid: bool = False
    changed_fields: tuple[str, ...] = ()
    changed_labels: tuple[str, ...] = ()
    fields: tuple[LicenseField, ...] = field(default_factory=tuple)

    @property
    def is_valid(self) -> bool:
        return self.verdict == Verdict.VALID


def mask_name(name: str, holder_id_type: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; an organization's name stays whole."""
    if holder_id_type != PERSON_ID_TYPE or len(name) < 2:
        return name
    return documents.masked_text(name)


def _outcome(
    check: signing.Verification,
    *,
    license: License | None = None,
    platform: str = "",
    note: str = "",
) -> Outcome:
    issuer = check.issuer
    labels = _changed_labels(check.changed_fields, license)
    detail = check.detail
    for name, label in zip(check.changed_fields, labels, strict=True):
        detail = detail.replace(signing.field_label(name), label)
    base = {
        "verdict": str(check.verdict),
        "verdict_label": Verdict(check.verdict).label,
        "detail": detail + note,
        "identifier": check.identifier,
        "issuer": issuer.name if issuer else "",
        "issuer_uscc": issuer.uscc if issuer else "",
        "seal_name": issuer.seal_name if issuer else "",
        "platform": platform,
        "signed_while_valid": check.signed_while_valid,
        "changed_fields": check.changed_fields,
        "changed_labels": labels,
    }
    if license is not None:
        base.update(status=license.status, status_label=license.get_status_display())
    if not check.authentic:
        return Outcome(**base)
    if license is not None:
        return Outcome(**base, **_record_details(license))
    return Outcome(**base, **_document_details(check.payload))


def _changed_labels(names: tuple[str, ...], license: License | None) -> tuple[str, ...]:
    """Chinese names of changed fields: a data field by its title in the license type."""
    schema = license.license_type.data_schema if license is not None else {}
    return tuple(
        f"证照数据“{license_data.field_title(schema, name.removeprefix('data.'))}”"
        if name.startswith("data.")
        else signing.field_label(name)
        for name in names
    )


def _record_details(license: License) -> dict:
    fields = documents.display_fields(license.license_type, license.data, public=True)
    return {
        "license_name": documents.license_title(license),
        "holder_name": mask_name(license.holder_name, license.holder_id_type),
        "holder_id_masked": license.holder_id_masked,
        "issued_on": license.issued_on,
        "valid_from": license.valid_from,
        "valid_until": license.valid_until,
        "fields": tuple(LicenseField(*row) for row in fields),
    }


def _document_details(payload: dict) -> dict:
    """An authentic license not held here: its type's name if the national code is in our
    catalog (the document's own display names are not signed, so they are not shown)."""
    known = LicenseType.objects.filter(code=payload["type_code"]).first()
    data = payload["data"]
    if known is not None:
        rows = documents.display_fields(known, data, public=True)
        name = (known.display_hints or {}).get("title") or known.name
    else:
        rows = [(key, key, documents.display_value(value)) for key, value in data.items()]
        name = f"电子证照（类型代码 {payload['type_code']}）"
    until = payload["valid_until"]
    return {
        "license_name": name,
        "holder_name": mask_name(payload["holder_name"], payload["holder_id_type"]),
        "holder_id_masked": mask(payload["holder_id"]),
        "issued_on": date.fromisoformat(payload["issued_on"]),
        "valid_from": date.fromisoformat(payload["valid_from"]),
        "valid_until": date.fromisoformat(until) if until else None,
        "fields": tuple(LicenseField(*row) for row in rows),
    }


# --- rate limits ------------------------------------------------------------------------------


def limit_lookup(address: str) -> None:
    """A lookup by identifier and code (or QR): settings.LOOKUP_RATE per client address."""
    hit("licenses.verify", address, settings.LOOKUP_RATE, field="code")


def limit_upload(address: str) -> None:
    hit("licenses.verify_upload", address, UPLOAD_RATE, field="file")


# --- licenses held here -------------------------------------------------------------------------

_keyring_lock = threading.Lock()
_shared_keyring: services.Keyring | None = None


def _keyring() -> services.Keyring:
    """One Keyring per process: verifying opens only the holder-id data keys, which never
    change once made (rotation adds versions; a new version is read when first met)."""
    global _shared_keyring
    with _keyring_lock:
        if _shared_keyring is None:
            _shared_keyring = services.Keyring()
        return _shared_keyring


def _unreadable(check: signing.Verification) -> bool:
    return check.verdict == Verdict.TAMPERED and check.detail == signing.unreadable("").detail


def _verify_held(
    license: License, presented: signing.SignedLicense | None = None
) -> signing.Verification:
    """services.verify_license with the process's keys. A record whose holder id does not
    open is checked once more with keys read afresh before it is called altered: the
    process may hold keys of a database that has since been replaced (tests, a restore)."""
    global _shared_keyring
    check = services.verify_license(license, presented=presented, keyring=_keyring())
    if _unreadable(check):
        fresh = services.Keyring()
        check = services.verify_license(license, presented=presented, keyring=fresh)
        if not _unreadable(check):
            with _keyring_lock:
                _shared_keyring = fresh
    return check


_USE_LOG = RowInsert(LicenseUse)  # one per verification: written once, prepared


def _use(license: License, *, channel: str, address: str, verdict: str) -> dict:
    return {
        "license": license,
        "kind": UseKind.VERIFIED,
        "used_at": timezone.now(),
        "user": VERIFIED_BY,
        "address": (address or "")[:45],
        "detail": {"channel": channel, "verdict": verdict},
    }


def _held(identifier: str) -> License | None:
    try:
        return selectors.license_by_identifier(identifier)
    except DomainError:
        return None


def _requested(identifier: str, code: str) -> tuple[str, bool]:
    """(the identifier in canonical form, whether the code is its code); a malformed
    identifier or code is refused naming the field. The code is checked before anyone knows
    whether the identifier exists, so an unknown one and a wrong code take the same work."""
    canonical = str(identifiers.parse_identifier(identifier, field="identifier"))
    return canonical, documents.code_matches(canonical, documents.normalize_code(code))


def _not_found() -> DomainError:
    logger.info("license verification refused: identifier and code do not match")
    return DomainError([FieldError("", NOT_FOUND)], status=404, title="未找到")


def verify_by_code(identifier: str, code: str, *, address: str = "") -> Outcome:
    """Identifier + verification code. An unknown identifier and a wrong code are refused
    alike (404, NOT_FOUND); a malformed identifier or code is refused naming the field."""
    canonical, matches = _requested(identifier, code)
    license = selectors.license_by_identifier(canonical)
    if license is None or not matches:
        raise _not_found()
    return _verified_record(license, channel=Channel.CODE, address=address)


def _verified_record(
    license: License,
    *,
    channel: str,
    address: str,
    presented: signing.SignedLicense | None = None,
) -> Outcome:
    check = _verify_held(license, presented)
    _USE_LOG.insert(**_use(license, channel=channel, address=address, verdict=check.verdict))
    return _outcome(check, license=license)


# --- many at once ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchAnswer:
    """One item of a batch: the outcome, or the refusal an item of its own would get."""

    identifier: str
    outcome: Outcome | None = None
    field: str = ""
    error: str = ""


def _attempt(identifier: str, code: str) -> tuple[str, bool] | DomainError:
    try:
        return _requested(identifier, code)
    except DomainError as refusal:
        return refusal


def limit_batch(address: str) -> None:
    """settings.LICENSE_BATCH_RATE batches (of up to BATCH_MAX) per client address."""
    hit("licenses.verify_batch", address, settings.LICENSE_BATCH_RATE, field="items")


def verify_batch(items: Sequence[tuple[str, str]], *, address: str = "") -> list[BatchAnswer]:
    """Identifier + code pairs verified together, as a bank checks the licenses of its loan
    files: one lookup for all, one insert for their use log. Each item is answered as
    verify_by_code would answer it alone; a refused item does not spoil the others."""
    if not 1 <= len(items) <= BATCH_MAX:
        raise DomainError.of("items", f"一次核验的证照应为1至{BATCH_MAX}个")
    requested = [_attempt(identifier, code) for identifier, code in items]
    asked = [request[0] for request in requested if not isinstance(request, DomainError)]
    held = selectors.licenses_by_identifiers(asked)
    answers, uses = [], []
    for (identifier, _), request in zip(items, requested, strict=True):
        if isinstance(request, DomainError) or not request[1] or request[0] not in held:
            reason = (request if isinstance(request, DomainError) else _not_found()).errors[0]
            answers.append(BatchAnswer(identifier, field=reason.field, error=reason.message))
            continue
        license = held[request[0]]
        check = _verify_held(license)
        uses.append(_use(license, channel=Channel.BATCH, address=address, verdict=check.verdict))
        answers.append(BatchAnswer(license.identifier, outcome=_outcome(check, license=license)))
    _USE_LOG.insert_many(uses)
    return answers


def qr_parameters(payload: str) -> tuple[str, str]:
    """(identifier, code) from a scanned verification URL of this platform; anything else is
    refused on `qr` with the reason."""
    text = (payload or "").strip()
    if not text or len(text) > MAX_QR_LENGTH:
        raise DomainError.of("qr", "二维码内容为空或过长，不是证照核验码")
    try:
        url = urlsplit(text)
    except ValueError as error:
        raise DomainError.of("qr", "二维码内容不是证照核验地址") from error
    ours = urlsplit(settings.PUBLIC_BASE_URL)
    if (url.scheme, url.netloc.lower()) != (ours.scheme, ours.netloc.lower()):
        raise DomainError.of(
            "qr", "二维码不是本平台的证照核验码，请到签发平台核验，或上传证照的 PDF、JSON 文件"
        )
    if url.path.rstrip("/") != documents.VERIFY_PATH.rstrip("/"):
        raise DomainError.of("qr", "二维码内容不是证照核验地址")
    query = parse_qs(url.query, keep_blank_values=True, max_num_fields=10)
    named, codes = query.get("id", []), query.get("code", [])
    if len(named) != 1 or len(codes) != 1:
        raise DomainError.of("qr", "二维码缺少证照标识或验证码")
    return named[0], codes[0]


def verify_qr(payload: str, *, address: str = "") -> Outcome:
    """The QR code's URL as scanned: its identifier and code, verified as typed ones are."""
    identifier, code = qr_parameters(payload)
    return verify_by_code(identifier, code, address=address)


# --- uploaded files -------------------------------------------------------------------------------


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def document_of_upload(data: bytes) -> dict:
    """The signed license document inside an uploaded PDF or JSON file, or refused on `file`."""
    if not data:
        raise DomainError.of("file", "上传的文件是空的")
    if len(data) > settings.MAX_UPLOAD_BYTES:
        limit = settings.MAX_UPLOAD_BYTES // (1024 * 1024)
        raise DomainError.of("file", f"文件不能超过 {limit} MB")
    if data.startswith(b"%PDF-"):
        return documents.signed_document_from_pdf(data)
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except RecursionError as error:
        raise DomainError.of("file", MAX_JSON_DEPTH_ERROR) from error
    except (UnicodeDecodeError, ValueError) as error:
        raise DomainError.of("file", UPLOAD_REFUSAL) from error
    if not isinstance(document, dict):
        raise DomainError.of("file", UPLOAD_REFUSAL)
    return document


def verify_upload(data: bytes, *, address: str = "") -> Outcome:
    """A PDF or JSON download: against the record when the license is held here (a changed
    field is named), else offline against this platform's and recognized platforms' seals."""
    try:
        signed = signing.SignedLicense.from_document(document_of_upload(data), field="file")
    except DomainError as error:
        logger.info("license verification refused: %s", error.detail)
        raise
    license = _held(signed.identifier)
    if license is not None:
        return _verified_record(license, channel=Channel.UPLOAD, address=address, presented=signed)
    return verify_offline(signed)


def verify_offline(signed: signing.SignedLicense, *, today: date | None = None) -> Outcome:
    """A license not held here, against the seals this platform trusts."""
    trust, platforms = recognized_trust()
    check = signing.verify(signed, trust, today=today or timezone.localdate())
    platform = platforms.get(signed.seal_id, "")
    note = ""
    if check.authentic and not platform:
        note = "（本平台证照库中无此证照，无法确认其是否已被撤销或注销）"
    elif check.authentic:
        note = f"（由互认平台“{platform}”的印章签发；证照状态以签发平台为准）"
    return _outcome(check, platform=platform, note=note)


def _foreign_trusted(seal: ForeignSeal) -> signing.TrustedSeal:
    return signing.TrustedSeal(
        seal_id=seal.key_id,
        issuer_uscc=seal.issuer_uscc,
        issuer_name=seal.issuer_name,
        seal_name=seal.seal_name,
        public_key_pem=seal.public_key_pem,
        valid_from=seal.valid_from,
        valid_until=seal.valid_until,
        revoked_at=seal.revoked_at,
    )


def recognized_trust() -> tuple[signing.TrustList, dict[str, str]]:
    """Our own seals and those of the platforms we recognize (active ones), with the name of
    the platform behind each foreign seal."""
    foreign = list(
        ForeignSeal.objects.select_related("platform").filter(platform__active=True).order_by("pk")
    )
    seals = [*selectors.trust_list(), *(_foreign_trusted(seal) for seal in foreign)]
    return signing.TrustList(seals), {seal.key_id: seal.platform.name for seal in foreign}


# --- 互认共享: the trust list we publish, signed --------------------------------------------------


def _make_trust_list_key(actor: str) -> TrustListKey:
    key_pair = SM2KeyPair.generate()
    public_key_pem = key_pair.public_pem().decode()
    key_id = signing.key_id_of(public_key_pem)
    made = TrustListKey.objects.create(
        key_id=key_id,
        public_key_pem=public_key_pem,
        private_key_sealed=keys.seal(
            TRUST_LIST_KEY_PURPOSE, key_pair.private_pem().decode(), context=key_id
        ),
    )
    record_audit("license.trust_list_key_made", actor=actor, target=f"TrustListKey:{made.pk}")
    return made


def current_trust_list_key() -> TrustListKey:
    """The key our trust list is signed with, made on first need (one at a time: the
    database admits a single current key, so a racing maker reads the winner's)."""
    key = TrustListKey.objects.filter(current=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            return _make_trust_list_key(actor="system")
    except IntegrityError:
        return TrustListKey.objects.get(current=True)


@transaction.atomic
def rotate_trust_list_key(*, actor: str) -> TrustListKey:
    """A new signing key for our trust list; the platforms recognizing us must pin its id."""
    TrustListKey.objects.filter(current=True).update(current=False)
    return _make_trust_list_key(actor)


def published_trust_list() -> dict:
    """Our trust list as published at the well-known URL: every seal, signed."""
    key = current_trust_list_key()
    pem = keys.open_sealed(TRUST_LIST_KEY_PURPOSE, key.private_key_sealed, context=key.key_id)
    document = selectors.trust_list_document()
    return signing.sign_trust_document(document, SM2KeyPair.from_pem(pem.encode()))


# --- 互认共享: importing another platform's trust list --------------------------------------------


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_trust_list(url: str) -> dict:
    """Download a published trust list. HTTPS only (a loopback address may use HTTP, for a
    platform on the same host and for tests); at most MAX_TRUST_LIST_BYTES."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(parts.hostname or "")):
        raise DomainError.of("url", "信任列表地址须为 https:// 开头的网址")
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_TRUST_LIST_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DomainError.of("url", f"无法获取信任列表：{error}") from error
    if len(body) > MAX_TRUST_LIST_BYTES:
        raise DomainError.of("url", "信任列表过大")
    return parse_trust_list(body, field="url")


def parse_trust_list(data: bytes, *, field: str = "file") -> dict:
    try:
        document = json.loads(data.decode("utf-8-sig"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise DomainError.of(field, "信任列表不是有效的 JSON") from error
    if not isinstance(document, dict):
        raise DomainError.of(field, "信任列表不是有效的 JSON 对象")
    return document


def _check_foreign(platform: ForeignPlatform | None, trust: signing.TrustList) -> None:
    """A platform vouches for its own issuers only: none of our seals, none of our issuers,
    nothing another recognized platform already lists."""
    ids = [seal.seal_id for seal in trust]
    usccs = {seal.issuer_uscc for seal in trust}
    errors = []
    if Seal.objects.filter(key_id__in=ids).exists():
        errors.append(
            FieldError("trust_list", "信任列表含有本平台自己的印章，不能作为互认平台导入")
        )
    ours = sorted(
        set(Seal.objects.filter(agency__uscc__in=usccs).values_list("agency__name", flat=True))
    )
    if ours:
        errors.append(
            FieldError("trust_list", f"信任列表声称代表本平台的发证机关：{'、'.join(ours)}")
        )
    others = ForeignSeal.objects.filter(key_id__in=ids).select_related("platform")
    if platform is not None:
        others = others.exclude(platform=platform)
    if names := sorted({seal.platform.name for seal in others}):
        errors.append(
            FieldError("trust_list", f"信任列表中的印章已由互认平台“{'、'.join(names)}”列入")
        )
    if errors:
        raise DomainError(errors, status=409, title="状态冲突")


def _sync_seals(platform: ForeignPlatform, trust: signing.TrustList) -> dict[str, int]:
    held = {seal.key_id: seal for seal in platform.seals.all()}
    counts = {"added": 0, "updated": 0, "removed": 0}
    for trusted in trust:
        values = {
            "issuer_uscc": trusted.issuer_uscc,
            "issuer_name": trusted.issuer_name[:200],
            "seal_name": trusted.seal_name[:50],
            "public_key_pem": trusted.public_key_pem,
            "valid_from": trusted.valid_from,
            "valid_until": trusted.valid_until,
            "revoked_at": trusted.revoked_at,
        }
        existing = held.pop(trusted.seal_id, None)
        if existing is None:
            ForeignSeal.objects.create(platform=platform, key_id=trusted.seal_id, **values)
            counts["added"] += 1
            continue
        if existing.revoked_at is not None:  # a revocation once seen stays, at its first time
            later = trusted.revoked_at is None or trusted.revoked_at > existing.revoked_at
            values["revoked_at"] = existing.revoked_at if later else trusted.revoked_at
        changed = [name for name, value in values.items() if getattr(existing, name) != value]
        if changed:
            for name in changed:
                setattr(existing, name, values[name])
            existing.save(update_fields=changed)
            counts["updated"] += 1
    # What the platform no longer lists, it no longer vouches for.
    gone = ForeignSeal.objects.filter(pk__in=[seal.pk for seal in held.values()])
    counts["removed"] = gone.delete()[0]
    return counts


@dataclass(frozen=True)
class TrustImport:
    platform: ForeignPlatform
    seals: int
    added: int
    updated: int
    removed: int


def signer_key_id(value: str) -> str:
    """A trust-list key id as typed (the SM3 hex of the other platform's public key)."""
    key_id = (value or "").strip().lower()
    if not KEY_ID.fullmatch(key_id):
        raise DomainError.of(
            "signer_key_id", "信任列表签名密钥标识应为64位十六进制字符（对方平台公钥的 SM3 摘要）"
        )
    if TrustListKey.objects.filter(key_id=key_id).exists():
        raise DomainError.of("signer_key_id", "这是本平台自己的信任列表签名密钥，不能用于互认")
    return key_id


def signed_trust_list(document: object, *, key_id: str) -> signing.TrustList:
    """The seals of a trust list signed by the pinned key `key_id`, or refused with why."""
    signing.check_trust_signature(document, key_id=key_id, field="trust_list")
    return signing.TrustList.from_document(document, field="trust_list")


def _pinned_key(platform: ForeignPlatform | None, given: str) -> str:
    if given:
        return signer_key_id(given)
    if platform is None or not platform.signer_key_id:
        raise DomainError.of("signer_key_id", "请填写对方平台线下告知的信任列表签名密钥标识")
    return platform.signer_key_id


@transaction.atomic
def import_trust_list(
    *, name: str, document: object, actor: str, url: str = "", key_id: str = ""
) -> TrustImport:
    """Recognize platform `name` (made if new) with the seals of its trust list `document`,
    which the key `key_id` must have signed (a known platform's pinned key when not given;
    given, it is pinned anew); a platform already known has its seals brought in line with
    the list. Audited."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise DomainError.of("name", "平台名称不能为空且不超过100个字")
    platform = ForeignPlatform.objects.select_for_update().filter(name=name).first()
    pinned = _pinned_key(platform, key_id)
    trust = signed_trust_list(document, key_id=pinned)
    _check_foreign(platform, trust)
    if platform is None:
        platform = ForeignPlatform.objects.create(name=name, trust_list_url=url)
    elif url and url != platform.trust_list_url:
        platform.trust_list_url = url
    platform.signer_key_id = pinned
    platform.refreshed_at = timezone.now()
    platform.save(update_fields=["trust_list_url", "signer_key_id", "refreshed_at"])
    counts = _sync_seals(platform, trust)
    record_audit(
        "license.trust_list_imported",
        actor=actor,
        target=f"ForeignPlatform:{platform.pk}",
        detail={"name": name, "url": url, "signer_key_id": pinned, "seals": len(trust), **counts},
    )
    return TrustImport(platform=platform, seals=len(trust), **counts)


def refresh_platform(platform: ForeignPlatform, *, actor: str) -> TrustImport:
    """Fetch the platform's trust list again from its address and bring its seals in line."""
    if not platform.trust_list_url:
        raise DomainError.of("url", f"互认平台“{platform.name}”没有登记信任列表地址，请用文件导入")
    document = fetch_trust_list(platform.trust_list_url)
    return import_trust_list(
        name=platform.name, document=document, actor=actor, url=platform.trust_list_url
    )
