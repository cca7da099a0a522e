"""Event consumers of identity: back-channel logout of the clients of an ended session."""

from __future__ import annotations

import urllib.parse
import urllib.request

from yiwang.core.events import consumer
from yiwang.identity import oidc
from yiwang.identity.models import SessionRecord

TIMEOUT_SECONDS = 5


def _post_logout_token(uri: str, token: str) -> None:
    body = urllib.parse.urlencode({"logout_token": token}).encode()
    request = urllib.request.Request(
        uri, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        if response.status >= 300:
            raise RuntimeError(f"back-channel logout at {uri} answered {response.status}")


@consumer("identity.session_ended")
def notify_clients_of_logout(event_id: int, payload: dict) -> None:
    """Each client gets its logout token; a failure raises, so the outbox retries the event
    (a client told twice ignores the repeat, as the specification expects)."""
    session = SessionRecord.objects.select_related("account").get(sid=payload["sid"])
    for client_id, uri in oidc.logout_targets(session.sid):
        token = oidc.logout_token(
            issuer=session.issuer,
            client_id=client_id,
            sub=str(session.account.uid),
            sid=session.sid,
        )
        _post_logout_token(uri, token)
