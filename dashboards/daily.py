"""The governance row of 数说改造 rolled up by day (``dashboards.models.PlaceDay``): a district's, city's or province's
figures for any period are sums over the period's days, read in one query (``read``), instead of counting the
place's compounds, governance records, problems and spaces live (``figures.governance`` still does below the district
and on SQLite, and the tests compare the two).

Rows are per district (``subdistrict_id`` 0) and day, kept by PostgreSQL triggers in the writer's transaction like
the other rollups (``dashboards/rollups.py``: the same emit queries serve the triggers, the rebuild and the check):

- ``gov.problems_solved``, ``gov.service_space_m2``, ``gov.culture_facilities``: per resolution day (local) and
  opening day, from each problem and space;
- ``gov.party_branches``, ``gov.self_governance_groups``, ``gov.owners_committees``, ``gov.property_introduced``
  count compounds, once however many of their records fall in the period. Beside the records per day, each pair of
  one compound's consecutive days (``*.pair``: the earlier day, the later one as the key) is kept: the compound's
  records in a period are consecutive, so they count once when the pairs within the period are taken off. A record
  counts by the compound's other records (the property service before it), so the governance records' triggers
  count the changed compounds' records again, before and after the statement;
- ``cov.<mode>``, ``cov.managed``, ``cov.some`` (property coverage): per compound, the days its services of that mode
  (or managed, or any but none) come into force (+1) and stop (-1), overlapping services merged; in force on a day
  is the sum up to it. ``cov.*.y`` holds the same per year (on 31 December) so a day reads few rows;
- ``gov.compounds``, ``gov.with_*`` (the bodies in place now) have the day ``NOW``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import connection

from dashboards.sql import _delta, _reading, _upsert, drop_statement_triggers, rows_of, statement_triggers
from renovation_portal import prepared

DAY = "dashboards_placeday"
DAY_KEYS = "district_id, subdistrict_id, figure, key, day"
NOW = date(1, 1, 1)  # the day of the figures of the state now
_NOW = "DATE '0001-01-01'"
ONCE = ("party_branches", "self_governance_groups", "owners_committees", "property_introduced")
PERIOD = ("problems_solved", "service_space_m2", "culture_facilities")
NOW_FIGURES = ("compounds", "with_party_branch", "with_owners_body", "with_property_service")


def _modes():
    from communities.choices import PropertyMode
    from communities.selectors import MANAGED_MODES, UNMANAGED_MODES

    counted = [mode for mode in PropertyMode.values if mode != PropertyMode.NONE]
    return counted, MANAGED_MODES, UNMANAGED_MODES


COVERAGE_CLASSES = (*_modes()[0], "managed", "some")


def _in(values) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def _at_compound(compound_id: str) -> str:
    return (
        f"JOIN communities_compound c ON c.id = {compound_id} "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id"
    )


def _once(figure: str, days: str) -> str:
    """A figure that counts compounds once in a period, from ``days`` (compound_id, day: one row per record that
    counts): the records per day, and the pairs of each compound's consecutive days."""
    return (
        f"SELECT sd.district_id, 0 AS sub, 'gov.{figure}' AS figure, '' AS key, x.day, 1::numeric AS value "
        f"FROM ({days}) x {_at_compound('x.compound_id')} "
        f"UNION ALL SELECT sd.district_id, 0, 'gov.{figure}.pair', to_char(x.next, 'YYYY-MM-DD'), x.day, 1::numeric "
        f"FROM (SELECT y.compound_id, y.day, lead(y.day) OVER (PARTITION BY y.compound_id ORDER BY y.day) AS next "
        f"FROM ({days}) y) x {_at_compound('x.compound_id')} WHERE x.next IS NOT NULL"
    )


def party_branch_days(rows: str) -> str:
    # A new secretary's record keeps the branch's founding day: the compound still counts once.
    return _once("party_branches", f"SELECT r.compound_id, r.established_on AS day FROM {rows} r "
                 "WHERE r.established_on IS NOT NULL")  # fmt: skip


def owners_body_days(rows: str) -> str:
    return " UNION ALL ".join(
        _once(
            figure,
            f"SELECT r.compound_id, r.established_on AS day FROM {rows} r "
            f"WHERE r.established_on IS NOT NULL AND r.kind = '{kind}'",
        )
        for figure, kind in (
            ("self_governance_groups", "self_governance_group"),
            ("owners_committees", "owners_committee"),
        )
    )


