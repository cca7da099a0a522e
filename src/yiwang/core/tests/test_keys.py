"""Data keys under a master key: sealing, rotation, blind indexes, master-key rewrap."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

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


def test_a_committed_key_is_kept_unwrapped_so_opening_needs_no_query(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        sealed = keys.seal("test.cached", "甲")
        index = keys.blind_index("test.cached", "甲")
    with CaptureQueriesContext(connection) as queries:
        assert keys.open_sealed("test.cached", sealed) == "甲"
        assert keys.blind_index("test.cached", "甲") == index
    assert not queries.captured_queries
    keys.rotate("test.cached")  # sealing follows a rotation at once
    assert (
        keys.seal("test.cached", "乙") != sealed
        and keys.open_sealed("test.cached", keys.seal("test.cached", "乙")) == "乙"
    )


def test_a_key_made_in_a_rolled_back_transaction_is_never_remembered(
    django_capture_on_commit_callbacks,
):
    callbacks = django_capture_on_commit_callbacks(execute=True)
    with callbacks, pytest.raises(RuntimeError), transaction.atomic():
        keys.seal("test.rolled-back", "甲")
        raise RuntimeError("the change fails")
    assert not DataKey.objects.filter(purpose="test.rolled-back").exists()
    with django_capture_on_commit_callbacks(execute=True):
        sealed = keys.seal("test.rolled-back", "乙")  # a new key of the same version
    assert keys.open_sealed("test.rolled-back", sealed) == "乙"
