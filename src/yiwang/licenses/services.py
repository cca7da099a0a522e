"""Seals and signatures: 制章 (make a seal), 注销 (revoke it), 用章 (sign a license) and the
verification of a stored license.

- 制章: each seal is an SM2 key pair made here. The private key is sealed at rest (SM4-GCM
  under the `seal.private_key` data key, bound to the seal's key id) and leaves this module
  only as a signature; the specimen image is drawn (seal_image). Audited.
- 用章: a seal signs only while active and inside its validity. Every signature writes a
  SealUse row (who, which document, its SM3 digest, when) in the signing transaction, so a
  license exists exactly when its use of the seal is logged.
- 注销: a revoked seal signs nothing more. Its earlier signatures still verify, as "signed
  while valid", because the signing time is part of the signed bytes and precedes the
  revocation. Audited; the row is locked so two revocations cannot both win.
- A license's identifier takes the next serial of its type, issuer and year from a counter
  row bumped in one statement (see allocate_serial).

Issuance on case.completed, lifecycle changes and the wallet build on `sign_license` and
`verify_license`; batches pass one Keyring so keys are unwrapped once, not per license.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from yiwang.core import files, keys
from yiwang.core.audit import record_audit
from yiwang.core.crypto import CryptoError, SM2KeyPair
from yiwang.core.errors import Conflict, DomainError
from yiwang.core.events import record_event
from yiwang.core.identifiers import mask, validate_id_number, validate_uscc
from yiwang.core.keys import Sealer
from yiwang.licenses import identifiers, license_data, seal_image, signing
from yiwang.licenses.constants import (
    HOLDER_ID_PURPOSE,
    SEAL_KEY_PURPOSE,
    SEAL_VALIDITY_YEARS,
    DocumentKind,
    HolderKind,
    SealStatus,
)
from yiwang.licenses.models import License, LicenseType, Seal, SealUse, SerialCounter
from yiwang.licenses.selectors import trusted_seal
from yiwang.regions.models import Organization

SEAL_NAME_MAX = 50
HOLDER_NAME_MAX = 200
REASON_MAX = 500


class Keyring:
    """Keys opened once for many licenses: the holder-id sealers and the seals' private keys.

    Keep one per batch, worker loop or request. A long-lived one goes on sealing holder ids
    under the data-key version it first opened (older versions always open) until replaced;
    revocation does not depend on it, as every signature re-reads the seal's status.
    """

    def __init__(self) -> None:
        self._sealers: dict[str, Sealer] = {}
        self._signing_keys: dict[str, SM2KeyPair] = {}

    def sealer(self, holder_kind: str) -> Sealer:
        purpose = HOLDER_ID_PURPOSE[holder_kind]
        if purpose not in self._sealers:
            self._sealers[purpose] = Sealer(purpose)
        return self._sealers[purpose]

    def signing_key(self, seal: Seal) -> SM2KeyPair:
        if seal.key_id not in self._signing_keys:
            pem = keys.open_sealed(SEAL_KEY_PURPOSE, seal.private_key_sealed, context=seal.key_id)
            self._signing_keys[seal.key_id] = SM2KeyPair.from_pem(pem.encode())
        return self._signing_keys[seal.key_id]


def _text(value: str, field: str, label: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value or len(value) > max_length:
        raise DomainError.of(field, f"{label}不能为空且不超过{max_length}个字")
    return value


def _whole_second(moment: datetime) -> datetime:
    """Instants that signatures and the trust list compare are kept to the second, as the
    canonical form writes them, so online and offline verification agree."""
    return moment.replace(microsecond=0)


def _years_later(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


# --- 制章 and 注销 ---------------------------------------------------------------------------


def check_seal_terms(
    *, agency: Organization, name: str, valid_from: datetime, valid_until: datetime
) -> str:
    """The seal's name, once the terms of a new seal are acceptable (also the admin form's
    check, so the screen and the service refuse alike)."""
    name = _text(name, "name", "印章名称", SEAL_NAME_MAX)
    if valid_until <= valid_from:
        raise DomainError.of("valid_until", "印章有效期截止时间应晚于启用时间")
    if valid_until <= timezone.now():
        raise DomainError.of("valid_until", "印章有效期截止时间应晚于当前时间")
    if Seal.objects.filter(agency=agency, name=name, status=SealStatus.ACTIVE).exists():
        raise Conflict("name", f"{agency.name}已有名为“{name}”的有效印章，请先注销旧章")
    return name


@transaction.atomic
def make_seal(
    *,
    agency: Organization,
    name: str,
    actor: str,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
) -> Seal:
    """制章: a new key pair, its private key sealed, a drawn specimen; audited."""
    valid_from = _whole_second(valid_from or timezone.now())
    valid_until = _whole_second(valid_until or _years_later(valid_from, SEAL_VALIDITY_YEARS))
    name = check_seal_terms(
        agency=agency, name=name, valid_from=valid_from, valid_until=valid_until
    )
    key_pair = SM2KeyPair.generate()
    public_key_pem = key_pair.public_pem().decode()
    key_id = signing.key_id_of(public_key_pem)
    specimen = seal_image.specimen_pdf(agency_name=agency.name, seal_name=name)
    made = Seal.objects.create(
        agency=agency,
        name=name,
        key_id=key_id,
        public_key_pem=public_key_pem,
        private_key_sealed=keys.seal(
            SEAL_KEY_PURPOSE, key_pair.private_pem().decode(), context=key_id
        ),
        image=files.store(specimen, name=f"{name}印模.pdf", field="image"),
        valid_from=valid_from,
        valid_until=valid_until,
    )
    record_audit(
        "seal.made",
        actor=actor,
        target=f"Seal:{made.pk}",
        detail={"agency": agency.uscc, "name": name, "key_id": key_id},
    )
    record_event("seal.made", seal=key_id, agency=agency.uscc)
    return made


@transaction.atomic
def revoke_seal(*, seal: Seal, actor: str, reason: str) -> Seal:
    """注销: from now on the seal signs nothing; what it signed stays verifiable."""
    reason = _text(reason, "reason", "注销原因", REASON_MAX)
    locked = Seal.objects.select_for_update().select_related("agency").get(pk=seal.pk)
    if locked.status != SealStatus.ACTIVE:
        raise Conflict("status", f"印章“{locked.name}”已注销")
    locked.status = SealStatus.REVOKED
    # Rounded up: a signature made earlier in this second (its time rounded down) precedes it.
    locked.revoked_at = _whole_second(timezone.now()) + timedelta(seconds=1)
    locked.revoke_reason = reason
    locked.save(update_fields=["status", "revoked_at", "revoke_reason"])
    record_audit(
        "seal.revoked",
        actor=actor,
        target=f"Seal:{locked.pk}",
        detail={"agency": locked.agency.uscc, "key_id": locked.key_id, "reason": reason},
    )
    record_event("seal.revoked", seal=locked.key_id, agency=locked.agency.uscc)
    return locked


# --- the identifier's serial -----------------------------------------------------------------


def allocate_serial(*, type_code: str, issuer_uscc: str, year: int) -> str:
    """The next serial of a type, issuer and year, in one statement that both SQLite (3.35+)
    and PostgreSQL run atomically: the first call inserts 1, later ones add one and return it.
    The counter row stays locked until the caller's transaction ends, so serials are unique
    and a rolled-back issuance gives its number back."""
    table = connection.ops.quote_name(SerialCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (type_code, issuer_uscc, year, last) VALUES (%s, %s, %s, 1) "
            f"ON CONFLICT (type_code, issuer_uscc, year) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [type_code, issuer_uscc, year],
        )
        (counter,) = cursor.fetchone()
    if counter > identifiers.MAX_SERIAL_COUNTER:
        raise Conflict("serial", f"{year}年该类证照的流水号已用完，请联系系统管理员")
    return identifiers.serial_for(year, counter)


# --- 用章: signing a license -----------------------------------------------------------------


def _seal_in_force(seal: Seal, at: datetime) -> Seal:
    """The seal as stored now, never a caller's stale copy, refused unless it may sign `at`.
    No lock: a revocation committed meanwhile is later than `at`, so this signature was made
    while the seal was valid, which is what verification will say."""
    current = Seal.objects.select_related("agency").get(pk=seal.pk)
    if current.status != SealStatus.ACTIVE:
        revoked_on = signing.chinese_date(current.revoked_at)
        raise Conflict("seal", f"印章“{current.name}”已于{revoked_on}注销，不能再用章")
    if not current.valid_from <= at < current.valid_until:
        start, end = (
            signing.chinese_date(current.valid_from),
            signing.chinese_date(current.valid_until),
        )
        raise Conflict("seal", f"印章“{current.name}”不在有效期内（{start}至{end}）")
    return current


def _check_issuer(license_type: LicenseType, agency: Organization) -> None:
    if license_type.issuing_sector and agency.sector != license_type.issuing_sector:
        raise DomainError.of(
            "seal",
            f"{agency.name}不属于{license_type.issuing_sector}领域，不能签发{license_type.name}",
        )


def _holder_id(holder_kind: str, value: str) -> str:
    if holder_kind == HolderKind.PERSON:
        return validate_id_number(value, field="holder_id")
    return validate_uscc(value, field="holder_id")


def _validity(
    license_type: LicenseType, valid_from: date, valid_until: date | None
) -> tuple[date, date | None]:
    """The period as given, or as the type's rule makes it from the first valid day."""
    if valid_until is None:
        valid_until = license_type.valid_until_for(valid_from)
    if valid_until is not None and valid_until < valid_from:
        raise DomainError.of("valid_until", "有效期截止日期不能早于起始日期")
    return valid_from, valid_until


