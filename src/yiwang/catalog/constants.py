"""Enumerations of the catalog, with the national codes mapped explicitly (DOMAIN-NOTES §1)."""

from django.db import models


class ItemType(models.TextChoices):
    """Item types by their letter codes; NATIONAL_CODES maps them to the national numbers."""

    XK = "XK", "行政许可"
    QR = "QR", "行政确认"
    JF = "JF", "行政给付"
    CJ = "CJ", "行政裁决"
    JL = "JL", "行政奖励"
    QT = "QT", "其他行政权力"
    GG = "GG", "公共服务"


NATIONAL_CODES = {
    ItemType.XK: "01",
    ItemType.JF: "05",
    ItemType.QR: "07",
    ItemType.JL: "08",
    ItemType.CJ: "09",
    ItemType.QT: "10",
    ItemType.GG: "20",
}


class Audience(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANIZATION = "organization", "法人"


AUDIENCE_BITS = {Audience.PERSON: 1, Audience.ORGANIZATION: 2}


class OnlineStage(models.IntegerChoices):
    """The national data dictionary's stages an item can do online (stored as a set)."""

    CONSULT = 1, "咨询"
    RECEIVE = 2, "收件"
    PRE_REVIEW = 3, "预审"
    ACCEPT = 4, "受理"
    HANDLE = 5, "办理"
    RESULT_FEEDBACK = 6, "结果信息反馈"
    LICENSE_FEEDBACK = 7, "电子证照反馈"
    OTHER = 8, "其他"


class OnlineDepth(models.IntegerChoices):
    """A single level derived from the stage set and the visits (see guide.online_depth)."""

    INFORMATION = 1, "网上咨询（信息公开）"
    PRE_REVIEW = 2, "网上预审"
    ONLINE_ACCEPTANCE = 3, "网上受理"
    FULLY_ONLINE = 4, "全程网办"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    PUBLISHED = "published", "已发布"
    SUPERSEDED = "superseded", "已被替代"
    REVOKED = "revoked", "已撤销"


class HandlingKind(models.TextChoices):
    IMMEDIATE = "immediate", "即办件"
    PROMISED = "promised", "承诺件"
    JOINT = "joint", "联办件"


class MaterialSource(models.TextChoices):
    APPLICANT = "applicant", "申请人自备"
    ISSUING_OFFICE = "issuing_office", "出具单位提供"
    LICENSE = "license", "电子证照"
    SHARED_DATA = "shared_data", "共享数据"


class Medium(models.TextChoices):
    PAPER = "paper", "纸质"
    ELECTRONIC = "electronic", "电子"
    BOTH = "both", "纸质或电子"


class ScopeRole(models.TextChoices):
    EDITOR = "editor", "事项编制人员"
    REVIEWER = "reviewer", "事项审核发布人员"


class PendingChangeStatus(models.TextChoices):
    OPEN = "open", "待同步"
    ADOPTED = "adopted", "已同步"


class RealNameLevel(models.IntegerChoices):
    """How surely an account is its holder. Items name the least they accept; identity grants it."""

    REGISTERED = 1, "L1 注册用户（手机号已验证）"
    REAL_NAME = 2, "L2 实名用户（姓名与身份证号已核验）"
    STRONG = 3, "L3 强实名用户（人脸或数字证书）"
