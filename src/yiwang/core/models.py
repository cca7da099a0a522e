"""Kernel tables: the transactional event outbox."""

from django.db import models


class Event(models.Model):
    """A domain event, written in the same transaction as the change it reports.

    Delivery is at least once: consumers receive the id and payload and must be idempotent.
    """

    topic = models.CharField("主题", max_length=100)
    payload = models.JSONField("内容", default=dict)
    created_at = models.DateTimeField("产生时间", auto_now_add=True)
    available_at = models.DateTimeField("可投递时间", auto_now_add=True)
    delivered_at = models.DateTimeField("投递时间", null=True, blank=True)
    attempts = models.PositiveIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "领域事件"
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="event_pending_idx",
                condition=models.Q(delivered_at__isnull=True),
            ),
            models.Index(fields=["topic", "created_at"], name="event_topic_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic}#{self.pk}"
