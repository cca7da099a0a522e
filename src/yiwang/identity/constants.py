"""Enumerations of identity: account kinds, staff roles and the 三员 that no account may combine."""

from django.db import models

# Sealer purposes (ID numbers share the population registry's, phones the SMS gateway's, so
# one blind index finds a person in both).
TOTP_PURPOSE = "account.totp"


class AccountKind(models.TextChoices):
    PERSON = "person", "个人用户"
    STAFF = "staff", "工作人员"


class Role(models.TextChoices):
    WINDOW_CLERK = "window_clerk", "窗口受理人员"
    REVIEWER = "reviewer", "审核人员"
    APPROVER = "approver", "审批人员"
    CATALOG_ADMIN = "catalog_admin", "事项管理员"
    SUPERVISOR = "supervisor", "效能监督人员"
    DATA_ADMIN = "data_admin", "数据管理员"
    HOTLINE_OPERATOR = "hotline_operator", "12345 话务员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# 三员分立 (等保 2.0): these three check one another, so one account holds at most one of them.
SEPARATED_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})


class MemberRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", "法定代表人"
    AGENT = "agent", "经办人"


class SessionEnd(models.TextChoices):
    LOGOUT = "logout", "用户退出"
    IDLE = "idle", "长时间未操作"
    SIGNED_OUT_ELSEWHERE = "signed_out", "在会话列表中退出"
    ADMIN = "admin", "管理员强制退出"
    EXPIRED = "expired", "登录到期"


class CodePurpose(models.TextChoices):
    REGISTER = "register", "注册"
    LOGIN = "login", "短信登录"