def property_service_days(rows: str) -> str:
    from django.conf import settings

    counted, managed, unmanaged = _modes()
    tz = settings.TIME_ZONE.replace("'", "")
    # ``communities.selectors.governance_conditions``: a managed service whose earlier record (by id) had no managed
    # mode, from its contract's start, else the day the earlier one ended.
    earlier = (
        "SELECT r.compound_id, r.mode, coalesce(r.contract_starts_on, lag(r.ended_on) OVER w) AS day, "
        f"lag(r.mode) OVER w AS earlier_mode FROM {rows} r WINDOW w AS (PARTITION BY r.compound_id ORDER BY r.id)"
    )
    introduced = (
        f"SELECT e.compound_id, e.day FROM ({earlier}) e WHERE e.mode IN {_in(managed)} "
        f"AND (e.earlier_mode IS NULL OR e.earlier_mode IN {_in(unmanaged)}) AND e.day IS NOT NULL"
    )
    # Coverage (``service_in_force``): in force from its start (``SERVICE_STARTED``) until the day it ends; one
    # compound's overlapping services of a class merged, so that it counts once.
    started = f"coalesce(r.contract_starts_on, (r.created_at AT TIME ZONE '{tz}')::date, DATE '1900-01-01')"
    spans = (
        f"SELECT r.compound_id, k.cls, {started} AS s, r.ended_on AS e FROM {rows} r CROSS JOIN LATERAL (VALUES "
        f"(r.mode::text), (CASE WHEN r.mode IN {_in(managed)} THEN 'managed' END), ('some')) k(cls) "
        f"WHERE r.mode <> 'none' AND k.cls IS NOT NULL AND (r.ended_on IS NULL OR r.ended_on > {started})"
    )
    marked = (
        "SELECT i.*, CASE WHEN i.s <= max(coalesce(i.e, 'infinity'::date)) OVER (PARTITION BY i.compound_id, i.cls "
        "ORDER BY i.s, i.e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS fresh "
        f"FROM ({spans}) i"
    )
    islands = (
        "SELECT m.*, sum(m.fresh) OVER (PARTITION BY m.compound_id, m.cls ORDER BY m.s, m.e ROWS UNBOUNDED PRECEDING) "
        f"AS island FROM ({marked}) m"
    )
    merged = (
        "SELECT g.compound_id, g.cls, min(g.s) AS s, CASE WHEN bool_or(g.e IS NULL) THEN NULL ELSE max(g.e) END AS e "
        f"FROM ({islands}) g GROUP BY g.compound_id, g.cls, g.island"
    )
    coverage = (
        "SELECT sd.district_id, 0 AS sub, f.figure, '' AS key, f.day, v.value::numeric FROM ("
        f"  SELECT m.compound_id, m.cls, x.day, x.value FROM ({merged}) m "
        "  CROSS JOIN LATERAL (VALUES (m.s, 1), (m.e, -1)) x(day, value) WHERE x.day IS NOT NULL) v "
        f"{_at_compound('v.compound_id')} CROSS JOIN LATERAL (VALUES ('cov.' || v.cls, v.day), "
        "('cov.' || v.cls || '.y', make_date(EXTRACT(YEAR FROM v.day)::int, 12, 31))) f(figure, day)"
    )
    return f"{_once('property_introduced', introduced)} UNION ALL {coverage}"


def current_service(rows: str) -> str:
    """``gov.with_property_service`` of the compounds whose current service is among ``rows``: counted from the
    compounds (``compound_days``); the services' trigger moves it when such a service changes its mode."""
    return (
        f"SELECT sd.district_id, 0 AS sub, 'gov.with_property_service' AS figure, '' AS key, {_NOW} AS day, "
        f"1::numeric AS value FROM {rows} r JOIN communities_compound c ON c.property_service_id = r.id "
        "JOIN communities_community cm ON cm.id = c.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id WHERE r.mode <> 'none'"
    )


def compound_days(rows: str) -> str:
    with_service = (
        "EXISTS (SELECT 1 FROM communities_propertyservice ps WHERE ps.id = r.property_service_id "
        "AND ps.mode <> 'none')::int"
    )
    return (
        f"SELECT sd.district_id, 0 AS sub, f.figure, '' AS key, {_NOW} AS day, f.value::numeric FROM {rows} r "
        "JOIN communities_community cm ON cm.id = r.community_id "
        "JOIN communities_subdistrict sd ON sd.id = cm.subdistrict_id "
        "CROSS JOIN LATERAL (VALUES ('gov.compounds', 1), "
        "('gov.with_party_branch', (r.party_branch_id IS NOT NULL)::int), "
        "('gov.with_owners_body', (r.owners_body_id IS NOT NULL)::int), "
        f"('gov.with_property_service', {with_service})) f(figure, value) WHERE f.value <> 0"
    )


