"""Enumerations of case handling and the one table of legal status transitions."""

from django.db import models


class CaseStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待受理"
    CORRECTING = "correcting", "待补正"
    ACCEPTED = "accepted", "审查中"
    REJECTED = "rejected", "不予受理"
    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"
    COMPLETED = "completed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


# Where a case may go from each status; anything else is refused with the reason.
TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.DRAFT: {CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN},
    CaseStatus.SUBMITTED: {
        CaseStatus.ACCEPTED,
        CaseStatus.REJECTED,
        CaseStatus.CORRECTING,
        CaseStatus.APPROVED,  # 即办件 and 告知承诺制: decided at acceptance
        CaseStatus.DENIED,
        CaseStatus.WITHDRAWN,
    },
    CaseStatus.CORRECTING: {CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN},
    CaseStatus.ACCEPTED: {CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.WITHDRAWN},
    CaseStatus.APPROVED: {CaseStatus.COMPLETED},
    CaseStatus.DENIED: {CaseStatus.COMPLETED},
    CaseStatus.REJECTED: set(),
    CaseStatus.COMPLETED: set(),
    CaseStatus.WITHDRAWN: set(),
}

OPEN_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.CORRECTING, CaseStatus.ACCEPTED)


class Channel(models.TextChoices):
    ONLINE = "online", "网上申请"
    WINDOW = "window", "窗口申请"


class SubjectKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANIZATION = "organization", "法人"


class MaterialSource(models.TextChoices):
    UPLOAD = "upload", "上传"
    PAPER = "paper", "窗口收取纸质材料"
    REUSED = "reused", "复用历史材料"
    HELD = "held", "免提交（已有证照或共享数据）"


class TaskStatus(models.TextChoices):
    OPEN = "open", "待办"
    CLAIMED = "claimed", "已认领"
    DONE = "done", "已完成"
    CANCELLED = "cancelled", "已取消"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.CLAIMED)


class Outcome(models.TextChoices):
    ACCEPT = "accept", "受理"
    REJECT = "reject", "不予受理"
    CORRECTION = "correction", "补正"
    PASS = "pass", "通过"
    RETURN = "return", "退回"
    APPROVE = "approve", "准予"
    DENY = "deny", "不予"


class AcceptanceMode(models.TextChoices):
    NORMAL = "normal", "受理"
    TOLERANT = "tolerant", "容缺受理"
    PLEDGE = "pledge", "告知承诺"


class PauseKind(models.TextChoices):
    CORRECTION = "correction", "补正材料"
    HEARING = "hearing", "听证"
    EXPERT_REVIEW = "expert_review", "专家评审"
    INSPECTION = "inspection", "现场核查"


# Share of the time limit left when a case turns yellow (预警); red is overdue.
YELLOW_SHARE = 0.2
ACCEPTANCE_WORKING_DAYS = 5  # 行政许可法第三十二条：五日内


class DeliveryMethod(models.TextChoices):
    WINDOW = "window", "窗口领取"
    EXPRESS = "express", "邮寄送达"
    ELECTRONIC = "electronic", "电子送达"


class FeeStatus(models.TextChoices):
    PENDING = "pending", "待缴费"
    PAID = "paid", "已缴费"


PICKUP_PURPOSE = "case.pickup_code"  # the blind-index key pickup codes are checked under
