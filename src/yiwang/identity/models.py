"""Accounts and what they may do: persons, organizations and their agents, delegations, staff
roles, second factors, sessions, and the OpenID Connect clients that trust them.

ID numbers and phone numbers are kept sealed (SM4-GCM) with an HMAC-SM3 blind index for exact
lookup and a masked form for display; nothing here stores either in clear."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yiwang.catalog.constants import RealNameLevel
from yiwang.catalog.models import CatalogItem
from yiwang.identity.constants import AccountKind, MemberRole, Role, SessionEnd
from yiwang.regions.models import Organization, Region


class AccountManager(BaseUserManager):
    """Django's own entry points (createsuperuser, tests) make staff accounts."""

    def create_user(self, username, password=None, **extra):
        extra.setdefault("kind", AccountKind.STAFF)
        account = self.model(username=username, **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, username, password=None, **extra):
        return self.create_user(username, password, is_staff=True, is_superuser=True, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    uid = models.UUIDField("账号标识", default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("账号类型", max_length=10, choices=AccountKind.choices)
    username = models.CharField(
        "登录名", max_length=64, unique=True, help_text="工作人员的登录名；个人用户自动生成"
    )
    name = models.CharField("姓名", max_length=50, blank=True)
    id_number_sealed = models.TextField("证件号码（密文）", blank=True)
    id_number_index = models.CharField("证件号码索引", max_length=64, blank=True)
    id_number_masked = models.CharField("证件号码（脱敏）", max_length=18, blank=True)
    phone_sealed = models.TextField("手机号（密文）", blank=True)
    phone_index = models.CharField("手机号索引", max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField("手机号（脱敏）", max_length=11, blank=True)
    level = models.PositiveSmallIntegerField(
        "实名等级", choices=RealNameLevel.choices, default=RealNameLevel.REGISTERED
    )
    level_method = models.CharField("认证方式", max_length=40, blank=True)
    level_verified_at = models.DateTimeField("认证时间", null=True, blank=True)
    is_staff = models.BooleanField("可进入后台", default=False)
    is_active = models.BooleanField("启用", default=True)
    date_joined = models.DateTimeField("注册时间", default=timezone.now)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = verbose_name_plural = "账号"
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=Q(kind=AccountKind.PERSON),
                name="account_one_person_per_id_number",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == AccountKind.PERSON:
            return f"{self.name}（{self.id_number_masked}）"
        return f"{self.name or self.username}（{self.username}）"

    @property
    def is_person(self) -> bool:
        return self.kind == AccountKind.PERSON

    @property
    def is_staff_member(self) -> bool:
        return self.kind == AccountKind.STAFF


class OrganizationAccount(models.Model):
    """An enterprise or institution as an applicant, keyed by its USCC; people act for it."""

    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    name = models.CharField("名称", max_length=200)
    created_at = models.DateTimeField("开户时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "法人账号"

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class OrganizationMember(models.Model):
    """A person who may act for an organization: its legal representative or an agent (经办人)."""

    organization = models.ForeignKey(
        OrganizationAccount, on_delete=models.CASCADE, related_name="members"
    )
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("身份", max_length=30, choices=MemberRole.choices)
    granted_by = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    valid_from = models.DateTimeField("生效时间", default=timezone.now)
    valid_until = models.DateTimeField("失效时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "法人经办人"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "account"],
                condition=Q(revoked_at__isnull=True),
                name="member_once_while_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.name} · {self.get_role_display()} · {self.account}"


class Delegation(models.Model):
    """委托代办: a person authorizes another for given items and a period, until revoked."""

    grantor = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="delegations_given")
    grantee = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="delegations_received"
    )
    items = models.ManyToManyField(CatalogItem, verbose_name="委托事项", related_name="+")
    valid_from = models.DateTimeField("生效时间")
    valid_until = models.DateTimeField("失效时间")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "委托代办"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")), name="delegation_period"
            ),
            models.CheckConstraint(
                condition=~Q(grantor=models.F("grantee")), name="delegation_not_to_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grantor} 委托 {self.grantee}"


class RoleAssignment(models.Model):
    """A staff role within a region (and, optionally, one agency of it); revoked, never deleted."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_by = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField("授予时间", default=timezone.now)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工作人员角色"
        indexes = [models.Index(fields=["account", "role"], name="role_account_idx")]

    def __str__(self) -> str:
        return f"{self.account.username} · {self.get_role_display()} · {self.region.name}"


class SecondFactor(models.Model):
    """A staff member's TOTP authenticator; the secret is sealed, the last step blocks replay."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="second_factor")
    secret_sealed = models.TextField("密钥（密文）")
    confirmed_at = models.DateTimeField("启用时间", null=True, blank=True)
    last_step = models.PositiveBigIntegerField("最近使用的时间步", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "动态口令"

    def __str__(self) -> str:
        return f"{self.account.username} 的动态口令"


class LoginThrottle(models.Model):
    """Failed logins per identifier (its blind index), so unknown identifiers lock out too."""

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"登录失败 {self.failures} 次"


class SessionRecord(models.Model):
    """One signed-in browser: listed to its holder, who can end it; `sid` names it to clients."""

    sid = models.CharField("会话标识", max_length=43, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    issuer = models.CharField("签发者", max_length=200, help_text="登录时的 OIDC issuer")
    address = models.CharField("来源地址", max_length=45, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    created_at = models.DateTimeField("登录时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近活动", default=timezone.now)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=20, choices=SessionEnd.choices, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录会话"
        indexes = [
            models.Index(
                fields=["account", "created_at"],
                name="session_active_idx",
                condition=Q(ended_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} · {self.address} · {self.created_at:%Y-%m-%d %H:%M}"


class RelyingParty(models.Model):
    """What Yiwang knows about an OpenID Connect client beyond OAuth: whose system it is,
    whether it may see full ID numbers, and where to tell it that a session ended."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="relying_party",
    )
    agency = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    may_read_id_number = models.BooleanField("可获取完整证件号码", default=False)
    backchannel_logout_uri = models.URLField("后端退出通知地址", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接入系统"

    def __str__(self) -> str:
        return str(self.application)


class SessionClient(models.Model):
    """A client that received tokens within a session: told when the session ends."""

    session = models.ForeignKey(SessionRecord, on_delete=models.CASCADE, related_name="clients")
    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    authorization_code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.session.sid[:8]} → {self.application}"
