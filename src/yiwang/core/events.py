"""The transactional outbox: services record events; consumers run after commit.

`record_event` writes a row inside the caller's transaction, so an event exists exactly when
its change does. `deliver_pending` hands due events to the registered consumers; it is run
by an in-process thread in the embedded profile and by `yiwang worker` processes in
production. Consumers receive ids and plain payloads, never model instances, and must be
idempotent because delivery is at least once.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from yiwang.core.models import Event

logger = logging.getLogger(__name__)

Consumer = Callable[[int, dict], None]
_CONSUMERS: dict[str, list[Consumer]] = defaultdict(list)
MAX_ATTEMPTS = 10


def consumer(topic: str) -> Callable[[Consumer], Consumer]:
    """Register a function to be called with (event_id, payload) for every event of `topic`."""

    def register(function: Consumer) -> Consumer:
        if function not in _CONSUMERS[topic]:
            _CONSUMERS[topic].append(function)
        return function

    return register


def consumers_of(topic: str) -> list[Consumer]:
    return list(_CONSUMERS.get(topic, ()))


def record_event(topic: str, **payload) -> Event:
    """Write an event in the current transaction and wake the worker once it commits."""
    event = Event.objects.create(topic=topic, payload=payload)
    transaction.on_commit(_worker.kick)
    return event


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 3600))


def deliver_event(event: Event) -> bool:
    """Run every consumer of the event; on failure schedule a retry. True when delivered."""
    try:
        with transaction.atomic():
            for function in consumers_of(event.topic):
                function(event.pk, event.payload)
    except Exception as error:  # a consumer's failure must not stop the others' events
        logger.exception("event %s failed in a consumer", event)
        event.attempts += 1
        event.last_error = f"{type(error).__name__}: {error}"[:2000]
        event.available_at = timezone.now() + _backoff(event.attempts)
        event.save(update_fields=["attempts", "last_error", "available_at"])
        return False
    event.attempts += 1
    event.delivered_at = timezone.now()
    event.save(update_fields=["attempts", "delivered_at"])
    return True


def deliver_pending(limit: int = 100) -> int:
    """Deliver up to `limit` due events in id order; returns how many were delivered."""
    delivered = 0
    for event_id in _due_ids(limit):
        with transaction.atomic():
            event = (
                Event.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, delivered_at__isnull=True)
                .first()
            )
            if event is not None and deliver_event(event):
                delivered += 1
    return delivered


def _due_ids(limit: int) -> list[int]:
    return list(
        Event.objects.filter(
            delivered_at__isnull=True, available_at__lte=timezone.now(), attempts__lt=MAX_ATTEMPTS
        )
        .order_by("available_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def queue_state() -> dict:
    """What /api/health reports of the queue."""
    pending = Event.objects.filter(delivered_at__isnull=True)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "backend": "database-outbox",
        "worker": settings.EVENT_WORKER,
        "pending": pending.count(),
        "failed": pending.filter(attempts__gte=MAX_ATTEMPTS).count(),
        "oldest_pending_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


class _InProcessWorker:
    """A daemon thread that delivers events after each commit, for the embedded profile."""

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def kick(self) -> None:
        if settings.EVENT_WORKER != "inprocess":
            return
        self.start()
        self._wake.set()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="yiwang-events", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(timeout=5)
            self._wake.clear()
            try:
                while deliver_pending():
                    pass
            except Exception:  # keep the thread alive; the next wake retries
                logger.exception("in-process event worker failed")
            finally:
                close_old_connections()


_worker = _InProcessWorker()


def start_inprocess_worker_if_configured() -> None:
    """Pick up events left over from a previous run when the embedded server starts."""
    serving = "runserver" in sys.argv
    # Under the autoreloader only the child that serves (RUN_MAIN) runs the worker.
    reloader_parent = "--noreload" not in sys.argv and os.environ.get("RUN_MAIN") != "true"
    if settings.EVENT_WORKER == "inprocess" and serving and not reloader_parent:
        _worker.start()
