"""The signed-in account's inbox over HTTP."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.security import django_auth

from yiwang.core.api import Problem
from yiwang.notifications import selectors, services

router = Router(tags=["消息"], auth=django_auth)


class MessageOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


@router.get("/messages", response=list[MessageOut], summary="我的消息（最近 100 条）")
def inbox(request):
    return list(selectors.inbox(request.user)[:100])


@router.post(
    "/messages/{message_id}/read", response={200: MessageOut, 404: Problem}, summary="标为已读"
)
def mark_read(request, message_id: int):
    return services.mark_read(request.user, message_id)
