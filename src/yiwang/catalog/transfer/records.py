"""What a read file becomes: records that remember where each value came from.

Both formats are read into the same records; an error found anywhere later (a check, a
service refusing a write) is reported at the record's origin: the sheet, row and column
of an xlsx file, or the path of a JSON value, always with a Chinese description.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from yiwang.catalog.transfer.layout import LINK_KEYS, Sheet
from yiwang.core.errors import FieldError


class Origin(Protocol):
    def where(self) -> str:
        """The record's place in words, e.g. 第7行."""

    def error(self, key: str | None, reason: str) -> FieldError:
        """An error about the record's field `key` (None: the record as a whole)."""


@dataclass(frozen=True)
class CellOrigin:
    sheet: Sheet
    row: int
    letters: Mapping[str, str]  # field key → column letter in this file

    def where(self) -> str:
        return f"工作表“{self.sheet.title}”第{self.row}行"

    def error(self, key: str | None, reason: str) -> FieldError:
        column = self.sheet.column(key) if key else None
        if column is None or key not in self.letters:
            return FieldError(
                f"{self.sheet.title}!{self.row}:{self.row}", f"{self.where()}：{reason}"
            )
        return FieldError(
            f"{self.sheet.title}!{self.letters[key]}{self.row}",
            f"{self.where()}“{column.header}”列：{reason}",
        )


@dataclass(frozen=True)
class JsonOrigin:
    sheet: Sheet
    path: str  # e.g. service_items[2] or service_items[2].guide.materials[0]
    label: str  # e.g. 实施清单第3项 or 实施清单第3项·申请材料第1项

    def where(self) -> str:
        return f"{self.label}（{self.path}）"

    def error(self, key: str | None, reason: str) -> FieldError:
        column = self.sheet.column(key) if key else None
        if column is None:
            return FieldError(self.path, f"{self.where()}：{reason}")
        nested = "guide." if column.in_guide else ""
        return FieldError(
            f"{self.path}.{nested}{key}", f"{self.label}“{column.header}”（{key}）：{reason}"
        )


@dataclass
class Record:
    """One row (or one JSON object) with its decoded values; absent keys take defaults."""

    origin: Origin
    data: dict

    def error(self, key: str | None, reason: str) -> FieldError:
        return self.origin.error(key, reason)


# Service-level field names that are not column keys.
ALIASES = {"agency": "agency_uscc", "region": "region_code"}


@dataclass
class ServiceRecord:
    """An implementation: its 实施清单 row and the rows of its guide's lists, in order."""

    main: Record
    entries: dict[str, list[Record]] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        return self.main.data

    @property
    def guide(self) -> dict:
        sheet = self.main.origin.sheet
        guide = {key: value for key, value in self.data.items() if sheet.column(key).in_guide}
        for collection, records in self.entries.items():
            guide[collection] = [
                {key: value for key, value in record.data.items() if key not in LINK_KEYS}
                for record in records
            ]
        return guide

    def error(self, path: str | None, reason: str) -> FieldError:
        """Place an error given by a guide path (materials.2.copies) or a field name."""
        head, _, rest = (path or "").partition(".")
        if head in self.entries:
            index, _, key = rest.partition(".")
            records = self.entries[head]
            if index.isdigit() and int(index) < len(records):
                return records[int(index)].error(key.partition(".")[0] or None, reason)
            return self.main.error(None, reason)
        return self.main.error(ALIASES.get(head, head) or None, reason)


@dataclass
class Document:
    catalog_items: list[Record] = field(default_factory=list)
    service_items: list[ServiceRecord] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)  # found while reading
