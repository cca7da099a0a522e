"""What the portal remembers about a visitor, in cookies: the chosen region and large-text mode.

Both are preferences, not identity, so they live in plain cookies that work before anyone logs
in and survive the session. The region decides which implementations a search shows (an item
is found where it is carried out for the visitor: the region and every level above it).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from yiwang.regions import selectors
from yiwang.regions.models import Region

LARGE_TEXT_COOKIE = "yiwang_large_text"
REGION_COOKIE = "yiwang_region"
PREFERENCE_MAX_AGE = 365 * 24 * 3600


def _chosen_code(request: HttpRequest) -> str:
    code = request.GET.get("region") or request.COOKIES.get(REGION_COOKIE, "")
    return code if code.isdigit() and len(code) == 12 else ""


def region_path(request: HttpRequest) -> list[Region]:
    """The chosen region and its ancestors, province first; the province when none is chosen.

    Remembered on the request: the context processor and the view both ask for it.
    """
    if not hasattr(request, "_yiwang_region_path"):
        code = _chosen_code(request)
        path = selectors.region_path(code) if code else []
        if not path:
            top = selectors.top_region()
            path = [top] if top else []
        request._yiwang_region_path = path
    return request._yiwang_region_path


def region_code(request: HttpRequest) -> str:
    path = region_path(request)
    return path[-1].code if path else ""


def large_text(request: HttpRequest) -> bool:
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


def remember(request: HttpRequest, response: HttpResponse, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=PREFERENCE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
