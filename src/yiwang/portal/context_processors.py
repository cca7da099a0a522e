"""What every portal page needs: the chosen region and the large-text mode."""

from yiwang.regions import selectors

LARGE_TEXT_COOKIE = "yiwang_large_text"
REGION_COOKIE = "yiwang_region"


def portal(request) -> dict:
    code = request.GET.get("region") or request.COOKIES.get(REGION_COOKIE, "")
    path = selectors.region_path(code) if code.isdigit() and len(code) == 12 else []
    if not path:
        top = selectors.top_region()
        path = [top] if top else []
    return {
        "large_text": request.COOKIES.get(LARGE_TEXT_COOKIE) == "1",
        "region_path": path,
        "current_region": path[-1] if path else None,
    }
