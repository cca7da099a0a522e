"""国密 in one module: SM2 signatures, SM3 digests and HMAC, SM4-GCM. C-backed only.

SM2 and SM4 come from tongsuopy (the Tongsuo fork of OpenSSL behind a cryptography-style
API); SM3 and HMAC-SM3 from the platform's OpenSSL through hashlib. Measured on this 2-core
machine: tongsuopy verifies about 2,400–4,100 SM2 signatures a second, the pure-Python gmssl
package about 114 (docs/adr/0004-guomi-library.md). Every other context calls these functions
and never a crypto library directly, so the backend can change in one place.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from tongsuopy.crypto import hashes, serialization
from tongsuopy.crypto.asymciphers import ec
from tongsuopy.crypto.ciphers.aead import SM4GCM
from tongsuopy.crypto.exceptions import InternalError, InvalidSignature, InvalidTag

SM4_KEY_BYTES = 16
GCM_NONCE_BYTES = 12
GCM_TAG_BYTES = 16
_SM2_SIGNATURE = ec.ECDSA(hashes.SM3())


class CryptoError(Exception):
    """Decryption or key loading failed: wrong key, tampered data or a malformed input."""


def sm3_digest(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    """HMAC-SM3, e.g. the blind index of an encrypted identifier."""
    return hmac.new(key, data, "sm3").digest()


def same_mac(expected: bytes, given: bytes) -> bool:
    return hmac.compare_digest(expected, given)


@dataclass(frozen=True)
class SM2KeyPair:
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SM2KeyPair:
        return cls(ec.generate_private_key(ec.SM2()))

    @classmethod
    def from_pem(cls, pem: bytes, password: bytes | None = None) -> SM2KeyPair:
        try:
            return cls(serialization.load_pem_private_key(pem, password=password))
        except (ValueError, TypeError) as error:
            raise CryptoError("SM2 私钥无法读取") from error

    def private_pem(self, password: bytes | None = None) -> bytes:
        protection = (
            serialization.BestAvailableEncryption(password)
            if password
            else serialization.NoEncryption()
        )
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection
        )

    def public_pem(self) -> bytes:
        return public_pem(self.private_key.public_key())

    def sign(self, data: bytes) -> bytes:
        """A DER-encoded SM2 signature over SM3(data)."""
        return self.private_key.sign(data, _SM2_SIGNATURE)


def public_pem(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_public_key(pem: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise CryptoError("SM2 公钥无法读取") from error


def sm2_verify(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """True when `signature` is an SM2 signature of `data` by the key's owner."""
    try:
        public_key.verify(signature, data, _SM2_SIGNATURE)
    except (InvalidSignature, InternalError, ValueError):  # a malformed signature is invalid
        return False
    return True


def new_sm4_key() -> bytes:
    return os.urandom(SM4_KEY_BYTES)


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
    """nonce ‖ ciphertext ‖ tag; the associated data is authenticated, not stored."""
    nonce = os.urandom(GCM_NONCE_BYTES)
    return nonce + SM4GCM(key).encrypt(nonce, plaintext, associated_data)


def sm4_gcm_decrypt(key: bytes, sealed: bytes, associated_data: bytes = b"") -> bytes:
    if len(sealed) < GCM_NONCE_BYTES + GCM_TAG_BYTES:
        raise CryptoError("密文长度不足")
    nonce, body = sealed[:GCM_NONCE_BYTES], sealed[GCM_NONCE_BYTES:]
    try:
        return SM4GCM(key).decrypt(nonce, body, associated_data)
    except InvalidTag as error:
        raise CryptoError("密文校验失败：密钥错误或数据被篡改") from error
