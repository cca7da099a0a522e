"""Settings from the environment, through one typed helper.

Every variable the platform reads is declared here with its default and a help text, so
`yiwang envdoc` can print the reference in docs/deploy.md and nothing reads os.environ
behind the table's back. An unset variable means the embedded default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_REQUIRED = object()


@dataclass(frozen=True)
class Variable:
    name: str
    default: Any
    help: str


DECLARED: dict[str, Variable] = {}


def _as_bool(raw: str) -> bool:
    if raw.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _as_list(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


CASTS: dict[type, Callable[[str], Any]] = {
    bool: _as_bool,
    int: int,
    float: float,
    list: _as_list,
    str: str,
}


def config(name: str, default: Any = _REQUIRED, *, help: str, cast: type = str) -> Any:
    """Read `name` from the environment, cast it, and record it for the reference."""
    DECLARED[name] = Variable(name, None if default is _REQUIRED else default, help)
    raw = os.environ.get(name)
    if raw is None:
        if default is _REQUIRED:
            raise RuntimeError(f"environment variable {name} is required: {help}")
        return default
    return CASTS[cast](raw)
