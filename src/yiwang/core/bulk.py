"""Bulk writes for generators and imports that would spend most of their time in the ORM."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Append rows to a table: COPY on PostgreSQL (the fastest way in), executemany elsewhere.

    `table` and `columns` are the database's names; the caller owns the transaction.
    """
    quoted_table = connection.ops.quote_name(table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quoted_table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {quoted_table} ({names}) VALUES ({marks})", rows)
