"""The in-site inbox (站内信): one message per event and recipient, read or not."""

from django.conf import settings
from django.db import models


class Message(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    event_id = models.PositiveBigIntegerField("来源事件")
    title = models.CharField("标题", max_length=200)
    body = models.TextField("内容")
    link = models.CharField("链接", max_length=300, blank=True)
    sms_sent = models.BooleanField("已发短信", default=False)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "站内消息"
        constraints = [
            # Consumers run at least once: a redelivered event must not notify twice.
            models.UniqueConstraint(fields=["event_id", "recipient"], name="message_once"),
        ]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="message_inbox_idx")]

    def __str__(self) -> str:
        return self.title