def problem_days(rows: str) -> str:
    from django.conf import settings

    tz = settings.TIME_ZONE.replace("'", "")
    # ``consultations.selectors.resolved_between``: resolved, on the local day of its resolution.
    return (
        "SELECT sd.district_id, 0 AS sub, 'gov.problems_solved' AS figure, '' AS key, "
        f"(r.resolved_at AT TIME ZONE '{tz}')::date AS day, 1::numeric AS value FROM {rows} r "
        f"{_at_compound('r.compound_id')} WHERE r.status = 'resolved' AND r.resolved_at IS NOT NULL"
    )


def space_days(rows: str) -> str:
    from aftercare.choices import CULTURE_KINDS, SERVICE_SPACE_KINDS

    return (
        "SELECT sd.district_id, 0 AS sub, f.figure, '' AS key, r.opened_on AS day, f.value FROM "
        f"{rows} r JOIN aftercare_aftercarerecord ar ON ar.id = r.record_id {_at_compound('ar.compound_id')} "
        "CROSS JOIN LATERAL (VALUES "
        f"('gov.service_space_m2', CASE WHEN r.kind IN {_in(SERVICE_SPACE_KINDS)} THEN r.area ELSE 0 END::numeric), "
        f"('gov.culture_facilities', (r.kind IN {_in(CULTURE_KINDS)})::int::numeric)) f(figure, value) "
        "WHERE r.opened_on IS NOT NULL AND f.value <> 0"
    )


# table → (the emit query into PlaceDay, the columns whose change moves a figure, whether a row's figures depend
# on the compound's other rows: then a statement counts the changed compounds' rows again, before and after)
SOURCES = {
    "communities_partybranch": (party_branch_days, ["compound_id", "established_on"], True),
    "communities_ownersbody": (owners_body_days, ["compound_id", "kind", "established_on"], True),
    "communities_propertyservice": (
        property_service_days,
        ["compound_id", "mode", "contract_starts_on", "ended_on", "created_at"],
        True,
    ),
    "communities_compound": (
        compound_days,
        ["community_id", "party_branch_id", "owners_body_id", "property_service_id"],
        False,
    ),
    "consultations_residentproblem": (problem_days, ["compound_id", "status", "resolved_at"], False),
    "aftercare_space": (space_days, ["record_id", "kind", "area", "opened_on"], False),
}


def trigger_function(table: str) -> str:
    emit, columns, by_compound = SOURCES[table]
    changed = " OR ".join(f"n.{c} IS DISTINCT FROM o.{c}" for c in columns)
    new_changed = f"(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed})"
    old_changed = f"(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE {changed})"

    def apply(new: str | None, old: str | None) -> str:
        statements = []
        if table == "communities_propertyservice":  # a compound's current service changed its mode
            statements.append(_upsert(DAY, _delta(current_service, DAY_KEYS, new, old), DAY_KEYS))
        if by_compound:  # the changed compounds' rows now, and as they were before the statement
            compounds = " UNION ".join(f"SELECT x.compound_id FROM {rows} x" for rows in (new, old) if rows)
            now = f"(SELECT * FROM {table} t WHERE t.compound_id IN ({compounds}))"
            before = f"SELECT * FROM {table} t WHERE t.compound_id IN ({compounds})"
            if new:
                before += f" AND t.id NOT IN (SELECT x.id FROM {new} x)"
            if old:
                before += f" UNION ALL SELECT * FROM {old} x"
            new, old = now, f"({before})"
        statements.append(_upsert(DAY, _delta(emit, DAY_KEYS, new, old), DAY_KEYS))
        return "\n    ".join(statements)

    return f"""
CREATE OR REPLACE FUNCTION dashboards_days_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows n JOIN old_rows o ON o.id = n.id WHERE {changed}) THEN
            RETURN NULL;
        END IF;
    {apply(new_changed, old_changed)}
    ELSIF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    {apply("new_rows", None)}
    ELSE
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    {apply(None, "old_rows")}
    END IF;
    RETURN NULL;
END
$body$;
"""


def install_sql() -> list[str]:
    statements = []
    for table in SOURCES:
        statements.append(trigger_function(table))
        # Named to fire before the other rollups' triggers on the same table: each writer locks this table first,
        # as ``rollups.rebuild`` does.
        statements += statement_triggers("dashboards_days", table)
    return statements


