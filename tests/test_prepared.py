"""Prepared statements (renovation_portal/prepared.py): the token's sign-in and the dashboards' reads go as EXECUTE of a
statement prepared once per connection, give what the plain statement gives, and survive a server that lost them."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from communities.models import ApiToken, City, District, User
from renovation_portal import prepared
from renovation_portal.prepared import statement_text


def held() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def run(sql, params=None):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


SQL = "SELECT %(n)s + 1, %(day)s::date, %(word)s || '%%', %(n)s * 2, %(ids)s::bigint[]"


@pytest.mark.django_db
def test_a_read_is_prepared_once_per_connection_and_gives_what_the_plain_statement_gives():
    params = {"n": 41, "day": date(2026, 12, 1), "word": "满意", "ids": [3, 1]}
    with connection.cursor() as cursor:
        cursor.execute(SQL, params)
        plain = cursor.fetchall()
    before = held()
    with CaptureQueriesContext(connection) as first:
        assert run(SQL, params) == plain == [(42, date(2026, 12, 1), "满意%", 82, [3, 1])]
    new = held() - before
    assert len(new) == 1  # one statement prepared, named by its text and its parameters' types
    (name,) = new
    # One statement logged (the PREPARE is connection set-up, like Django's own), the EXECUTE of the statement.
    assert [q["sql"] for q in first.captured_queries] == [
        f"EXECUTE {name} (41, '2026-12-01'::date, '满意', ARRAY[3,1])"
    ]
    assert statement_text(first.captured_queries[0]["sql"]).startswith("SELECT $1 + 1, $2::date, $3 || '%%', $1 * 2")
    with CaptureQueriesContext(connection) as second:
        assert run(SQL, {**params, "n": 1}) == [(2, date(2026, 12, 1), "满意%", 2, [3, 1])]
    assert held() - before == {name}  # not prepared again
    assert second.captured_queries[0]["sql"].startswith(f"EXECUTE {name} (1,")


@pytest.mark.django_db
def test_positional_values_and_values_of_other_types_and_the_switch(settings):
    assert run("SELECT %s, %s", [7, "七"]) == [(7, "七")]
    before = held()
    # None, an empty list: no type to give the parameter, so the statement goes as it is.
    with CaptureQueriesContext(connection) as queries:
        assert run("SELECT %(a)s::int IS NULL, cardinality(%(b)s::int[])", {"a": None, "b": []}) == [(True, 0)]
    assert queries.captured_queries[0]["sql"].startswith("SELECT NULL::int IS NULL")
    assert held() == before
    settings.DB_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        assert run("SELECT %(n)s * 3", {"n": 5}) == [(15,)]
    assert queries.captured_queries[0]["sql"] == "SELECT 5 * 3"
    assert held() == before


@pytest.mark.django_db(transaction=True)
def test_a_server_that_lost_its_statements_gets_them_again():
    assert run(SQL, {"n": 1, "day": date(2026, 1, 1), "word": "a", "ids": [1]})[0][0] == 2
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # as a pooler's DISCARD ALL would
    assert held() == set()
    assert run(SQL, {"n": 2, "day": date(2026, 1, 1), "word": "a", "ids": [1]})[0][0] == 3
    assert len(held()) == 1


@pytest.mark.django_db(transaction=True)
def test_a_statement_whose_table_a_migration_changed_is_prepared_again():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (a int)")
        cursor.execute("INSERT INTO prepared_probe VALUES (1)")
    try:
        assert run("SELECT * FROM prepared_probe WHERE a = %s", [1]) == [(1,)]
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE prepared_probe ADD COLUMN b int DEFAULT 2")
        assert run("SELECT * FROM prepared_probe WHERE a = %s", [1]) == [(1, 2)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prepared_probe")


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    params = {"n": 1, "day": date(2026, 1, 1), "word": "a", "ids": [1]}
    run(SQL, params)
    connection.close()
    assert run(SQL, params)[0][0] == 2
    assert len(held()) == 1


@pytest.fixture
def generated(db):
    call_command("generate_data", scale="district", districts=2, compounds_per_community=1, stdout=io.StringIO())
    return User.objects.create(username="prepared_admin", is_superuser=True, is_staff=True)


def test_every_board_and_the_token_read_the_same_prepared_or_not(generated, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    _, key = ApiToken.issue(user=generated, device_name="bench")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    district, city = District.objects.order_by("pk").first(), City.objects.order_by("pk").first()
    paths = [
        f"/api/v1/dashboard/district/{district.pk}/",
        f"/api/v1/dashboard/district/{district.pk}/?year=2024&since=2023-03-01&until=2024-06-30",
        f"/api/v1/dashboard/city/{city.pk}/",
        f"/api/v1/dashboard/province/{city.province_id}/",
        "/api/v1/dashboard/nation/",
        f"/api/v1/dashboard/province/{city.province_id}/contractors/?order=name&q=a",
        "/api/v1/dashboard/nation/contractors/?order=issues",
    ]
    bodies = {}
    for switch in (False, True):
        settings.DB_PREPARED_STATEMENTS = switch
        for path in paths:
            for _ in range(7 if switch else 1):  # beyond PostgreSQL's five custom plans, to its generic one
                with CaptureQueriesContext(connection) as queries:
                    response = api.get(path)
                assert response.status_code == 200, (path, response.content[:300])
                bodies.setdefault(path, set()).add(response.content)
            executed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("EXECUTE ")]
            # Prepared: the token's sign-in and most of the board; off: none.
            assert (len(executed) >= len(queries) // 2) if switch else not executed, path
    assert all(len(found) == 1 for found in bodies.values()), [path for path, found in bodies.items() if len(found) > 1]
