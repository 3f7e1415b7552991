"""The rollups of cities and provinces (``AreaFigure``, ``AreaDay``) and the contractors' scorecards above the district
(``ContractorScore``, ``ContractorKind``), kept from the districts' rollups by triggers on those.

Every change to a district's row (``PlaceFigure``, ``PlaceDay``: written by the source tables' triggers, the nightly
roll of the clock, the plan tables' triggers) is added, in the same statement's transaction, to the rows of the
district's city and province: a city's dashboard reads its own rows, a province's its own, the nation's its
provinces' (tens of rows per figure, never a row per district). There is no national row of a figure that every
write in the country would update; the contractors' national scorecard rows are per contractor, so only that
contractor's changes meet on them.

``part``: a district row of subdistrict 0 (the district's figure) adds to the area's part 0, one of subdistrict -1
(figures by key) to part -1 (but the projects waiting for the six parties, a count in part 0), and one of a subdistrict (the drill-down table's ``child.*``) to the part of the child
of the area it lies in: the district, in its city's rows; the city, in its province's.

The rebuild (``rollups.rebuild``) fills these tables from the districts' rows at the end (the triggers stand aside
meanwhile: ``dashboards.rebuilding``); the check (``rollups.differences``) compares them with the same sums of the
recount. A district moved to another city, or a city to another province, takes its rows along (``MOVES``: a trigger
on those tables subtracts them from the old area rows and adds them to the new).
"""

from __future__ import annotations

from dashboards.sql import drop_statement_triggers, statement_triggers

FIGURE = "dashboards_placefigure"
DAY = "dashboards_placeday"
AREA = "dashboards_areafigure"
AREA_DAY = "dashboards_areaday"
SCORE = "dashboards_contractorscore"
KIND = "dashboards_contractorkind"
AREA_KEYS = "level, area_id, part, figure, key"
AREA_DAY_KEYS = "level, area_id, part, figure, key, day"
SCORE_KEYS = "level, area_id, contractor_id"
KIND_KEYS = "level, area_id, contractor_id, kind"
# The session setting under which the triggers add nothing (the rebuild fills the tables itself).
REBUILDING = "dashboards.rebuilding"
# The scorecard's columns and the district figure each sums (``rollups.SCORECARD_FIGURES``).
SCORE_COLUMNS = {
    "issues": "card.issues",
    "closed": "card.closed",
    "on_time": "card.on_time",
    "overdue": "issue.overdue",
    "warranty": "card.warranty",
    "warranty_on_time": "card.warranty_on_time",
    "projects": "sched.projects",
    "behind": "project.behind",
    "slip_days": "sched.slip_days",
    "slip_n": "sched.slip_n",
}


# Each district's city and province (district_id, city_id, province_id): the mapping the triggers add by. A district
# or city moved is re-added by its own trigger, from the mapping before the move to the one after (``move_sql``).
PLACES = (
    "(SELECT d.id AS district_id, d.city_id, c.province_id FROM communities_district d "
    "JOIN communities_city c ON c.id = d.city_id)"
)


# The figures per contractor stay out of the area rows (the scorecard has its own rows); overdue issues come per tier
# and projects behind schedule in all, as the boards above the district show them.
PER_CONTRACTOR = tuple(figure for figure in SCORE_COLUMNS.values() if figure.startswith(("card.", "sched."))) + (
    "issue.kind",
)
_AREA_KEY = (
    "CASE WHEN r.subdistrict_id > 0 THEN '' WHEN r.figure = 'issue.overdue' THEN split_part(r.key, ':', 1) "
    "WHEN r.figure IN ('project.behind', 'project.pending') THEN '' ELSE r.key END"
)