def _identifier(
    license_type: LicenseType, issuer: Organization, serial: str | None, version: int, year: int
) -> str:
    identifiers.validate_version(version)
    serial = serial or allocate_serial(
        type_code=license_type.code, issuer_uscc=issuer.uscc, year=year
    )
    identifier = str(
        identifiers.make_identifier(
            type_code=license_type.code, issuer_uscc=issuer.uscc, serial=serial, version=version
        )
    )
    if License.objects.filter(identifier=identifier).exists():
        raise Conflict("identifier", f"证照标识 {identifier} 已存在")
    return identifier


@transaction.atomic
def sign_license(
    *,
    license_type: LicenseType,
    seal: Seal,
    holder_id: str,
    holder_name: str,
    data: dict,
    issued_on: date,
    actor: str,
    valid_from: date | None = None,
    valid_until: date | None = None,
    version: int = 1,
    serial: str | None = None,
    keyring: Keyring | None = None,
) -> License:
    """用章: a new license of `license_type` for the holder, issued by the seal's agency and
    signed by the seal; logs the use. Without `serial` the next one of the year is taken;
    a new version of an existing license passes its serial and version + 1."""
    keyring = keyring or Keyring()
    signed_at = _whole_second(timezone.now())
    current = _seal_in_force(seal, signed_at)
    issuer = current.agency
    _check_issuer(license_type, issuer)
    holder_id = _holder_id(license_type.holder_kind, holder_id)
    holder_name = _text(holder_name, "holder_name", "持证主体名称", HOLDER_NAME_MAX)
    data = license_data.validate_data(license_type.data_schema, data)
    if issued_on > timezone.localdate():
        raise DomainError.of("issued_on", "发证日期不能晚于今天")
    valid_from, valid_until = _validity(license_type, valid_from or issued_on, valid_until)
    identifier = _identifier(license_type, issuer, serial, version, issued_on.year)
    payload = signing.license_payload(
        identifier=identifier,
        type_code=license_type.code,
        holder_kind=license_type.holder_kind,
        holder_id=holder_id,
        holder_name=holder_name,
        issuer_uscc=issuer.uscc,
        data=data,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        seal_id=current.key_id,
        signed_at=signed_at,
    )
    message = signing.canonical(payload)
    signed = signing.SignedLicense(payload, keyring.signing_key(current).sign(message))
    sealer = keyring.sealer(license_type.holder_kind)
    license = License.objects.create(
        identifier=identifier,
        license_type=license_type,
        holder_kind=license_type.holder_kind,
        holder_id_sealed=sealer.seal(holder_id, context=identifier),
        holder_id_index=sealer.index(holder_id),
        holder_id_masked=mask(holder_id),
        holder_name=holder_name,
        issuer=issuer,
        data=data,
        issued_on=issued_on,
        valid_from=valid_from,
        valid_until=valid_until,
        version=version,
        seal=current,
        signed_at=signed_at,
        digest=signed.digest,
        signature=base64.b64encode(signed.signature).decode(),
    )
    SealUse.objects.create(
        seal=current,
        actor=actor,
        document_kind=DocumentKind.LICENSE,
        document_reference=identifier,
        digest=signed.digest,
        used_at=signed_at,
    )
    return license


