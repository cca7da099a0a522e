"""Work started at the same moment in threads, as two requests racing each other."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def at_once(*calls: Callable[[], None], timeout: float = 60) -> None:
    """Run each call in a thread of its own, all released together, and wait for them. Each
    thread closes the database connection it opened, so the test database can be dropped."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], None]) -> None:
        start.wait()
        try:
            call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