def area_rows(sources: list[tuple[str, str]], day: bool = False) -> str:
    """The area rows (``AREA_KEYS``[, day], value) that the district rows of each source (``rows``: district_id,
    subdistrict_id, figure, key[, day], value; ``places``: the mapping, ``PLACES``) add to: each to its city's and
    its province's, but for the figures per contractor (``PER_CONTRACTOR``)."""
    key = "CASE WHEN r.subdistrict_id > 0 THEN '' ELSE r.key END" if day else _AREA_KEY
    extra = ", r.day" if day else ""
    kept = "TRUE" if day else "r.figure NOT IN (" + ", ".join(f"'{figure}'" for figure in PER_CONTRACTOR) + ")"
    # The projects waiting for the six parties (a row each, 0 or 1, in a district) are one count in an area.
    pending = "" if day else "WHEN r.figure = 'project.pending' THEN 0 "
    return " UNION ALL ".join(
        f"SELECT l.level, l.area_id, CASE WHEN r.subdistrict_id > 0 THEN l.child {pending}ELSE r.subdistrict_id END "
        f"AS part, r.figure, {key} AS key{extra}, r.value FROM {rows} r "
        f"JOIN {places} m ON m.district_id = r.district_id "
        "CROSS JOIN LATERAL (VALUES ('city', m.city_id, r.district_id), ('province', m.province_id, m.city_id)) "
        f"l(level, area_id, child) WHERE {kept}"
        for rows, places in sources
    )


def _levels(sources: list[tuple[str, str]], where: str) -> str:
    """The district rows of each source that ``where`` keeps (``x.``), at their city, their province and the
    nation (level, area_id, figure, key, value)."""
    return " UNION ALL ".join(
        f"SELECT l.level, l.area_id, r.figure, r.key, r.value FROM (SELECT * FROM {rows} x WHERE {where}) r "
        f"JOIN {places} m ON m.district_id = r.district_id "
        "CROSS JOIN LATERAL (VALUES ('city', m.city_id), ('province', m.province_id), ('nation', 0)) l(level, area_id)"
        for rows, places in sources
    )


def score_rows(sources: list[tuple[str, str]]) -> str:
    """The scorecard columns (``SCORE_KEYS``, then ``SCORE_COLUMNS``) that the district rows add to."""
    wanted = ", ".join(f"'{figure}'" for figure in SCORE_COLUMNS.values())
    contractor = "CASE WHEN l.figure = 'issue.overdue' THEN split_part(l.key, ':', 2) ELSE l.key END"
    sums = ", ".join(
        f"coalesce(sum(l.value) FILTER (WHERE l.figure = '{figure}'), 0) AS {column}"
        for column, figure in SCORE_COLUMNS.items()
    )
    named = (
        f"x.subdistrict_id = 0 AND x.figure IN ({wanted}) "
        "AND (CASE WHEN x.figure = 'issue.overdue' THEN split_part(x.key, ':', 2) ELSE x.key END) <> ''"
    )
    return (
        f"SELECT l.level, l.area_id, ({contractor})::bigint AS contractor_id, {sums} "
        f"FROM ({_levels(sources, named)}) l GROUP BY 1, 2, 3"
    )


def kind_rows(sources: list[tuple[str, str]]) -> str:
    """The findings per contractor and kind (``KIND_KEYS``, n) that the district rows add."""
    kinds = "x.subdistrict_id = 0 AND x.figure = 'issue.kind'"
    return (
        "SELECT l.level, l.area_id, split_part(l.key, ':', 1)::bigint AS contractor_id, "
        "substr(l.key, strpos(l.key, ':') + 1) AS kind, sum(l.value)::bigint AS n "
        f"FROM ({_levels(sources, kinds)}) l GROUP BY 1, 2, 3, 4"
    )


def _sum_upsert(table: str, keys: str, rows: str, day: bool = False) -> str:
    columns = keys + (", day" if day else "")
    order = ", ".join(str(n + 1) for n in range(columns.count(",") + 1))
    return (
        f"INSERT INTO {table} ({columns}, value) SELECT {columns}, sum(value) FROM ({rows}) a "
        f"GROUP BY {order} HAVING sum(value) <> 0 ORDER BY {order} "
        f"ON CONFLICT ({columns}) DO UPDATE SET value = {table}.value + EXCLUDED.value;"
    )


