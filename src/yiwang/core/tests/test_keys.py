"""Data keys under a master key: sealing, rotation, blind indexes, master-key rewrap."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.core import crypto, keys
from yiwang.core.models import DataKey

pytestmark = pytest.mark.django_db

MASTER = "00112233445566778899aabbccddeeff"
ID_NUMBER = "43010219900307093X"


@pytest.fixture(autouse=True)
def env_master_key(settings):
    settings.MASTER_KEY_PROVIDER = "env"
    settings.MASTER_KEY_HEX = MASTER


def test_sealed_values_open_only_with_the_same_purpose_and_context():
    sealed = keys.seal("person.id_number", ID_NUMBER, context="person:7")
    assert ID_NUMBER not in sealed
    assert keys.open_sealed("person.id_number", sealed, context="person:7") == ID_NUMBER
    with pytest.raises(crypto.CryptoError):
        keys.open_sealed("person.id_number", sealed, context="person:8")
    with pytest.raises(crypto.CryptoError):
        keys.open_sealed("person.phone", sealed, context="person:7")


def test_rotation_keeps_old_values_readable_and_seals_with_the_new_key():
    before = keys.seal("person.phone", "13800138000")
    rotated = keys.rotate("person.phone")
    after = keys.seal("person.phone", "13800138000")
    assert rotated.version == 2
    assert DataKey.objects.get(purpose="person.phone", version=1).retired_at is not None
    assert keys.open_sealed("person.phone", before) == keys.open_sealed("person.phone", after)
    assert before[:12] != after[:12]  # the key version is part of the sealed value


def test_blind_index_finds_equal_values_without_decrypting():
    first = keys.blind_index("person.id_number", ID_NUMBER)
    assert first == keys.blind_index("person.id_number", ID_NUMBER)
    assert first != keys.blind_index("person.id_number", "430102199003070936")
    assert first != keys.blind_index("person.phone", ID_NUMBER)
    keys.rotate("person.id_number")
    assert first == keys.blind_index("person.id_number", ID_NUMBER)  # the index key is separate


def test_data_keys_are_stored_wrapped_and_a_wrong_master_key_opens_nothing(settings):
    sealed = keys.seal("person.id_number", ID_NUMBER)
    assert len(bytes(DataKey.objects.get().wrapped)) > crypto.SM4_KEY_BYTES
    settings.MASTER_KEY_HEX = "ffeeddccbbaa99887766554433221100"
    with pytest.raises(crypto.CryptoError):
        keys.open_sealed("person.id_number", sealed)


def test_master_key_rotation_rewraps_every_data_key(settings):
    sealed = keys.seal("person.id_number", ID_NUMBER)
    new_master = "ffeeddccbbaa99887766554433221100"
    assert keys.rewrap_all(bytes.fromhex(MASTER), bytes.fromhex(new_master)) == 1
    settings.MASTER_KEY_HEX = new_master
    assert keys.open_sealed("person.id_number", sealed) == ID_NUMBER


@pytest.mark.parametrize("bad", ["", "xyz", "0011"])
def test_bad_master_keys_are_refused(settings, bad):
    settings.MASTER_KEY_HEX = bad
    with pytest.raises(ImproperlyConfigured):
        keys.seal("person.id_number", ID_NUMBER)


def test_the_local_file_provider_is_refused_in_production(settings):
    settings.MASTER_KEY_PROVIDER = "local-file"
    settings.PROFILE = "production"
    with pytest.raises(ImproperlyConfigured, match="demo plugin"):
        keys.master_key()
