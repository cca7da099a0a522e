"""Field-level differences between two versions of a document (变化追踪).

Lists of records are matched by their natural key (a material by its name, a fee by its
name), so reordering is not a change and an edited material shows as that material's fields.
Written by hand: the libraries that diff nested data report list positions, not the named
materials a reviewer reads.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from yiwang.catalog.guide import LABELS

KEYS = ("name", "q", "title", "law")


@dataclass(frozen=True)
class Change:
    path: str
    label: str
    kind: str  # added | removed | changed
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict:
        return asdict(self)


def _key_of(record: Any) -> str | None:
    if isinstance(record, dict):
        for key in KEYS:
            if key in record:
                return str(record[key])
    return None


def _keyed(records: list) -> dict[str, Any] | None:
    keys = [_key_of(r) for r in records]
    if None in keys or len(set(keys)) != len(keys):
        return None
    return dict(zip(keys, records, strict=True))


def diff(old: Any, new: Any, path: str = "", label: str = "") -> list[Change]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return _diff_dicts(old, new, path, label)
    if isinstance(old, list) and isinstance(new, list):
        old_keyed, new_keyed = _keyed(old), _keyed(new)
        if old_keyed is not None and new_keyed is not None:
            return _diff_keyed(old_keyed, new_keyed, path, label)
    return [Change(path, label, "changed", old, new)]


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _diff_dicts(old: dict, new: dict, path: str, label: str) -> list[Change]:
    changes: list[Change] = []
    for key in list(old) + [k for k in new if k not in old]:
        child_label = f"{label}·{LABELS.get(key, key)}" if label else LABELS.get(key, key)
        if key not in new:
            changes.append(Change(_join(path, key), child_label, "removed", old[key], None))
        elif key not in old:
            changes.append(Change(_join(path, key), child_label, "added", None, new[key]))
        else:
            changes += diff(old[key], new[key], _join(path, key), child_label)
    return changes


def _diff_keyed(old: dict, new: dict, path: str, label: str) -> list[Change]:
    changes: list[Change] = []
    for key in list(old) + [k for k in new if k not in old]:
        child_path, child_label = f"{path}[{key}]", f"{label}“{key}”"
        if key not in new:
            changes.append(Change(child_path, child_label, "removed", old[key], None))
        elif key not in old:
            changes.append(Change(child_path, child_label, "added", None, new[key]))
        else:
            changes += diff(old[key], new[key], child_path, child_label)
    return changes
