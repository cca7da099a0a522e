"""Template filters of the workbench pages."""

import json

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def compact_json(value) -> str:
    """An audit record's detail as one line of JSON, Chinese kept readable."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@register.filter
def due_mark(case) -> str:
    """`red` once a case's time limit has passed, `yellow` from its warning day, else "".
    A paused clock (补正, 特别程序) marks nothing: the limit stands still with it."""
    if case.paused or case.due_on is None:
        return ""
    today = timezone.localdate()
    if case.due_on < today:
        return "red"
    if case.warn_on and case.warn_on <= today:
        return "yellow"
    return ""