def _score_upsert(sources: list[tuple[str, str]]) -> tuple[str, str]:
    """The statements adding the district rows of ``sources`` to the scorecards: the columns; and the findings per
    kind and, from the counts before and after, the repeat findings (a kind's count n has n - 1 repeats)."""
    columns = ", ".join(SCORE_COLUMNS)
    changes = " OR ".join(f"s.{column} <> 0" for column in SCORE_COLUMNS)
    return (
        f"INSERT INTO {SCORE} ({SCORE_KEYS}, {columns}) SELECT * FROM ({score_rows(sources)}) s "
        f"WHERE {changes} ORDER BY 1, 2, 3 "
        f"ON CONFLICT ({SCORE_KEYS}) DO UPDATE SET "
        + ", ".join(f"{column} = {SCORE}.{column} + EXCLUDED.{column}" for column in SCORE_COLUMNS)
        + ";",
        f"WITH k AS (SELECT * FROM ({kind_rows(sources)}) k WHERE k.n <> 0), "
        f"up AS (INSERT INTO {KIND} ({KIND_KEYS}, n) SELECT * FROM k ORDER BY 1, 2, 3, 4 "
        f"ON CONFLICT ({KIND_KEYS}) DO UPDATE SET n = {KIND}.n + EXCLUDED.n RETURNING {KIND_KEYS}, n) "
        f"INSERT INTO {SCORE} ({SCORE_KEYS}, repeats) SELECT up.level, up.area_id, up.contractor_id, "
        "sum(greatest(up.n - 1, 0) - greatest(up.n - k.n - 1, 0)) FROM up "
        "JOIN k ON k.level = up.level AND k.area_id = up.area_id AND k.contractor_id = up.contractor_id "
        "AND k.kind = up.kind GROUP BY 1, 2, 3 HAVING sum(greatest(up.n - 1, 0) - greatest(up.n - k.n - 1, 0)) <> 0 "
        f"ORDER BY 1, 2, 3 ON CONFLICT ({SCORE_KEYS}) DO UPDATE SET repeats = {SCORE}.repeats + EXCLUDED.repeats;",
    )


def _signed(columns: str, new: str | None, old: str | None) -> str:
    parts = [f"SELECT {columns}, value FROM {new}"] if new else []
    parts += [f"SELECT {columns}, -value AS value FROM {old}"] if old else []
    return "(" + " UNION ALL ".join(parts) + ")"


def _add(sources: list[tuple[str, str]], day: bool, changed: list[str] | None = None) -> str:
    """The statements adding the district rows of ``sources`` to the area tables; with ``changed`` (the statement's
    transition tables), the scorecard's columns only when one of their rows is a scorecard figure, and the findings
    per kind only when one is a count of findings by kind (closing an issue changes none)."""
    if day:
        return _sum_upsert(AREA_DAY, AREA_KEYS, area_rows(sources, day=True), day=True)
    statements = [_sum_upsert(AREA, AREA_KEYS, area_rows(sources))]
    for statement, figures in zip(_score_upsert(sources), (tuple(SCORE_COLUMNS.values()), ("issue.kind",))):
        if changed:
            wanted = ", ".join(f"'{figure}'" for figure in figures)
            found = " OR ".join(
                f"EXISTS (SELECT 1 FROM {table} x WHERE x.subdistrict_id = 0 AND x.figure IN ({wanted}))"
                for table in changed
            )
            statement = f"IF {found} THEN\n    {statement}\n    END IF;"
        statements.append(statement)
    return "\n    ".join(statements)


_SKIP = f"""IF coalesce(current_setting('{REBUILDING}', true), '') = 'on' THEN
        RETURN NULL;
    END IF;"""


def trigger_function(table: str) -> str:
    day = table == DAY
    columns = "district_id, subdistrict_id, figure, key" + (", day" if day else "")

    def apply(new: str | None, old: str | None) -> str:
        return _add([(_signed(columns, new, old), PLACES)], day, [table for table in (new, old) if table])

    return f"""
CREATE OR REPLACE FUNCTION dashboards_area_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    {_SKIP}
    -- An upsert fires both the INSERT and the UPDATE trigger: the one with no row does nothing.
    IF TG_OP = 'INSERT' THEN
        IF NOT EXISTS (SELECT 1 FROM new_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM old_rows) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
    {apply("new_rows", None)}
    ELSIF TG_OP = 'UPDATE' THEN
    {apply("new_rows", "old_rows")}
    ELSE
    {apply(None, "old_rows")}
    END IF;
    RETURN NULL;
END
$body$;
"""