# --- verification ----------------------------------------------------------------------------


def signed_license_of(license: License, *, keyring: Keyring | None = None) -> signing.SignedLicense:
    """The license as it was signed, rebuilt from its row: for JSON downloads, PDFs and
    verification. The holder's identifier is opened for it (it is part of what was signed)."""
    keyring = keyring or Keyring()
    holder_id = keyring.sealer(license.holder_kind).open(
        license.holder_id_sealed, context=license.identifier
    )
    payload = signing.license_payload(
        identifier=license.identifier,
        type_code=license.license_type.code,
        holder_kind=license.holder_kind,
        holder_id=holder_id,
        holder_name=license.holder_name,
        issuer_uscc=license.issuer.uscc,
        data=license.data,
        issued_on=license.issued_on,
        valid_from=license.valid_from,
        valid_until=license.valid_until,
        version=license.version,
        seal_id=license.seal.key_id,
        signed_at=license.signed_at,
    )
    return signing.SignedLicense(payload, base64.b64decode(license.signature))


def verify_license(
    license: License,
    *,
    presented: signing.SignedLicense | None = None,
    today: date | None = None,
    keyring: Keyring | None = None,
) -> signing.Verification:
    """Verify a stored license, and a copy someone presents (an uploaded JSON) against it.

    The stored row is rebuilt into its signed form and checked against its seal; a presented
    copy must verify too and match the row field by field. Whichever side fails is named with
    the fields that differ from the authentic side. Then the registry's status (revoked,
    cancelled) overrides the validity period. Pass rows with license_type, issuer, seal and
    seal__agency selected (selectors.license_by_identifier does) to avoid extra queries.
    """
    today = today or timezone.localdate()
    try:
        recorded = signed_license_of(license, keyring=keyring)
    except (CryptoError, ValueError):  # a sealed id moved between rows, a mangled signature
        return signing.unreadable(license.identifier)
    trust = _trust_for(license.seal, presented)
    if presented is not None:
        check = signing.verify(presented, trust, today=today, reference=recorded)
        if not check.authentic:
            return check
        if differences := signing.changed_fields(recorded.payload, presented.payload):
            check = signing.verify(recorded, trust, today=today, reference=presented)
            return signing.unlike_record(check, differences) if check.authentic else check
    check = signing.verify(recorded, trust, today=today)
    return signing.with_status(
        check,
        status=license.status,
        changed_at=license.status_changed_at,
        reason=license.status_reason,
    )


def _trust_for(seal: Seal, presented: signing.SignedLicense | None) -> signing.TrustList:
    """The seals that may have signed: the row's, and the one a presented copy names."""
    seals = [seal]
    if presented is not None and presented.seal_id != seal.key_id:
        seals += Seal.objects.select_related("agency").filter(key_id=presented.seal_id)
    return signing.TrustList(trusted_seal(row) for row in seals)
