"""National identifiers: validation through python-stdnum, masking for display.

GB 11643 citizen ID numbers (ISO 7064 MOD 11-2) and GB 32100 unified social credit codes
(weighted MOD 31). stdnum does the arithmetic; this module adds the Chinese reasons and the
masking rule used on every page.
"""

from __future__ import annotations

import functools
import re
from datetime import date

from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc
from stdnum.iso7064 import mod_11_2

from yiwang.core.errors import DomainError

_REASONS = {
    stdnum_errors.InvalidLength: "长度应为18位",
    stdnum_errors.InvalidFormat: "含有不允许的字符",
    stdnum_errors.InvalidChecksum: "校验位不正确",
    stdnum_errors.InvalidComponent: "出生日期或地区码无效",
}


def _reason(error: stdnum_errors.ValidationError) -> str:
    for kind, reason in _REASONS.items():
        if isinstance(error, kind):
            return reason
    return "格式无效"


def validate_id_number(value: str, *, field: str = "id_number") -> str:
    """Return the compact ID number or raise DomainError naming `field` and the reason."""
    try:
        return ric.validate(value or "")
    except stdnum_errors.ValidationError as error:
        raise DomainError.of(field, f"公民身份号码{_reason(error)}") from error


@functools.lru_cache(maxsize=4096)  # agencies' and license types' codes recur on every lookup
def _checked_uscc(value: str) -> str:
    return uscc.validate(value)


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """Return the compact USCC or raise DomainError naming `field` and the reason."""
    try:
        return _checked_uscc(str(value or ""))
    except stdnum_errors.ValidationError as error:
        raise DomainError.of(field, f"统一社会信用代码{_reason(error)}") from error


def is_valid_uscc(value: str) -> bool:
    return uscc.is_valid(value or "")


ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORGANIZATION_CODE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def organization_code_check(base8: str) -> str:
    """GB 11714 check character of an 8-character organization code body."""
    total = sum(
        ORGANIZATION_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(base8, ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def make_uscc(*, authority: str, kind: str, division6: str, organization8: str) -> str:
    """Compose a GB 32100 code: authority, kind, division, GB 11714 organization code, check."""
    body = authority + kind + division6 + organization8 + organization_code_check(organization8)
    return body + uscc.calc_check_digit(body)


def make_id_number(*, division6: str, birth: date, sequence: int, female: bool) -> str:
    """Compose a GB 11643 number: division, birth date, a 3-digit order code whose parity is
    the sex (odd for men), and the ISO 7064 MOD 11-2 check character."""
    order = sequence % 500 * 2 + (0 if female else 1)
    body = f"{division6}{birth:%Y%m%d}{order:03d}"
    return body + mod_11_2.calc_check_digit(body)


def sex_of(id_number: str) -> str:
    """ "M" or "F", read off the order code's parity."""
    return "F" if int(id_number[16]) % 2 == 0 else "M"


def birth_date_of(id_number: str) -> date:
    return ric.get_birth_date(id_number)


def mask(value: str, *, head: int = 4, tail: int = 4) -> str:
    """4301**********123X: keep the region head and a short tail, star the rest."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


_DIVISION12 = re.compile(r"^\d{12}$")


def is_division_code(value: str) -> bool:
    """A 12-digit statistical division code whose first six digits are a GB/T 2260 code."""
    return bool(_DIVISION12.match(value or "")) and value[:2] != "00"
