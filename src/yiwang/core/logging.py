"""Log redaction: no citizen ID number or mobile number reaches a log in clear.

Logs leave the platform's protection (files, collectors, screenshots in tickets), so the
filter masks both where they are rendered: the message with its arguments, the traceback
and the stack. Masks follow core.identifiers.mask, as on every page: 4301**********093X and
138****8000. It sits on the handlers (settings.LOGGING), which every record passes whichever
logger it was sent to; a filter on a logger would miss its children's records.
"""

from __future__ import annotations

import logging
import re

from yiwang.core.identifiers import mask

ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)(\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")


def _masked_mobile(found: re.Match) -> str:
    prefix, *parts = found.groups()
    return (prefix or "") + mask("".join(parts), head=3, tail=4)


def redact(text: str) -> str:
    """`text` with every ID number and mobile number masked."""
    text = ID_NUMBER.sub(lambda found: mask(found.group()), text)
    return MOBILE.sub(_masked_mobile, text)


def _rendered(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # a broken format would be printed raw by handleError: redact it too
        return f"{record.msg} {record.args!r}"


class RedactPersonalData(logging.Filter):
    """Rewrites the record in place (so later handlers see it masked too); never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = _rendered(record)
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
