"""Django's logout, wherever it comes from (our pages, the OIDC end-session endpoint), ends the
listed session, so its tokens are revoked and its clients are told."""

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from yiwang.identity import services
from yiwang.identity.constants import SessionEnd


@receiver(user_logged_out)
def end_listed_session(sender, request, user, **kwargs) -> None:
    if request is None or user is None:
        return
    record = services.current_session(request)
    if record is not None:
        services.end_session(services.actor_of(request), record, SessionEnd.LOGOUT)
