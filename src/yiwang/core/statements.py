"""Statements written once for the hot paths, and prepared by PostgreSQL.

The ORM compiles every query anew (about a millisecond for a lookup with four joins on a
2-core machine) and PostgreSQL plans it anew (another millisecond for the same joins), which
is several times the SM2 verification that follows a license lookup. Django has no compiled
or prepared queries (ticket #20516), so the few statements that run on every public request
are written here from the models' metadata, once per process, and executed as server-side
prepared statements: planned once per connection. The rows come back as model instances with
the same converters the ORM applies, and through Django's cursor wrapper, so errors are
Django's and the statements are counted and logged like any other query.

Django opens psycopg connections with preparing off (prepare_threshold None), under which
psycopg ignores even an explicit prepare=True; the settings give a threshold no statement
reaches instead, so exactly these statements are prepared and none of the ORM's. A prepared
statement lives in its database session: behind a pooler in transaction mode (PgBouncer
before 1.21) set YIWANG_PREPARED_STATEMENTS=false, and these statements are planned anew.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model


class _PreparedCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared (Django's cursors bind on the
    client, which PostgreSQL cannot prepare)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _PreparedDebugCursor(CursorDebugWrapper):
    """Django's query log, with the statement as written: psycopg keeps no text of a prepared
    statement's execution for Django to read back."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)


