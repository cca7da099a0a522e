"""The audit trail: append-only, SM3-chained; tampering is found and named."""

import logging
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings

from yiwang.core import audit
from yiwang.core.models import AuditAnchor, AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail():
    for number in range(1, 6):
        audit.record_audit(
            "catalog.version_published",
            actor=f"staff{number}",
            target=f"ServiceItem:{number}",
            address="127.0.0.1",
            detail={"n": number},
        )
    return list(AuditRecord.objects.order_by("sequence"))


def test_intact_chain_verifies(trail, capsys):
    assert [r.sequence for r in trail] == [1, 2, 3, 4, 5]
    assert trail[0].previous_hash == audit.GENESIS
    assert all(b.previous_hash == a.hash for a, b in pairwise(trail))
    call_command("audit", "verify")
    assert "审计链完整，共5条" in capsys.readouterr().out


def test_a_row_changed_in_the_database_is_named(trail):
    AuditRecord.objects.filter(sequence=3).update(actor="someone-else")  # straight SQL, no model
    verdict = audit.verify()
    assert (verdict.ok, verdict.sequence) == (False, 3)
    with pytest.raises(CommandError, match="第3条审计记录被篡改"):
        call_command("audit", "verify")


def test_a_deleted_row_is_named(trail):
    AuditRecord.objects.filter(sequence=2).delete()  # a bulk delete bypasses the model
    with pytest.raises(CommandError, match="第2条审计记录缺失"):
        call_command("audit", "verify")


def test_a_truncated_tail_is_found_through_the_head_and_the_anchor(trail):
    audit.anchor()
    AuditRecord.objects.filter(sequence__gte=4).delete()
    verdict = audit.verify()
    assert not verdict.ok and verdict.sequence == 4
    assert "第4条起的审计记录缺失" in verdict.message


def test_records_cannot_be_changed_or_deleted_through_the_model(trail):
    record = trail[0]
    record.actor = "x"
    with pytest.raises(ValueError, match="只能追加"):
        record.save()
    with pytest.raises(ValueError, match="只能追加"):
        record.delete()


def test_an_append_in_a_failed_transaction_leaves_nothing(trail):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record_audit("login.failed", actor="x")
        raise RuntimeError("the change was refused")
    assert AuditRecord.objects.count() == 5
    assert audit.verify().ok
    assert audit.record_audit("login.succeeded").sequence == 6


@override_settings(AUDIT_ANCHOR_EVERY=3)
def test_the_chain_anchors_itself_and_logs_the_anchor(caplog):
    caplog.set_level(logging.INFO, logger="yiwang.core.audit")
    for number in range(7):
        audit.record_audit("test.event", target=str(number))
    assert list(AuditAnchor.objects.values_list("sequence", flat=True)) == [3, 6]
    sixth = AuditRecord.objects.get(sequence=6)
    assert f"audit anchor #6 {sixth.hash}" in caplog.text
