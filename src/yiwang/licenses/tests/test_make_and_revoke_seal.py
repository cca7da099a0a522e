"""制章 and 注销: keys sealed at rest, a drawn specimen, audited; a revoked seal signs nothing
more, while what it signed before verifies as signed while valid."""

from datetime import timedelta

import pytest
from django.utils import timezone

from yiwang.core import files
from yiwang.core.crypto import CryptoError, load_public_key, sm2_verify
from yiwang.core.errors import Conflict, DomainError
from yiwang.core.models import AuditRecord
from yiwang.licenses import selectors, services, signing
from yiwang.licenses.constants import SealStatus, Verdict
from yiwang.licenses.models import License, Seal, SealUse
from yiwang.licenses.tests.factories import make_seal, sign

pytestmark = pytest.mark.django_db


def test_a_seal_keeps_its_private_key_sealed_and_names_it_by_the_public_key(seal):
    key_pair = services.Keyring().signing_key(seal)
    private_pem = key_pair.private_pem().decode()
    row = str(Seal.objects.values().get(pk=seal.pk))
    key_body = "".join(private_pem.splitlines()[1:-1])
    assert "PRIVATE KEY" not in row
    assert key_body not in row and key_body[:40] not in row
    assert seal.key_id == signing.key_id_of(seal.public_key_pem)
    # The sealed private key belongs to the published public key.
    public_key = load_public_key(seal.public_key_pem.encode())
    assert sm2_verify(public_key, key_pair.sign(b"probe"), b"probe")


def test_the_sealed_key_opens_only_for_its_own_seal(agency, seal):
    other = make_seal(agency, "电子证照专用章")
    other.private_key_sealed = seal.private_key_sealed  # swapped in the database
    with pytest.raises(CryptoError, match="密文校验失败"):
        services.Keyring().signing_key(other)


def test_making_a_seal_draws_its_specimen_and_is_audited(agency, seal):
    assert seal.image.content_type == "application/pdf"
    assert files.read(seal.image).startswith(b"%PDF-")
    assert (seal.status, seal.revoked_at) == (SealStatus.ACTIVE, None)
    assert seal.valid_until.year == seal.valid_from.year + 5
    record = AuditRecord.objects.get(action="seal.made")
    assert record.target == f"Seal:{seal.pk}"
    assert record.detail == {"agency": agency.uscc, "name": "行政审批专用章", "key_id": seal.key_id}


def test_one_active_seal_per_name_and_agency(agency, seal):
    with pytest.raises(Conflict, match="已有名为“行政审批专用章”的有效印章"):
        make_seal(agency)
    with pytest.raises(DomainError, match="印章名称不能为空"):
        make_seal(agency, "  ")
    now = timezone.now()
    with pytest.raises(DomainError, match="印章有效期截止时间应晚于启用时间"):
        make_seal(agency, "专用章", valid_from=now, valid_until=now - timedelta(days=1))
    services.revoke_seal(seal=seal, actor="admin", reason="密钥更换")
    assert make_seal(agency).status == SealStatus.ACTIVE  # a successor under the same name


def test_revocation_is_dated_audited_and_happens_once(seal):
    with pytest.raises(DomainError, match="注销原因不能为空"):
        services.revoke_seal(seal=seal, actor="admin", reason="")
    revoked = services.revoke_seal(seal=seal, actor="admin", reason="印章介质遗失")
    assert revoked.status == SealStatus.REVOKED
    assert revoked.revoked_at is not None
    assert revoked.revoke_reason == "印章介质遗失"
    assert AuditRecord.objects.get(action="seal.revoked").detail["reason"] == "印章介质遗失"
    with pytest.raises(Conflict, match="已注销"):
        services.revoke_seal(seal=seal, actor="admin", reason="再次注销")


def test_a_revoked_seal_signs_nothing_but_its_earlier_signatures_hold(food_type, seal):
    earlier = sign(food_type, seal)
    services.revoke_seal(seal=seal, actor="admin", reason="印章介质遗失")

    with pytest.raises(Conflict, match=r"已于.*注销，不能再用章") as refused:
        sign(food_type, seal)  # the caller's copy still says active: the service re-reads it
    assert refused.value.errors[0].field == "seal"
    assert License.objects.count() == SealUse.objects.count() == 1

    found = selectors.license_by_identifier(earlier.identifier)
    result = services.verify_license(found)
    assert result.verdict == Verdict.VALID
    assert result.signed_while_valid
    assert "签章时印章有效（该印章已于" in result.detail


def test_a_seal_signs_only_inside_its_validity(agency, food_type):
    later = timezone.now() + timedelta(days=30)
    pending = make_seal(
        agency, "未启用章", valid_from=later, valid_until=later + timedelta(days=365)
    )
    with pytest.raises(Conflict, match="不在有效期内"):
        sign(food_type, pending)
    assert not License.objects.exists()
