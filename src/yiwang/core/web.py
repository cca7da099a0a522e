"""Small rules every page follows, whichever context renders it."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(url: str | None, default: str = "/") -> str:
    """A same-site relative path to return to; anything else (other hosts, schemes) is refused,
    so a crafted `next` cannot send someone from our login page to a look-alike site."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=set()):
        return url
    return default
