"""Service-item code schemes. Codes are strings validated by the scheme they claim.

Yiwang generates implementation codes in its own scheme (documented in docs/catalog.md):

    <agency USCC, 18><12-digit division code><basic code, 10><check character, 1>   = 41

The check character is ISO 7064 MOD 37,36 over the first 40 characters, so a mistyped code
is caught before any lookup, and every part can be checked against the agency, the region
and the catalog item it names. The national platform's 31-character shape (USCC + exercise
level + 12-character basic code) is validated by the `national31` scheme for imported codes.
"""

from __future__ import annotations

import re

from stdnum.iso7064 import mod_37_36

from yiwang.core.identifiers import is_division_code, is_valid_uscc
from yiwang.core.plugins import Plugin, Registry

BASIC_CODE = re.compile(r"^(XK|QR|JF|CJ|JL|QT|GG)\d{5}\d{3}$")


class CodeScheme(Plugin):
    def problems(self, code: str) -> list[str]:
        """Reasons the code does not fit the scheme; empty when it fits."""
        raise NotImplementedError


code_schemes: Registry[CodeScheme] = Registry("code schemes")


def basic_code_problems(code: str) -> list[str]:
    if not BASIC_CODE.match(code or ""):
        return ["基本编码应为事项类型字母（XK/QR/JF/CJ/JL/QT/GG）+5位主项编号+3位子项编号"]
    return []


@code_schemes.register("yiwang")
class YiwangScheme(CodeScheme):
    verbose_name = "一网实施编码（机构代码+区划代码+基本编码+校验位）"
    length = 41

    def make(self, *, uscc: str, division_code: str, basic_code: str) -> str:
        body = f"{uscc}{division_code}{basic_code}"
        return body + mod_37_36.calc_check_digit(body)

    def split(self, code: str) -> dict[str, str]:
        return {"uscc": code[:18], "division_code": code[18:30], "basic_code": code[30:40]}

    def problems(self, code: str) -> list[str]:
        if len(code or "") != self.length:
            return [f"实施编码应为{self.length}位"]
        parts = self.split(code)
        reasons = []
        if not is_valid_uscc(parts["uscc"]):
            reasons.append("实施编码中的机构统一社会信用代码无效")
        if not is_division_code(parts["division_code"]):
            reasons.append("实施编码中的区划代码无效")
        reasons += basic_code_problems(parts["basic_code"])
        if not reasons and not mod_37_36.is_valid(code):
            reasons.append("实施编码校验位不正确")
        return reasons


@code_schemes.register("national31")
class NationalScheme(CodeScheme):
    verbose_name = "国家平台实施编码（机构代码+行使层级+基本编码）"

    def problems(self, code: str) -> list[str]:
        if len(code or "") != 31:
            return ["实施编码应为31位"]
        reasons = []
        if not is_valid_uscc(code[:18]):
            reasons.append("实施编码中的机构统一社会信用代码无效")
        if code[18] not in "12345":
            reasons.append("实施编码中的行使层级应为1-5")
        if not re.match(r"^[0-9A-Z]{12}$", code[19:]):
            reasons.append("实施编码中的基本编码应为12位字母或数字")
        return reasons
