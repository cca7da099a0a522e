"""Idempotency-Key: a write a client may retry is done once per key (ARCHITECTURE §4).

The key is kept on the row the write creates, under a unique constraint on (who, key) for
keys that are not blank. A retry finds that row; a retry racing the first is refused by the
constraint and then finds it. Nothing of the answer is stored besides the row, so an answer
that carries a secret (a link, a one-time code) must be derivable from the row again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from yiwang.core.errors import DomainError

HEADER = "Idempotency-Key"
FORM_FIELD = "idempotency_key"
MAX_LENGTH = 64

Row = TypeVar("Row")


def request_key(request: HttpRequest) -> str:
    """The request's Idempotency-Key ("" without one); a longer one than the column holds is
    refused rather than cut, since two keys cut alike would answer each other's requests."""
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_LENGTH:
        raise DomainError.of(HEADER, f"{HEADER} 不能超过{MAX_LENGTH}个字符")
    return key


def form_key(request: HttpRequest) -> str:
    """The key a page's form carries in its hidden FORM_FIELD: the posted one, so a double
    click or a resubmitted page is done once and a refused page keeps its key; a new one for
    a new page. Anything but a UUID is not a key (it could be any length)."""
    try:
        return str(uuid.UUID(request.POST.get(FORM_FIELD, "")))
    except ValueError:
        return new_key()


def new_key() -> str:
    """The key of a form rendered for a new write (after one was done)."""
    return str(uuid.uuid4())


def once(key: str, make: Callable[[], Row], earlier: Callable[[], Row | None]) -> Row:
    """`make()` the row unless `earlier()` finds the one made with this key already. `make`
    runs in a savepoint: when the key's unique constraint refuses it (a racing retry), the
    row the other request made is the answer. Without a key, `make()` alone."""
    if key and (found := earlier()) is not None:
        return found
    try:
        with transaction.atomic():
            return make()
    except IntegrityError:
        found = earlier() if key else None
        if found is None:
            raise
        return found
