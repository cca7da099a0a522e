"""Telling people what happened: an inbox message and a text message per event, once."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from yiwang.core import sms
from yiwang.core.errors import NotFound
from yiwang.identity import selectors as identity
from yiwang.identity.models import Account
from yiwang.notifications.models import Message


def notify(event_id: int, recipient: Account, *, title: str, body: str, link: str = "") -> bool:
    """Write the inbox message and send the SMS; False when this event already reached them."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                recipient=recipient, event_id=event_id, title=title, body=body, link=link
            )
    except IntegrityError:
        return False
    phone = identity.contact_phone(recipient)
    if phone:
        sms.send_sms(phone, f"【一网】{body}")
        Message.objects.filter(pk=message.pk).update(sms_sent=True)
    return True


def mark_read(recipient: Account, message_id: int) -> Message:
    message = Message.objects.filter(pk=message_id, recipient=recipient).first()
    if message is None:
        raise NotFound("消息")
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message
