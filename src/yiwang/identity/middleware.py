"""Keeps every signed-in request inside a listed, live session.

A session ends when its holder signs it out from another browser, when an admin ends it, or
after the idle timeout (shorter for staff); the next request then finds itself signed out.
Activity is written at most once a minute, so reading pages does not write on every request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils import timezone

from yiwang.identity import services
from yiwang.identity.constants import SessionEnd
from yiwang.identity.models import SessionRecord

TOUCH_EVERY_SECONDS = 60


def _idle_limit(request) -> int:
    if request.user.is_staff_member:
        return settings.STAFF_IDLE_TIMEOUT_SECONDS
    return settings.IDLE_TIMEOUT_SECONDS


def _touch(request, record: SessionRecord, now: float) -> None:
    if now - request.session.get(services.SESSION_SEEN, 0) >= TOUCH_EVERY_SECONDS:
        request.session[services.SESSION_SEEN] = now
        SessionRecord.objects.filter(pk=record.pk).update(last_seen_at=timezone.now())


class SessionGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._guard(request)
        return self.get_response(request)

    def _guard(self, request) -> None:
        record = services.current_session(request)
        now = timezone.now().timestamp()
        if record is None:
            logout(request)
            return
        if now - request.session.get(services.SESSION_SEEN, now) > _idle_limit(request):
            services.end_session(services.actor_of(request), record, SessionEnd.IDLE)
            logout(request)
            messages.info(request, "您已长时间未操作，为保护账号安全已退出登录，请重新登录。")
            return
        _touch(request, record, now)
