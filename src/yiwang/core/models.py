"""Kernel tables: the event outbox, the audit trail, data keys, SMS messages and codes, the
working-day calendar and content-addressed files."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


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


class AuditRecord(models.Model):
    """One security-relevant event. Append-only; each record's hash chains the one before."""

    sequence = models.PositiveBigIntegerField("序号", unique=True)
    occurred_at = models.DateTimeField("时间")
    actor = models.CharField("操作人", max_length=150, blank=True)
    action = models.CharField("事件", max_length=80)
    target = models.CharField("对象", max_length=200, blank=True)
    address = models.CharField("来源地址", max_length=45, blank=True)
    detail = models.JSONField("详情", default=dict)
    previous_hash = models.CharField("上一条哈希", max_length=64)
    hash = models.CharField("本条哈希（SM3）", max_length=64)

    class Meta:
        verbose_name = verbose_name_plural = "审计记录"
        ordering = ["sequence"]
        indexes = [models.Index(fields=["action", "occurred_at"], name="audit_action_idx")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("审计记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("审计记录只能追加，不能删除")


class AuditHead(models.Model):
    """The chain's head, one row: locking it serializes appends."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        verbose_name = verbose_name_plural = "审计链头"

    def __str__(self) -> str:
        return f"#{self.sequence}"


class AuditAnchor(models.Model):
    """The head's hash written down at a moment, so a truncated or rewritten tail shows."""

    sequence = models.PositiveBigIntegerField("截至序号")
    hash = models.CharField("链头哈希", max_length=64)
    created_at = models.DateTimeField("锚定时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计锚点"
        ordering = ["sequence"]

    def __str__(self) -> str:
        return f"anchor #{self.sequence}"


class DataKey(models.Model):
    """An SM4 data key for one purpose, stored wrapped (SM4-GCM) under the master key.

    Rotation adds a version; older versions stay to decrypt what they sealed.
    """

    purpose = models.CharField("用途", max_length=60)
    version = models.PositiveIntegerField("版本")
    wrapped = models.BinaryField("封装后的密钥")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "数据密钥"
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="data_key_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} v{self.version}"


class SmsMessage(models.Model):
    """A text the outbox gateway kept instead of sending it (embedded profile and tests)."""

    phone_sealed = models.TextField("手机号（加密）")
    phone_index = models.CharField("手机号索引", max_length=64, db_index=True)
    phone_masked = models.CharField("手机号", max_length=20)
    text = models.TextField("内容")
    created_at = models.DateTimeField("发送时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信发件箱"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.phone_masked} {self.created_at:%Y-%m-%d %H:%M}"


class VerificationCode(models.Model):
    """An SMS verification code, kept only as an HMAC-SM3: one use, a few tries, minutes."""

    phone_index = models.CharField("手机号索引", max_length=64)
    purpose = models.CharField("用途", max_length=30)
    code_mac = models.CharField("验证码摘要（HMAC-SM3）", max_length=64)
    address = models.CharField("来源地址", max_length=45, blank=True)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "短信验证码"
        indexes = [
            models.Index(
                fields=["phone_index", "purpose", "created_at"], name="verification_code_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose}#{self.pk}"


class CalendarDay(models.Model):
    """A day the official calendar moves: a public holiday, or a weekend made a working day.

    Every other day follows the weekday rule (Monday to Friday work).
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日"
        MAKEUP = "makeup", "调休上班日"

    date = models.DateField("日期", primary_key=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("节日", max_length=60, help_text="例如：国庆节")
    source = models.CharField("来源", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "节假日与调休"
        ordering = ["date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["holiday", "makeup"]), name="calendar_day_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        # A make-up day on a weekday would change nothing: it is a typo for another date.
        if self.kind == self.Kind.MAKEUP and self.date and self.date.weekday() < 5:
            raise ValidationError({"date": "调休上班日应为周六或周日"})


class CalendarYear(models.Model):
    """A year whose holidays and make-up days are all in CalendarDay (国务院办公厅 notice)."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    source = models.CharField("来源", max_length=60, help_text="例如：chinese-calendar 1.11.0")
    entered_at = models.DateTimeField("录入时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "已公布年份"
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class StoredFile(models.Model):
    """An uploaded file, named by the SM3 of its content: the same bytes are stored once."""

    sm3 = models.CharField("SM3 摘要", max_length=64, primary_key=True)
    size = models.PositiveBigIntegerField("大小（字节）")
    content_type = models.CharField("类型", max_length=60)
    extension = models.CharField("扩展名", max_length=8)
    created_at = models.DateTimeField("首次上传时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "材料文件"

    def __str__(self) -> str:
        return f"{self.sm3[:12]}….{self.extension}"

    @property
    def storage_name(self) -> str:
        """Where the blob lives in the default storage; two directory levels keep them small."""
        return f"materials/{self.sm3[:2]}/{self.sm3[2:4]}/{self.sm3}"
