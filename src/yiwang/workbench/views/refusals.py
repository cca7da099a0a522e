"""How a page shows a service's refusal: the form again, each reason beside its field."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from yiwang.core.errors import DomainError
from yiwang.core.ratelimit import RateLimited

SECRET_FIELDS = {"password", "code", "csrfmiddlewaretoken"}


def form_values(request: HttpRequest) -> dict[str, str]:
    """What the user typed, to fill the form again; secrets are never sent back."""
    return {key: value for key, value in request.POST.items() if key not in SECRET_FIELDS}


def show_refusal(
    request: HttpRequest, template: str, error: DomainError, context: dict | None = None
) -> HttpResponse:
    context = {
        **(context or {}),
        "values": form_values(request),
        "errors": error.errors,
        "field_errors": {e.field: e.message for e in error.errors if e.field},
    }
    response = render(request, template, context, status=error.status)
    if isinstance(error, RateLimited):
        response["Retry-After"] = str(error.retry_after)
    return response
