"""What every portal page needs: the chosen region and the large-text mode."""

from yiwang.portal import visitor

# The cookie names' first home; kept so importers of this module keep working.
LARGE_TEXT_COOKIE = visitor.LARGE_TEXT_COOKIE
REGION_COOKIE = visitor.REGION_COOKIE


def portal(request) -> dict:
    path = visitor.region_path(request)
    return {
        "large_text": visitor.large_text(request),
        "region_path": path,
        "current_region": path[-1] if path else None,
    }
