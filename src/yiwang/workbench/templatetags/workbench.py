"""Template filters of the workbench pages."""

import json

from django import template

register = template.Library()


@register.filter
def compact_json(value) -> str:
    """An audit record's detail as one line of JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
