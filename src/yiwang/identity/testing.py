"""Test support: signing a test client in goes through the same session bookkeeping as a real
login, because the session guard ends any session it cannot find in the list."""

from __future__ import annotations

import secrets

from django.test import Client
from django.utils import timezone

from yiwang.identity import services
from yiwang.identity.models import Account, SessionRecord


def _list_session(client: Client, account: Account, address: str) -> SessionRecord:
    record = SessionRecord.objects.create(
        sid=secrets.token_urlsafe(32), account=account, issuer="http://testserver", address=address
    )
    session = client.session
    session[services.SESSION_SID] = record.sid
    session[services.SESSION_SEEN] = timezone.now().timestamp()
    session.save()
    return record


class ListedSessionClient(Client):
    """Django's test client whose force_login also lists the session (the root conftest makes
    it the `client` fixture, so every context's tests sign in the way the platform does)."""

    def force_login(self, user, backend=None):
        super().force_login(user, backend or services.BACKEND)
        _list_session(self, user, "127.0.0.1")


def sign_in_as(client: Client, account: Account, *, address: str = "127.0.0.1") -> SessionRecord:
    Client.force_login(client, account, services.BACKEND)
    return _list_session(client, account, address)
