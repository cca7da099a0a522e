"""Rate limits: how often one key (a client address, a phone's blind index) may do one thing.

Counters live in the Django cache (Redis in production, so every web process shares them;
local memory when embedded) through django-ratelimit's fixed windows, and RATELIMIT_ENABLE
turns them all off. Keys reach the cache only as HMAC-SM3 under a key derived from
SECRET_KEY: the cache never holds a phone or ID number, not even as a plain hash that could
be reversed by trying every number. A refusal is a DomainError with status 429 and the
seconds to wait, so pages show it next to the form and the API answers 429 + Retry-After.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from yiwang.core.crypto import hmac_sm3, sm3_digest
from yiwang.core.errors import DomainError, FieldError

TOO_OFTEN = "操作过于频繁，请稍后再试"


class RateLimited(DomainError):
    """Refused for now: `retry_after` seconds until the window that refused it ends."""

    def __init__(self, retry_after: int, *, field: str = "", message: str = TOO_OFTEN):
        super().__init__([FieldError(field, message)], status=429, title="请求过于频繁")
        self.retry_after = max(1, int(retry_after))


def _cache_key(group: str, key: str) -> str:
    secret = sm3_digest(b"yiwang.ratelimit:" + settings.SECRET_KEY.encode())
    return hmac_sm3(secret, f"{group}\x00{key}".encode()).hex()


def hit(group: str, key: str, rate: str, *, field: str = "", message: str = TOO_OFTEN) -> None:
    """Count one attempt of `group` by `key`; the attempt past `rate` ("10/m", "20/h") raises
    RateLimited naming `field`. Refused attempts count too, so hammering does not help."""
    hashed = _cache_key(group, key)
    usage = get_usage(
        None, group=group, key=lambda _group, _request: hashed, rate=rate, increment=True
    )
    if usage is not None and usage["should_limit"]:
        raise RateLimited(usage["time_left"], field=field, message=message)


def _cooldown_key(group: str, key: str) -> str:
    return "yiwang:cooldown:" + _cache_key(group, key)


def _limits_cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def cooldown(
    group: str, key: str, seconds: int, *, field: str = "", message: str = TOO_OFTEN
) -> None:
    """Allow `key` once per `seconds`, measured from the last allowed attempt (a fixed window
    would let two through a second apart at its edge). Refused attempts do not prolong it."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return
    cache_key, until = _cooldown_key(group, key), time.time() + seconds
    if not _limits_cache().add(cache_key, until, seconds):
        left = _limits_cache().get(cache_key, until) - time.time()
        raise RateLimited(math.ceil(left), field=field, message=message)


def end_cooldown(group: str, key: str) -> None:
    """Lift a cooldown whose attempt came to nothing (refused further on, or failed)."""
    _limits_cache().delete(_cooldown_key(group, key))


def client_address(request: HttpRequest) -> str:
    """The client's address as the web server saw it. Behind nginx, REMOTE_ADDR must be set
    from the trusted proxy's header (set_real_ip_from / real_ip_header), never by the client."""
    return request.META.get("REMOTE_ADDR", "")[:45]


def too_many_requests(refusal: RateLimited) -> HttpResponse:
    response = HttpResponse(refusal.detail, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(refusal.retry_after)
    return response


def limit_by_address(group: str, rate: str) -> Callable:
    """Limit a Django view or a ninja endpoint per client address. A page gets a plain 429;
    under /api/ the refusal is raised so the API answers with its problem document."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def limited(request: HttpRequest, *args, **kwargs):
            try:
                hit(group, client_address(request), rate)
            except RateLimited as refusal:
                if request.path.startswith("/api/"):
                    raise
                return too_many_requests(refusal)
            return view(request, *args, **kwargs)

        return limited

    return decorator
