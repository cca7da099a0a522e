"""The audit trail: append-only, SM3 hash-chained, anchored, verifiable by a command.

`record_audit` appends in the caller's transaction, so a refused change leaves no record and a
committed one always has its record. Each record's hash is SM3 over the previous hash and the
record's canonical JSON; the head row is locked while appending, which keeps the chain a line.
`anchor` writes the head's hash down, by command and every AUDIT_ANCHOR_EVERY records; `verify`
walks the chain and names the first record that was altered or removed (a gap in the sequence,
a hash that no longer matches, or an anchor the chain no longer reaches). `search_audit` is the
auditor's read of the trail.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from yiwang.core.crypto import sm3_hex
from yiwang.core.models import AuditAnchor, AuditHead, AuditRecord

logger = logging.getLogger(__name__)
GENESIS = "0" * 64


def _canonical(record: AuditRecord) -> bytes:
    fields = {
        "sequence": record.sequence,
        "occurred_at": record.occurred_at.isoformat(),
        "actor": record.actor,
        "action": record.action,
        "target": record.target,
        "address": record.address,
        "detail": record.detail,
    }
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(previous_hash: str, record: AuditRecord) -> str:
    return sm3_hex(previous_hash.encode() + _canonical(record))


def _head() -> AuditHead:
    """The locked head of the chain; made on first use."""
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


# No savepoint of its own: a record that fails to append must fail the caller's change too.
@transaction.atomic(savepoint=False)
def record_audit(
    action: str, *, actor: str = "", target: str = "", address: str = "", detail: dict | None = None
) -> AuditRecord:
    """Append one record. Never pass an ID number in clear: mask it first."""
    head = _head()
    record = AuditRecord(
        sequence=head.sequence + 1,
        occurred_at=timezone.now(),
        actor=actor,
        action=action,
        target=target,
        address=address,
        detail=detail or {},
        previous_hash=head.hash,
    )
    # Hash what the database will give back (microsecond precision, JSON round trip).
    record.detail = json.loads(json.dumps(record.detail, ensure_ascii=False))
    record.hash = chain_hash(head.hash, record)
    record.save(force_insert=True)
    head.sequence, head.hash = record.sequence, record.hash
    head.save()
    if record.sequence % settings.AUDIT_ANCHOR_EVERY == 0:
        _write_anchor(head)
    return record


def _write_anchor(head: AuditHead) -> AuditAnchor:
    """An anchor is kept in the database and also written to the log, which ships it out of
    the database's reach: whoever rewrites the chain cannot rewrite what was logged."""
    written = AuditAnchor.objects.create(sequence=head.sequence, hash=head.hash)
    logger.info("audit anchor #%s %s", written.sequence, written.hash)
    return written


@transaction.atomic
def anchor() -> AuditAnchor:
    return _write_anchor(_head())


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    message: str
    sequence: int | None = None


def verify(batch: int = 5000) -> Verdict:
    """Walk the whole chain; the first fault found is named by its sequence number."""
    anchors = {a.sequence: a.hash for a in AuditAnchor.objects.all()}
    expected_sequence, previous_hash, checked = 1, GENESIS, 0
    for record in AuditRecord.objects.order_by("sequence").iterator(chunk_size=batch):
        if record.sequence != expected_sequence:
            return Verdict(
                False, checked, f"第{expected_sequence}条审计记录缺失（被删除）", expected_sequence
            )
        if (
            record.previous_hash != previous_hash
            or chain_hash(previous_hash, record) != record.hash
        ):
            return Verdict(False, checked, f"第{record.sequence}条审计记录被篡改", record.sequence)
        if anchors.get(record.sequence, record.hash) != record.hash:
            return Verdict(
                False, checked, f"第{record.sequence}条审计记录与锚点不符", record.sequence
            )
        previous_hash, expected_sequence, checked = record.hash, expected_sequence + 1, checked + 1
    beyond = [s for s in anchors if s >= expected_sequence]
    if beyond:
        return Verdict(
            False,
            checked,
            f"第{expected_sequence}条起的审计记录缺失（锚点至第{max(beyond)}条）",
            expected_sequence,
        )
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.sequence >= expected_sequence:
        return Verdict(
            False,
            checked,
            f"第{expected_sequence}条起的审计记录缺失（链头为第{head.sequence}条）",
            expected_sequence,
        )
    return Verdict(True, checked, f"审计链完整，共{checked}条")


def search_audit(
    *,
    action: str = "",
    action_prefix: str = "",
    actor: str = "",
    target: str = "",
    address: str = "",
    since: datetime | None = None,
    before: datetime | None = None,
) -> QuerySet[AuditRecord]:
    """The records an auditor asked for, newest first; empty criteria do not narrow."""
    records = AuditRecord.objects.all()
    if action:
        records = records.filter(action=action)
    if action_prefix:
        records = records.filter(action__startswith=action_prefix)
    if actor:
        records = records.filter(actor__icontains=actor)
    if target:
        records = records.filter(target__icontains=target)
    if address:
        records = records.filter(address=address)
    if since:
        records = records.filter(occurred_at__gte=since)
    if before:
        records = records.filter(occurred_at__lt=before)
    return records.order_by("-sequence")


def recorded_actions() -> list[str]:
    """Every action the trail holds, for the auditor's choice of events."""
    return list(AuditRecord.objects.order_by("action").values_list("action", flat=True).distinct())
