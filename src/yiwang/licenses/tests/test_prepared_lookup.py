"""The verification hot path's statements (core.statements) give what the ORM gives: the
license with its type, issuer and seal in one query, deferred fields loaded when touched, and
the use log row written with the model's defaults."""

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from yiwang.core.statements import RelatedLookup, RowInsert
from yiwang.licenses import selectors
from yiwang.licenses.constants import UseKind
from yiwang.licenses.models import License, LicenseUse, Seal
from yiwang.licenses.tests.factories import company_uscc, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def license(seal, food_type):
    return sign(food_type, seal)


def concrete_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


def test_the_lookup_reads_the_license_and_its_relations_in_one_query(license):
    expected = License.objects.select_related(*selectors.VERIFICATION_JOINS).get(pk=license.pk)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.license_by_identifier(license.identifier.lower())
        related = (found.license_type.code, found.issuer.uscc, found.seal.key_id)
        agency = found.seal.agency.name
    assert len(queries) == 1
    assert concrete_values(found) == concrete_values(expected)
    assert related == (expected.license_type.code, expected.issuer.uscc, expected.seal.key_id)
    assert agency == expected.seal.agency.name
    assert found.data == expected.data and isinstance(found.data, dict)
    assert found.signed_at == expected.signed_at and found.signed_at.tzinfo is not None
    assert found._state.adding is False and found._state.db == "default"


def test_a_field_not_read_loads_when_touched_as_the_orm_defers_it(license):
    found = selectors.license_by_identifier(license.identifier)
    with CaptureQueriesContext(connection) as queries:
        sealed_key = found.seal.private_key_sealed
    assert len(queries) == 1
    assert sealed_key == Seal.objects.get(pk=license.seal_id).private_key_sealed


def test_an_unknown_identifier_is_none(license):
    missing = license.identifier.replace(".001.", ".002.")
    missing = missing[:-1] + ("A" if missing[-1] != "A" else "B")
    assert RelatedLookup(License, {}, "identifier").get(missing) is None


def test_a_null_foreign_key_joins_as_none(license):
    lookup = RelatedLookup(License, {"previous": ("identifier",)}, "identifier")
    found = lookup.get(license.identifier)
    with CaptureQueriesContext(connection) as queries:
        assert found.previous is None
    assert len(queries) == 0
    later = sign(license.license_type, license.seal, holder_id=company_uscc(70000002))
    License.objects.filter(pk=later.pk).update(previous=license)
    assert lookup.get(later.identifier).previous.identifier == license.identifier


def test_the_row_insert_writes_the_model_defaults(license):
    moment = timezone.now()
    RowInsert(LicenseUse).insert(
        license=license, kind=UseKind.VERIFIED, used_at=moment, user="网上验证核对"
    )
    use = LicenseUse.objects.get(license=license)
    assert (use.kind, use.used_at, use.user) == (UseKind.VERIFIED, moment, "网上验证核对")
    assert (use.detail, use.case_number, use.address, use.authorization) == ({}, "", "", None)


def test_many_rows_come_in_one_query_sharing_their_related_instances(license):
    other = sign(license.license_type, license.seal, holder_id=company_uscc(70000003))
    lookup = RelatedLookup(License, {"license_type": ("code",), "seal": ("key_id",)}, "identifier")
    missing = license.identifier[:-1] + ("A" if license.identifier[-1] != "A" else "B")
    with CaptureQueriesContext(connection) as queries:
        found = lookup.get_many([license.identifier, other.identifier, missing])
        types = {row.license_type.code for row in found}
    assert len(queries) == 1
    assert sorted(row.pk for row in found) == sorted([license.pk, other.pk])
    assert types == {license.license_type.code}
    assert found[0].license_type is found[1].license_type  # one instance, as prefetching makes
    assert lookup.get_many([]) == []


def test_many_rows_insert_together_or_not_at_all(license):
    moment = timezone.now()
    rows = [
        {"license": license, "kind": UseKind.VERIFIED, "used_at": moment, "user": f"核验方{n}"}
        for n in range(3)
    ]
    RowInsert(LicenseUse).insert_many(rows)
    assert sorted(LicenseUse.objects.values_list("user", flat=True)) == [
        "核验方0",
        "核验方1",
        "核验方2",
    ]
    broken = [*rows, {"license": license, "kind": UseKind.VERIFIED, "used_at": None}]
    with pytest.raises(IntegrityError):
        RowInsert(LicenseUse).insert_many(broken)
    assert LicenseUse.objects.count() == 3


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_hot_statements_are_prepared_by_postgresql_and_nothing_else(license):
    """Django turns psycopg's preparing off; the settings let exactly the marked statements
    through. On SQLite the statements go through Django's own cursor (no server to prepare)."""
    License.objects.filter(pk=license.pk).exists()  # an ORM query, twice: never prepared
    License.objects.filter(pk=license.pk).exists()
    with CaptureQueriesContext(connection) as queries:
        selectors.license_by_identifier(license.identifier)
        RowInsert(LicenseUse).insert(
            license=license, kind=UseKind.VERIFIED, used_at=timezone.now(), user="网上验证核对"
        )
    logged = [query["sql"] for query in queries]  # Django's query log names them as written
    assert 'FROM "licenses_license" t0' in logged[0]
    assert logged[1].startswith('INSERT INTO "licenses_licenseuse"')
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"
        assert LicenseUse.objects.filter(license=license).count() == 1
        return
    prepared = _prepared_statements()
    assert any('FROM "licenses_license" t0' in text for text in prepared)
    assert any('INSERT INTO "licenses_licenseuse"' in text for text in prepared)
    assert len(prepared) == 2


def _constraints(model) -> dict:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, model._meta.db_table)


@pytest.mark.parametrize("column", ["identifier", "case_number"])
def test_a_unique_column_of_the_license_has_one_index_and_nothing_else_indexes_it(column):
    """unique=True would add a LIKE index on PostgreSQL that no query uses."""
    on_column = [
        details for details in _constraints(License).values() if details["columns"] == [column]
    ]
    assert len(on_column) == 1 and on_column[0]["unique"]


def test_a_verification_logs_its_use_without_locking_the_license_row():
    """No database foreign key on the use log: its check would lock the license row (FOR KEY
    SHARE), a write to the license table on every verification."""
    license_column = LicenseUse._meta.get_field("license").column
    keys = [
        details
        for details in _constraints(LicenseUse).values()
        if details["foreign_key"] and details["columns"] == [license_column]
    ]
    assert keys == []


def _index_definitions(model) -> list[str]:
    table = model._meta.db_table
    sql = {
        "postgresql": "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
        "sqlite": "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])
        return [definition for (definition,) in cursor.fetchall() if definition]


def test_a_verification_writes_no_entry_to_the_authorization_index():
    """Verifications log uses without an authorization; only uses under one are indexed."""
    column = LicenseUse._meta.get_field("authorization").column
    on_column = [text for text in _index_definitions(LicenseUse) if column in text]
    assert len(on_column) == 1
    assert "IS NOT NULL" in on_column[0].upper()
