from django.db.models import QuerySet

from yiwang.identity.models import Account
from yiwang.notifications.models import Message


def inbox(account: Account) -> QuerySet[Message]:
    return Message.objects.filter(recipient=account).order_by("-created_at")


def unread_count(account: Account) -> int:
    return inbox(account).filter(read_at__isnull=True).count()