def prepared_cursor():
    """A Django cursor whose statements PostgreSQL prepares; elsewhere Django's own (SQLite
    keeps its statement cache by itself)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparedCursor(connection.connection)
    if connection.queries_logged:
        return _PreparedDebugCursor(raw, connection)
    return connection.make_cursor(raw)


@dataclass(frozen=True)
class _Joined:
    """One table of a select: its model, alias, the columns read, and where its instance
    hangs (the parent's position in the select and the foreign key's name on the parent)."""

    model: type[Model]
    alias: str
    fields: tuple[Field, ...]
    parent: int | None = None
    relation: str = ""

    @property
    def attnames(self) -> list[str]:
        return [field.attname for field in self.fields]


def _fields(model: type[Model], names: Sequence[str] | None, keys: set[str]) -> tuple:
    """Every concrete field, or the primary key, `names` and the foreign keys joined on."""
    if names is None:
        return tuple(model._meta.concrete_fields)
    wanted = {model._meta.pk.name, *names, *keys}
    return tuple(field for field in model._meta.concrete_fields if field.name in wanted)


class RelatedLookup:
    """`model.objects.select_related(*paths).only(...).get(<unique field>=value)`, written once.

    `paths` maps each forward foreign key path as select_related names it ("seal__agency") to
    the fields read of it (None: all); the rest are deferred, loaded on first access as the ORM
    does. The root model is read whole. A null foreign key is a LEFT JOIN and its related
    object None. Returns None when nothing matches.
    """

    def __init__(
        self, model: type[Model], paths: dict[str, Sequence[str] | None], unique_field: str
    ):
        self._tables = self._plan(model, paths)
        self._field = model._meta.get_field(unique_field)
        self._sql: str | None = None
        self._converters: dict[str, list] = {}

    @staticmethod
    def _plan(model: type[Model], paths: dict[str, Sequence[str] | None]) -> list[_Joined]:
        def joined_from(path: str) -> set[str]:
            return {other.split("__")[-1] for other in paths if other.rpartition("__")[0] == path}

        tables = [_Joined(model, "t0", _fields(model, None, set()))]
        positions = {"": 0}
        for path in sorted(paths, key=lambda p: p.count("__")):
            head, _, name = path.rpartition("__")
            parent = positions[head]
            related = tables[parent].model._meta.get_field(name).related_model
            fields = _fields(related, paths[path], joined_from(path))
            positions[path] = len(tables)
            tables.append(_Joined(related, f"t{len(tables)}", fields, parent, name))
        return tables

    def _select(self) -> str:
        """SELECT … WHERE <root>.<unique column>, the comparison left to the caller."""
        if self._sql is None:
            quote = connection.ops.quote_name
            columns = ", ".join(
                f"{table.alias}.{quote(field.column)}"
                for table in self._tables
                for field in table.fields
            )
            root = self._tables[0]
            joins = []
            for table in self._tables[1:]:
                parent = self._tables[table.parent]
                key = parent.model._meta.get_field(table.relation)
                kind = "LEFT JOIN" if key.null else "JOIN"
                joins.append(
                    f"{kind} {quote(table.model._meta.db_table)} {table.alias} ON "
                    f"{table.alias}.{quote(key.target_field.column)} = "
                    f"{parent.alias}.{quote(key.column)}"
                )
            self._sql = (
                f"SELECT {columns} FROM {quote(root.model._meta.db_table)} {root.alias} "
                f"{' '.join(joins)} WHERE {root.alias}.{quote(self._field.column)}"
            )
        return self._sql

    def _converters_for(self, table: _Joined, db) -> list[tuple[int, object, list]]:
        """The ORM's converters of the columns that have any (dates from SQLite's text, JSON
        from text), by position."""
        key = f"{db.vendor}:{table.alias}"
        if key not in self._converters:
            converters = []
            for position, field in enumerate(table.fields):
                column = field.get_col(table.alias)
                found = [*db.ops.get_db_converters(column), *field.get_db_converters(db)]
                if found:
                    converters.append((position, column, found))
            self._converters[key] = converters
        return self._converters[key]

    def _instance(self, table: _Joined, values: list, db) -> Model:
        for position, column, converters in self._converters_for(table, db):
            for convert in converters:
                values[position] = convert(values[position], column, db)
        return table.model.from_db(db.alias, table.attnames, values)

    @property
    def statement(self) -> str:
        """The SQL `get` sends, with one %s for the value (for benchmark floors to replay)."""
        return f"{self._select()} = %s"

    def get(self, value) -> Model | None:
        with prepared_cursor() as cursor:
            cursor.execute(self.statement, [self._prepared(value)])
            row = cursor.fetchone()
        return None if row is None else self._build(row, connections[DEFAULT_DB_ALIAS], {})

    def get_many(self, values: Sequence) -> list[Model]:
        """The rows matching any of `values` (a batch of a few hundred at most), in no order.
        Related rows met more than once are one instance, as prefetch_related makes them.
        PostgreSQL gets one array parameter, so one prepared statement serves every size."""
        if not values:
            return []
        prepared = [self._prepared(value) for value in values]
        if connection.vendor == "postgresql":
            query, params = f"{self._select()} = ANY(%s)", [prepared]
        else:
            query, params = f"{self._select()} IN ({', '.join(['%s'] * len(prepared))})", prepared
        with prepared_cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        db, shared = connections[DEFAULT_DB_ALIAS], {}
        return [self._build(row, db, shared) for row in rows]

    def _prepared(self, value):
        return self._field.get_db_prep_value(value, connection)

    def _build(self, row: Sequence, db, shared: dict) -> Model:
        """The root instance with its related instances cached on it, from one row; related
        instances already in `shared` (by table and primary key) are reused. `db` is the
        connection itself, not the thread-local proxy, since every column reads it."""
        instances: list[Model | None] = []
        start = 0
        for table in self._tables:
            values = row[start : start + len(table.fields)]
            start += len(table.fields)
            if table.parent is None:
                instances.append(self._instance(table, list(values), db))
                continue
            instance = self._related(table, values, db, shared)
            parent = instances[table.parent]
            if parent is not None:
                parent._meta.get_field(table.relation).set_cached_value(parent, instance)
            instances.append(instance)
        return instances[0]

    def _related(self, table: _Joined, values: Sequence, db, shared: dict) -> Model | None:
        if values[0] is None:  # the primary key: nothing on the other side of a LEFT JOIN
            return None
        key = (table.alias, values[0])
        if key not in shared:
            shared[key] = self._instance(table, list(values), db)
        return shared[key]


class RowInsert:
    """`model.objects.create(**values)` for an append-only table, written once: every column
    but the generated key, defaults filled as the ORM fills them; the new id is not read."""

    def __init__(self, model: type[Model]):
        self._model = model
        self._fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        self._sql: str | None = None

    def _statement(self) -> str:
        if self._sql is None:
            quote = connection.ops.quote_name
            names = ", ".join(quote(field.column) for field in self._fields)
            marks = ", ".join(["%s"] * len(self._fields))
            table = quote(self._model._meta.db_table)
            self._sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        return self._sql

    def insert(self, **values) -> None:
        with prepared_cursor() as cursor:
            cursor.execute(self._statement(), self._params(values))

    def insert_many(self, rows: Sequence[dict]) -> None:
        """Several rows in one round trip (psycopg pipelines them) and one transaction."""
        if not rows:
            return
        with transaction.atomic(), prepared_cursor() as cursor:
            cursor.executemany(self._statement(), [self._params(values) for values in rows])

    def _params(self, values: dict) -> list:
        row = self._model(**values)
        return [
            field.get_db_prep_save(field.pre_save(row, True), connection) for field in self._fields
        ]
