"""Keys: a master key from a provider, SM4 data keys wrapped under it, sealed fields, blind
indexes.

The master key never touches the database. `env` takes it from YIWANG_MASTER_KEY (32 hex
characters); `local-file` (the embedded profile's demo provider) keeps one in var/; a KMS can
register another provider. Data keys are per purpose ("person.id_number"), versioned: sealing
uses the newest, opening reads the version from the sealed value, so rotation never breaks
what was sealed before. A blind index is HMAC-SM3 under a key of its own, so equal values can
be found without decrypting; it is not rotated (that would need a re-index).
"""

from __future__ import annotations

import base64
import secrets
import struct
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from yiwang.core import crypto
from yiwang.core.models import DataKey
from yiwang.core.plugins import Plugin, Registry

SEAL_PREFIX = b"Y1"
INDEX_SUFFIX = ".index"


class MasterKeyProvider(Plugin):
    def master_key(self) -> bytes:
        raise NotImplementedError


providers: Registry[MasterKeyProvider] = Registry("master key providers")


def _parse_hex_key(raw: str, source: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError as error:
        raise ImproperlyConfigured(f"{source}: the master key must be hexadecimal") from error
    if len(key) != crypto.SM4_KEY_BYTES:
        raise ImproperlyConfigured(f"{source}: the master key must be {crypto.SM4_KEY_BYTES} bytes")
    return key


@providers.register("env")
class EnvironmentMasterKey(MasterKeyProvider):
    verbose_name = "环境变量 YIWANG_MASTER_KEY"

    def master_key(self) -> bytes:
        if not settings.MASTER_KEY_HEX:
            raise ImproperlyConfigured("YIWANG_MASTER_KEY is not set")
        return _parse_hex_key(settings.MASTER_KEY_HEX, "YIWANG_MASTER_KEY")

    def check_config(self) -> None:
        self.master_key()


@providers.register("local-file")
class LocalFileMasterKey(MasterKeyProvider):
    verbose_name = "本地文件 var/master_key（仅嵌入式部署）"
    is_demo = True

    def master_key(self) -> bytes:
        path = Path(settings.VAR_DIR) / "master_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(crypto.SM4_KEY_BYTES))
            path.chmod(0o600)
        return _parse_hex_key(path.read_text(), str(path))


def master_key(registry: Registry[MasterKeyProvider] = providers) -> bytes:
    return registry.configured(settings.MASTER_KEY_PROVIDER).master_key()


def _aad(purpose: str, version: int) -> bytes:
    return f"{purpose}:{version}".encode()


def _unwrap(key: DataKey, master: bytes) -> bytes:
    return crypto.sm4_gcm_decrypt(master, bytes(key.wrapped), _aad(key.purpose, key.version))


# Unwrapped data keys by (purpose, version). A version's key never changes once committed
# (rotation adds versions, a master-key rewrap re-wraps the same key), so a process keeps
# what it read, and opening a sealed value or computing an index needs no query. Only keys
# seen committed are kept: one made in a transaction that rolls back is never remembered.
_unwrapped: dict[tuple[str, int], bytes] = {}


def _remember(key: DataKey, plain: bytes) -> bytes:
    transaction.on_commit(lambda: _unwrapped.setdefault((key.purpose, key.version), plain))
    return plain


def forget_keys() -> None:
    """Drop the unwrapped keys this process holds (tests, whose databases come and go)."""
    _unwrapped.clear()


def _stored_key(purpose: str, version: int, master: bytes) -> bytes | None:
    if (purpose, version) in _unwrapped:
        return _unwrapped[(purpose, version)]
    key = DataKey.objects.filter(purpose=purpose, version=version).first()
    return _remember(key, _unwrap(key, master)) if key else None


@transaction.atomic
def rotate(purpose: str) -> DataKey:
    """A new data key version for `purpose`; the previous one is retired from sealing."""
    latest = (
        DataKey.objects.select_for_update().filter(purpose=purpose).order_by("-version").first()
    )
    version = latest.version + 1 if latest else 1
    if latest and latest.retired_at is None:
        latest.retired_at = timezone.now()
        latest.save(update_fields=["retired_at"])
    wrapped = crypto.sm4_gcm_encrypt(master_key(), crypto.new_sm4_key(), _aad(purpose, version))
    return DataKey.objects.create(purpose=purpose, version=version, wrapped=wrapped)


def _current(purpose: str) -> DataKey:
    key = DataKey.objects.filter(purpose=purpose).order_by("-version").first()
    return key or rotate(purpose)


class Sealer:
    """Seals, opens and indexes values of one purpose with the keys unwrapped once, for the
    many values of a batch; `seal`, `open_sealed` and `blind_index` use one for a single value."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self._master = master_key()
        self._keys: dict[int, bytes] = {}  # this Sealer's own, for a batch inside a transaction

    @cached_property
    def _current_version(self) -> int:
        """The version sealing uses: read each time a Sealer first seals, so a rotation in
        another process is followed."""
        return _current(self.purpose).version

    @cached_property
    def _index_key(self) -> bytes:
        index_purpose = self.purpose + INDEX_SUFFIX
        stored = _stored_key(index_purpose, 1, self._master)
        if stored is None:
            made = rotate(index_purpose)
            stored = _remember(made, _unwrap(made, self._master))
        return stored

    def seal(self, plaintext: str, *, context: str = "") -> str:
        """base64 of prefix ‖ key version ‖ SM4-GCM blob."""
        version = self._current_version
        blob = crypto.sm4_gcm_encrypt(self._key(version), plaintext.encode(), context.encode())
        return base64.b64encode(SEAL_PREFIX + struct.pack(">I", version) + blob).decode()

    def open(self, sealed: str, *, context: str = "") -> str:
        raw = base64.b64decode(sealed)
        if raw[:2] != SEAL_PREFIX:
            raise crypto.CryptoError("不是本平台加密的数据")
        (version,) = struct.unpack(">I", raw[2:6])
        return crypto.sm4_gcm_decrypt(self._key(version), raw[6:], context.encode()).decode()

    def index(self, value: str) -> str:
        """HMAC-SM3 under the purpose's index key: exact lookup without decrypting."""
        return crypto.hmac_sm3(self._index_key, value.encode()).hex()

    def _key(self, version: int) -> bytes:
        if version not in self._keys:
            key = _stored_key(self.purpose, version, self._master)
            if key is None:
                raise crypto.CryptoError(f"{self.purpose} 的第{version}版密钥不存在")
            self._keys[version] = key
        return self._keys[version]


def seal(purpose: str, plaintext: str, *, context: str = "") -> str:
    return Sealer(purpose).seal(plaintext, context=context)


def open_sealed(purpose: str, sealed: str, *, context: str = "") -> str:
    return Sealer(purpose).open(sealed, context=context)


def blind_index(purpose: str, value: str) -> str:
    return Sealer(purpose).index(value)


@transaction.atomic
def rewrap_all(old_master: bytes, new_master: bytes) -> int:
    """Master-key rotation: every data key re-wrapped under the new master key."""
    count = 0
    for key in DataKey.objects.select_for_update():
        plain = crypto.sm4_gcm_decrypt(
            old_master, bytes(key.wrapped), _aad(key.purpose, key.version)
        )
        key.wrapped = crypto.sm4_gcm_encrypt(new_master, plain, _aad(key.purpose, key.version))
        key.save(update_fields=["wrapped"])
        count += 1
    return count