# A district moved to another city, or a city to another province: the mappings before and after, of the districts
# that moved (``old_rows``, ``new_rows``: the moved places' rows before and after the statement).
MOVES = {
    "communities_district": (
        "(SELECT o.id AS district_id, o.city_id, c.province_id FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "JOIN communities_city c ON c.id = o.city_id WHERE n.city_id IS DISTINCT FROM o.city_id)",
        "(SELECT n.id AS district_id, n.city_id, c.province_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "JOIN communities_city c ON c.id = n.city_id WHERE n.city_id IS DISTINCT FROM o.city_id)",
    ),
    "communities_city": (
        "(SELECT d.id AS district_id, d.city_id, o.province_id FROM old_rows o JOIN new_rows n ON n.id = o.id "
        "JOIN communities_district d ON d.city_id = o.id WHERE n.province_id IS DISTINCT FROM o.province_id)",
        "(SELECT d.id AS district_id, d.city_id, n.province_id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "JOIN communities_district d ON d.city_id = n.id WHERE n.province_id IS DISTINCT FROM o.province_id)",
    ),
}


def move_function(table: str) -> str:
    """The trigger function moving the rows of the districts that changed city (or whose city changed province)
    from their old area rows to their new ones: taken off by the mapping before, added by the mapping after."""
    before, after = MOVES[table]
    statements = []
    for source, day in ((FIGURE, False), (DAY, True)):
        columns = "district_id, subdistrict_id, figure, key" + (", day" if day else "")
        moved = f"(SELECT district_id FROM {after} a)"
        rows = f"(SELECT {columns}, value FROM {source} WHERE district_id IN {moved})"
        taken = f"(SELECT {columns}, -value AS value FROM {source} WHERE district_id IN {moved})"
        statements.append(_add([(taken, before), (rows, after)], day))
    body = "\n    ".join(statements)
    return f"""
CREATE OR REPLACE FUNCTION dashboards_area_move_{table}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    {_SKIP}
    IF NOT EXISTS {after} THEN
        RETURN NULL;
    END IF;
    {body}
    RETURN NULL;
END
$body$;
"""


def install_sql() -> list[str]:
    statements = []
    for table in (FIGURE, DAY):
        statements.append(trigger_function(table))
        statements += statement_triggers("dashboards_area", table)
    for table in MOVES:
        statements.append(move_function(table))
        statements += statement_triggers("dashboards_area_move", table, ("UPDATE",))
    return statements


def uninstall_sql() -> list[str]:
    statements = []
    for table in (FIGURE, DAY):
        statements += drop_statement_triggers("dashboards_area", table)
    for table in MOVES:
        statements += drop_statement_triggers("dashboards_area_move", table, ("UPDATE",))
    return statements


def fill(cursor, figure: str, day: str | None, area: str, area_day: str | None, score: str, kind: str) -> None:
    """The area tables ``area``, ``area_day``, ``score`` and ``kind`` summed from the district tables ``figure``
    and ``day`` (all four empty before)."""
    cursor.execute(_sum_upsert(area, AREA_KEYS, area_rows([(figure, PLACES)])))
    if day and area_day:
        cursor.execute(_sum_upsert(area_day, AREA_KEYS, area_rows([(day, PLACES)], day=True), day=True))
    columns = ", ".join(SCORE_COLUMNS)
    changes = " OR ".join(f"s.{column} <> 0" for column in SCORE_COLUMNS)
    cursor.execute(
        f"INSERT INTO {kind} ({KIND_KEYS}, n) SELECT * FROM ({kind_rows([(figure, PLACES)])}) k WHERE k.n <> 0 "
        "ORDER BY 1, 2, 3, 4"
    )
    cursor.execute(
        f"INSERT INTO {score} ({SCORE_KEYS}, {columns}, repeats) SELECT s.*, coalesce(r.repeats, 0) "
        f"FROM ({score_rows([(figure, PLACES)])}) s LEFT JOIN (SELECT level, area_id, contractor_id, "
        f"sum(greatest(n - 1, 0)) AS repeats FROM {kind} GROUP BY 1, 2, 3) r "
        "ON r.level = s.level AND r.area_id = s.area_id AND r.contractor_id = s.contractor_id "
        f"WHERE {changes} ORDER BY 1, 2, 3"
    )
