"""The license identifier (电子证照标识) after GB/T 36904, as provinces implement it:

    1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>

- root: the e-license OID arc 1.2.156.3005.2;
- type code: 21 characters, the defining authority's USCC (18) and a 3-digit sequence;
- issuer: the issuing agency's USCC (18, GB 32100 check character);
- serial: the license's own number, unique per type and issuer; Yiwang gives year (4) + a
  7-digit counter, so serials sort by issue year and order; imported stock licenses may bring
  1–32 digits or capital letters of their own;
- version: 3 digits, 001 for the first issue, one more for each change or renewal;
- check: one ISO 7064 MOD 37,36 character over type + issuer + serial + version (no dots).

Only the check character is computed here; which serial comes next is services' business.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from stdnum.iso7064 import mod_37_36

from yiwang.core.errors import DomainError
from yiwang.core.identifiers import validate_uscc

ROOT = "1.2.156.3005.2"
TYPE_CODE_LENGTH = 21
SERIAL_YEAR_DIGITS = 4
SERIAL_COUNTER_DIGITS = 7
MAX_SERIAL_COUNTER = 10**SERIAL_COUNTER_DIGITS - 1
MAX_VERSION = 999
MAX_LENGTH = 100  # root 14, type 21, issuer 18, serial ≤ 32, version 3, check 1, 5 dots: 94

_SERIAL = re.compile(r"[0-9A-Z]{1,32}")
_VERSION = re.compile(r"[0-9]{3}")
SHAPE = f"{ROOT}.类型代码.发证机关代码.流水号.版本号.校验位"


@dataclass(frozen=True)
class LicenseIdentifier:
    type_code: str
    issuer_uscc: str
    serial: str
    version: int

    @functools.cached_property
    def check(self) -> str:
        return check_character(self.type_code, self.issuer_uscc, self.serial, self.version)

    @functools.cached_property
    def text(self) -> str:
        parts = (ROOT, self.type_code, self.issuer_uscc, self.serial, f"{self.version:03d}")
        return ".".join((*parts, self.check))

    def __str__(self) -> str:
        return self.text


def check_character(type_code: str, issuer_uscc: str, serial: str, version: int) -> str:
    return mod_37_36.calc_check_digit(f"{type_code}{issuer_uscc}{serial}{version:03d}")


def validate_type_code(value: str, *, field: str = "code") -> str:
    code = (value or "").strip().upper()
    if len(code) != TYPE_CODE_LENGTH or not code[18:].isdigit():
        raise DomainError.of(
            field, "证照类型代码应为21位：定义机构的统一社会信用代码（18位）加3位数字顺序号"
        )
    try:
        validate_uscc(code[:18], field=field)
    except DomainError as error:
        raise DomainError.of(field, f"证照类型代码前18位的{error.errors[0].message}") from error
    return code


def validate_issuer(value: str, *, field: str = "issuer") -> str:
    try:
        return validate_uscc((value or "").strip().upper(), field=field)
    except DomainError as error:
        raise DomainError.of(field, f"发证机关{error.errors[0].message}") from error


def validate_serial(value: str, *, field: str = "serial") -> str:
    serial = (value or "").strip().upper()
    if not _SERIAL.fullmatch(serial):
        raise DomainError.of(field, "流水号应为1至32位数字或大写字母")
    return serial


def validate_version(value: int, *, field: str = "version") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_VERSION:
        raise DomainError.of(field, f"版本号应为1至{MAX_VERSION}的整数")
    return value


def serial_for(year: int, counter: int) -> str:
    """Yiwang's own serial: the issue year and the counter, zero-padded so they sort."""
    return f"{year:0{SERIAL_YEAR_DIGITS}d}{counter:0{SERIAL_COUNTER_DIGITS}d}"


def make_identifier(
    *, type_code: str, issuer_uscc: str, serial: str, version: int
) -> LicenseIdentifier:
    return LicenseIdentifier(
        type_code=validate_type_code(type_code, field="type_code"),
        issuer_uscc=validate_issuer(issuer_uscc, field="issuer"),
        serial=validate_serial(serial),
        version=validate_version(version),
    )


@functools.lru_cache(maxsize=1024)  # a verification parses its identifier more than once
def parse_identifier(value: str, *, field: str = "identifier") -> LicenseIdentifier:
    """The parts of an identifier, or a DomainError on `field` naming the faulty part."""
    text = (value or "").strip().upper()
    if len(text) > MAX_LENGTH:
        raise DomainError.of(field, f"证照标识不能超过{MAX_LENGTH}个字符")
    if not text.startswith(ROOT + "."):
        raise DomainError.of(field, f"证照标识应以 {ROOT} 开头")
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise DomainError.of(field, f"证照标识应为 {SHAPE} 的形式")
    type_code, issuer, serial, version, check = parts
    if not _VERSION.fullmatch(version) or version == "000":
        raise DomainError.of(field, "证照标识的版本号应为3位数字（001至999）")
    identifier = LicenseIdentifier(
        type_code=validate_type_code(type_code, field=field),
        issuer_uscc=validate_issuer(issuer, field=field),
        serial=_serial_part(serial, field),
        version=int(version),
    )
    if check != identifier.check:
        raise DomainError.of(field, "证照标识的校验位不正确，请核对后重新输入")
    return identifier


def _serial_part(serial: str, field: str) -> str:
    try:
        return validate_serial(serial, field=field)
    except DomainError as error:
        raise DomainError.of(field, f"证照标识的{error.errors[0].message}") from error
