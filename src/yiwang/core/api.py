"""API plumbing shared by every router: RFC 9457 problem documents and the health check."""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel

from yiwang.core import events
from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import RateLimited

logger = logging.getLogger(__name__)
PROBLEM = "application/problem+json"
JSON = "application/json; charset=utf-8"  # as django-ninja answers

router = Router(tags=["平台"])


class ProblemField(Schema):
    field: str
    message: str


class Problem(Schema):
    """RFC 9457 problem details; `detail` is Chinese and names the field and the reason."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[ProblemField] = []


def problem(
    api: NinjaAPI, request: HttpRequest, *, status: int, title: str, detail: str, errors=()
) -> HttpResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


def model_response(model: BaseModel) -> HttpResponse:
    """A view's response model answered as it is, encoded by pydantic: django-ninja would dump
    it to Python objects and encode those again with its JSON encoder (on the public
    verification path, a tenth of the interpreter's time). The view builds the very model
    the operation declares, which validates it, so the answer keeps to the OpenAPI document."""
    return HttpResponse(model.model_dump_json(), content_type=JSON)


def _field_of(location: tuple) -> str:
    return ".".join(str(part) for part in location[1:] if part not in ("body", "payload")) or str(
        location[-1] if location else ""
    )


_PYDANTIC_REASONS = {
    "missing": "必填",
    "string_too_long": "过长",
    "string_too_short": "过短",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "bool_parsing": "应为是或否",
    "json_invalid": "不是有效的 JSON",
    "string_type": "应为文本",
    "list_type": "应为列表",
}


def _reason(error: dict) -> str:
    return _PYDANTIC_REASONS.get(error.get("type", ""), "格式无效")


def install_problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request, exc: DomainError):
        return problem(
            api, request, status=exc.status, title=exc.title, detail=exc.detail, errors=exc.errors
        )

    @api.exception_handler(RateLimited)
    def rate_limited(request, exc: RateLimited):
        response = domain_error(request, exc)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = [
            DomainError.of(_field_of(tuple(e.get("loc", ()))), _reason(e)).errors[0]
            for e in exc.errors
        ]
        detail = "；".join(str(e) for e in errors)
        return problem(api, request, status=400, title="请求无效", detail=detail, errors=errors)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return problem(api, request, status=401, title="未登录", detail="请先登录")

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return problem(api, request, status=exc.status_code, title="请求失败", detail=str(exc))

    @api.exception_handler(Exception)
    def unexpected(request, exc: Exception):
        logger.exception("unhandled API error on %s", request.path)
        return problem(
            api, request, status=500, title="服务器内部错误", detail="服务暂不可用，请稍后再试"
        )


class DatabaseState(Schema):
    ok: bool
    vendor: str


class QueueState(Schema):
    backend: str
    worker: str
    pending: int
    failed: int
    oldest_pending_seconds: int


class CacheState(Schema):
    ok: bool
    backend: str


class Health(Schema):
    status: str
    database: DatabaseState
    cache: CacheState
    queue: QueueState


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: database unreachable")
        return False


def _cache_state() -> dict:
    """Redis in production (sessions and rate limits live there), local memory when embedded."""
    backend = caches["default"].__class__.__name__
    try:
        caches["default"].set("yiwang:health", "1", 10)
        ok = caches["default"].get("yiwang:health") == "1"
    except Exception:
        logger.exception("health check: cache unreachable")
        ok = False
    return {"ok": ok, "backend": backend}


@router.get("/health", response={200: Health, 503: Health}, summary="健康检查")
def health(request):
    database_ok = _database_ok()
    queue = events.queue_state() if database_ok else dict.fromkeys(QueueState.model_fields, 0)
    if not database_ok:
        queue.update(backend="database-outbox", worker="unknown")
    cache = _cache_state()
    healthy = database_ok and cache["ok"]
    body = {
        "status": "ok" if healthy else "down",
        "database": {"ok": database_ok, "vendor": connection.vendor},
        "cache": cache,
        "queue": queue,
    }
    return Status(200 if healthy else 503, body)
