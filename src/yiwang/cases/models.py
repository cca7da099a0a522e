"""A case (办件): one application for one service item, online or at a window, from draft to
completion; its materials, the BPMN process state, the tasks it puts in front of staff, the
clock pauses and the immutable trail of everything that happened to it."""

import uuid

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils.functional import cached_property

from yiwang.cases.constants import (
    OPEN_STATUSES,
    AcceptanceMode,
    CaseStatus,
    Channel,
    DeliveryMethod,
    FeeStatus,
    MaterialSource,
    PauseKind,
    SubjectKind,
    TaskStatus,
)
from yiwang.catalog.guide import Guide
from yiwang.catalog.models import ServiceItem, ServiceItemVersion
from yiwang.core.files import StoredFile
from yiwang.identity.models import OrganizationAccount
from yiwang.regions.models import Organization


class Case(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField("办件编号", max_length=32, unique=True, null=True, blank=True)
    service_item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(ServiceItemVersion, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="cases")
    region_code = models.CharField("实施区划", max_length=12)
    process = models.CharField("办理流程", max_length=20)
    subject_kind = models.CharField("申请人类型", max_length=12, choices=SubjectKind.choices)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="自然人申请人；法人申请时为经办的自然人",
    )
    organization = models.ForeignKey(
        OrganizationAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField("申请渠道", max_length=10, choices=Channel.choices)
    status = models.CharField(
        "状态", max_length=12, choices=CaseStatus.choices, default=CaseStatus.DRAFT
    )
    form = models.JSONField("申请表", default=dict)
    form_updated_at = models.DateTimeField("申请表修改时间", null=True, blank=True)
    workflow_state = models.BinaryField("流程状态", null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    acceptance_mode = models.CharField(
        "受理方式", max_length=10, choices=AcceptanceMode.choices, blank=True
    )
    deferred_materials = models.JSONField(
        "容缺材料", default=list, blank=True, help_text="容缺受理时约定后补的材料名称"
    )
    deferred_until = models.DateField("容缺材料补齐期限", null=True, blank=True)
    partner_agencies = models.ManyToManyField(
        Organization, blank=True, related_name="partner_cases", verbose_name="协办部门"
    )
    decision_basis = models.TextField("决定依据", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    due_on = models.DateField("当前时限", null=True, blank=True)
    warn_on = models.DateField("预警日期", null=True, blank=True)
    due_provisional = models.BooleanField("时限按工作日规则推算", default=False)
    paused = models.BooleanField("计时暂停", default=False)
    delivery_method = models.CharField(
        "送达方式", max_length=12, choices=DeliveryMethod.choices, blank=True
    )
    delivery_address = models.CharField("邮寄地址", max_length=300, blank=True)
    pickup_code_mac = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField("快递单号", max_length=40, blank=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件"
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="case_idempotent_submission",
            ),
        ]
        indexes = [
            # "all red (or yellow) cases of agency X": a range scan on the open cases only.
            models.Index(
                fields=["agency", "due_on"],
                name="case_open_due_idx",
                condition=Q(status__in=OPEN_STATUSES, paused=False),
            ),
            models.Index(fields=["applicant", "-created_at"], name="case_applicant_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿 {self.uid}"

    @cached_property
    def guide(self) -> Guide:
        """The office guide the case applies under; its version is published, so it never
        changes under the case and is parsed once per loaded case."""
        return self.version.parsed


class CaseMaterial(models.Model):
    """One material of the case as it stands; a correction adds a newer row, never rewrites."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField("材料名称", max_length=200)
    source = models.CharField("来源", max_length=10, choices=MaterialSource.choices)
    file = models.ForeignKey(
        StoredFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField("原文件名", max_length=200, blank=True)
    reference = models.CharField("证照或数据标识", max_length=200, blank=True)
    round = models.PositiveSmallIntegerField("提交轮次", default=1)
    current = models.BooleanField("当前有效", default=True)
    added_at = models.DateTimeField("提交时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件材料"
        indexes = [models.Index(fields=["case", "name"], name="material_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.name}"


class CorrectionRequest(models.Model):
    """一次性告知: every fault at once; the next request may only concern what was changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    faults = models.JSONField("问题清单", help_text="[{material, reason}]")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField("补正期限", null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "补正告知"

    def __str__(self) -> str:
        return f"{self.case} 补正 {self.requested_at:%Y-%m-%d}"


class CaseTask(models.Model):
    """A user task of the case's process, as staff see it: whose it is, who holds it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    task_id = models.UUIDField("流程任务标识")
    spec = models.CharField("环节", max_length=40)
    name = models.CharField("环节名称", max_length=100)
    lane = models.CharField("角色", max_length=30)
    agency = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办理任务"
        indexes = [
            models.Index(
                fields=["agency", "lane", "created_at"],
                name="task_open_idx",
                condition=Q(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.name}"


class ClockPause(models.Model):
    """A stopped clock (补正, 听证, 专家评审, 现场核查): its working days extend the time limit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses")
    kind = models.CharField(max_length=20, choices=PauseKind.choices)
    reason = models.CharField("原因", max_length=500)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "计时暂停"

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()}"


class CaseEvent(models.Model):
    """The trail (全程留痕): who did what to the case, when, from which status to which, why.
    Rows are written once and never changed; supervision reads them."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField("操作人", max_length=150)
    action = models.CharField("动作", max_length=40)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    reason = models.TextField("说明", blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "办件轨迹"
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="event_case_idx")]

    def __str__(self) -> str:
        return f"{self.case} · {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("办件轨迹只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("办件轨迹只能追加，不能删除")


class CaseNumberCounter(models.Model):
    """The last serial given out per day and item: numbers sort by date, then item, then order."""

    day = models.DateField()
    basic_code = models.CharField(max_length=12)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "basic_code"], name="case_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.basic_code} #{self.last}"

    @classmethod
    def next(cls, day, basic_code: str) -> int:
        """The next serial, in one statement (the ORM has no upsert that increments): the row
        is made on the day's first case and stays locked until the transaction ends."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {cls._meta.db_table} (day, basic_code, last) VALUES (%s, %s, 1) "
                f"ON CONFLICT (day, basic_code) DO UPDATE SET last = {cls._meta.db_table}.last + 1 "
                "RETURNING last",
                [day, basic_code],
            )
            return cursor.fetchone()[0]


class CaseDocument(models.Model):
    """A notice or decision as issued (受理通知书, 补正告知书, 决定书 …): the PDF is kept as it was
    given out, content-addressed, never regenerated."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField("文书", max_length=40)
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("出具时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "办件文书"
        ordering = ["issued_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} · {self.kind}"


class FeeOrder(models.Model):
    """A payment order for an item's fees; the provider's signed callback marks it paid, once."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="fee_orders")
    order_no = models.CharField("订单号", max_length=40, unique=True)
    amount_fen = models.PositiveBigIntegerField("金额（分）")
    provider = models.CharField("支付渠道", max_length=30)
    status = models.CharField(max_length=10, choices=FeeStatus.choices, default=FeeStatus.PENDING)
    provider_txn = models.CharField("渠道流水号", max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "缴费订单"
        indexes = [models.Index(fields=["paid_at"], name="fee_paid_idx")]

    def __str__(self) -> str:
        return f"{self.order_no} {self.amount_fen / 100:.2f} 元"
