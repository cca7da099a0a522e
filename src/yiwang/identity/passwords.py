"""Password policy beyond Django's validators: 等保 asks for a mix of character classes."""

import re

from django.core.exceptions import ValidationError

CLASSES = (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
REQUIRED = 3


class CharacterClassValidator:
    def validate(self, password: str, user=None) -> None:
        present = sum(1 for pattern in CLASSES if re.search(pattern, password or ""))
        if present < REQUIRED:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类"
