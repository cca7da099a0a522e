"""国密 primitives: standard vectors, round trips and tamper detection."""

import json

import pytest
from django.core.management import call_command
from tongsuopy.crypto.ciphers import Cipher, algorithms, modes

from yiwang.core import crypto


def test_sm3_matches_the_gb_t_32905_vector():
    expected = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert crypto.sm3_hex(b"abc") == expected
    assert crypto.sm3_digest(b"abc").hex() == expected


def test_sm4_backend_matches_the_gb_t_32907_vector():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    block = encryptor.update(key) + encryptor.finalize()
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"


def test_hmac_sm3_depends_on_key_and_message():
    mac = crypto.hmac_sm3(b"index-key", b"43010219900307093X")
    assert len(mac) == 32
    assert crypto.same_mac(mac, crypto.hmac_sm3(b"index-key", b"43010219900307093X"))
    assert not crypto.same_mac(mac, crypto.hmac_sm3(b"other-key", b"43010219900307093X"))
    assert not crypto.same_mac(mac, crypto.hmac_sm3(b"index-key", b"430102199003070936"))


def test_sm4_gcm_round_trip_and_tamper_detection():
    key = crypto.new_sm4_key()
    sealed = crypto.sm4_gcm_encrypt(key, "湖南省长沙市".encode(), b"person:7")
    assert crypto.sm4_gcm_decrypt(key, sealed, b"person:7").decode() == "湖南省长沙市"
    assert crypto.sm4_gcm_encrypt(key, b"same", b"") != crypto.sm4_gcm_encrypt(key, b"same", b"")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    for key_, data, aad in [
        (key, tampered, b"person:7"),
        (key, sealed, b"person:8"),
        (crypto.new_sm4_key(), sealed, b"person:7"),
        (key, b"short", b""),
    ]:
        with pytest.raises(crypto.CryptoError):
            crypto.sm4_gcm_decrypt(key_, data, aad)


def test_sm2_sign_verify_and_refusals():
    signer, stranger = crypto.SM2KeyPair.generate(), crypto.SM2KeyPair.generate()
    signature = signer.sign(b"license 1.2.156.3005.2")
    public = crypto.load_public_key(signer.public_pem())
    assert crypto.sm2_verify(public, signature, b"license 1.2.156.3005.2")
    assert not crypto.sm2_verify(public, signature, b"license 1.2.156.3005.3")
    assert not crypto.sm2_verify(
        crypto.load_public_key(stranger.public_pem()), signature, b"license 1.2.156.3005.2"
    )
    assert not crypto.sm2_verify(public, b"\x30\x02garbage", b"license 1.2.156.3005.2")


def test_sm2_private_key_is_stored_encrypted():
    pair = crypto.SM2KeyPair.generate()
    pem = pair.private_pem(password=b"master-key")
    assert b"ENCRYPTED" in pem
    loaded = crypto.SM2KeyPair.from_pem(pem, password=b"master-key")
    assert crypto.sm2_verify(crypto.load_public_key(pair.public_pem()), loaded.sign(b"x"), b"x")
    with pytest.raises(crypto.CryptoError):
        crypto.SM2KeyPair.from_pem(pem, password=b"wrong")


def test_crypto_benchmark_reports_rates_next_to_the_raw_backend(capsys):
    call_command("bench", "crypto", "--json", "--seconds", "0.3", "--size", "64")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["name"] == "crypto"
    assert result["metrics"]["sm2_verify_per_s"] > 0 and result["floor"]["sm2_verify_per_s"] > 0
    assert set(result["ratio"]) == {"sm2_verify_per_s", "sm2_sign_per_s"}
