"""Domain errors: what a service refuses, with the field and a Chinese reason.

Services raise these; the API turns them into RFC 9457 problem documents and pages show
them next to the field. A refused write leaves nothing behind because every service runs in
one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}：{self.message}" if self.field else self.message


@dataclass
class DomainError(Exception):
    """A refusal the user can act on. `errors` names each field and its reason."""

    errors: list[FieldError] = field(default_factory=list)
    status: int = 400
    title: str = "请求无效"

    @classmethod
    def of(cls, field_name: str, message: str, **kwargs) -> DomainError:
        return cls([FieldError(field_name, message)], **kwargs)

    @property
    def detail(self) -> str:
        return "；".join(str(error) for error in self.errors) or self.title

    def __str__(self) -> str:
        return self.detail


class NotFound(DomainError):
    def __init__(self, what: str):
        super().__init__([FieldError("", f"{what}不存在")], status=404, title="未找到")


class Forbidden(DomainError):
    def __init__(self, reason: str):
        super().__init__([FieldError("", reason)], status=403, title="无权操作")


class Conflict(DomainError):
    def __init__(self, field_name: str, reason: str):
        super().__init__([FieldError(field_name, reason)], status=409, title="状态冲突")