def uninstall_sql() -> list[str]:
    statements = []
    for table in SOURCES:
        statements += drop_statement_triggers("dashboards_days", table)
    return statements


def recount_into(cursor, table: str) -> None:
    """Every row counted from the source tables now, into ``table``."""
    for source, (emit, _columns, _by_compound) in SOURCES.items():
        cursor.execute(
            f"INSERT INTO {table} ({DAY_KEYS}, value) SELECT district_id, sub, figure, key, day, sum(value) "
            f"FROM ({emit(source)}) e GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0 "
            f"ON CONFLICT ({DAY_KEYS}) DO UPDATE SET value = {table}.value + EXCLUDED.value"
        )


def coverage_days(on: date, years: int) -> list[date]:
    """The property coverage's days: the ends of the ``years - 1`` years before ``on``'s, and ``on``."""
    return [date(year, 12, 31) for year in range(on.year - years + 1, on.year)] + [on]


def read(level: str, pk: int, since: date, until: date, days: list[date]) -> dict:
    """The governance figures of a district, city or province over [since, until], and the property coverage on
    each of ``days`` (all but the last the end of a year): ``{name: value}`` with the names of ``ONCE``, ``PERIOD``
    and ``NOW_FIGURES``, and ``coverage``, a list per day of ``{class: compounds}`` (``COVERAGE_CLASSES``). One
    query."""
    rows = rows_of(level, "= 0", DAY, "dashboards_areaday")  # a district's rows, or its area's (``areas.py``)
    on = days[-1]
    partial = on != date(on.year, 12, 31)  # then ``on`` reads its year's days, the years before by year
    year_end = date(on.year - 1, 12, 31) if partial else on
    params = {
        "pk": pk,
        "since": since,
        "until": until,
        "until_key": until.isoformat(),
        "now": NOW,
        "year_end": year_end,
        "year_start": date(on.year, 1, 1),
        "on": on,
    }
    summed = [f"gov.{name}" for name in (*ONCE, *PERIOD)]
    sql = (
        f"SELECT figure, NULL::date, sum(value) FROM {rows} AND ("
        f"(figure IN {_in(summed)} AND day >= %(since)s AND day <= %(until)s) "
        f"OR (figure IN {_in(f'gov.{name}.pair' for name in ONCE)} AND day >= %(since)s "
        '  AND key COLLATE "C" <= %(until_key)s) '
        f"OR (figure IN {_in(f'gov.{name}' for name in NOW_FIGURES)} AND day = %(now)s)) GROUP BY 1 "
        f"UNION ALL SELECT figure, day, sum(value) FROM {rows} "
        f"AND figure IN {_in(f'cov.{cls}.y' for cls in COVERAGE_CLASSES)} AND day <= %(year_end)s GROUP BY 1, 2"
    )
    if partial:
        sql += (
            f" UNION ALL SELECT figure, %(on)s, sum(value) FROM {rows} "
            f"AND figure IN {_in(f'cov.{cls}' for cls in COVERAGE_CLASSES)} AND day >= %(year_start)s "
            "AND day <= %(on)s GROUP BY 1"
        )
    totals: dict = {}
    by_year: list = []
    with _reading().cursor() as cursor:
        prepared.execute(cursor, sql, params)
        for figure, day, value in cursor.fetchall():
            if day is None:
                totals[figure] = value
            else:
                by_year.append((figure, day, value))
    found: dict = {}
    for name in ONCE:
        found[name] = int(totals.get(f"gov.{name}", 0) - totals.get(f"gov.{name}.pair", 0))
    for name in (*NOW_FIGURES, "problems_solved", "culture_facilities"):
        found[name] = int(totals.get(f"gov.{name}", 0))
    found["service_space_m2"] = totals.get("gov.service_space_m2") or Decimal("0")
    coverage = []
    for day in days:
        counts = dict.fromkeys(COVERAGE_CLASSES, 0)
        for figure, until_day, value in by_year:
            cls = figure.split(".")[1]
            if figure.endswith(".y") and until_day <= (year_end if day == on else day):
                counts[cls] += int(value)
            elif not figure.endswith(".y") and day == on:  # ``on``'s own year, to its day
                counts[cls] += int(value)
        coverage.append(counts)
    return {**found, "coverage": coverage}


def enabled() -> bool:
    return connection.vendor == "postgresql"
