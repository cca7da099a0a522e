"""Staff and persons for workbench tests, with roles granted through identity's services."""

from __future__ import annotations

from yiwang.identity import services
from yiwang.identity.constants import AccountKind, Role
from yiwang.identity.models import Account
from yiwang.regions.models import Region

PASSWORD = "Gz8#mountain"


def staff(username: str, *roles: Role, region: Region | None = None) -> Account:
    """A staff account holding `roles` in `region`, granted by the system (as at bootstrap)."""
    account = Account.objects.create_user(username, password=PASSWORD, name=f"{username}同志")
    for role in roles:
        services.assign_role(services.Actor(None), account, role, region=region)
    return account


def person(username: str = "p0000000000000000000000001") -> Account:
    account = Account(kind=AccountKind.PERSON, username=username, name="张三")
    account.set_password(PASSWORD)
    account.save()
    return account
