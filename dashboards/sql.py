"""SQL building blocks shared by the rollups (``rollups.py``) and the governance rollups by day (``daily.py``): the
upsert of a delta, the delta of a statement's new and old rows, the districts below a level, where a place's rows are,
and the connection the dashboards read from. Kept apart so that neither of those modules imports the other."""

from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections, router

from renovation_portal import prepared


def _upsert(table: str, delta: str, keys: str) -> str:
    return (
        f"INSERT INTO {table} ({keys}, value) SELECT * FROM ({delta}) d "
        f"ORDER BY {', '.join(str(n + 1) for n in range(keys.count(',') + 1))} "
        f"ON CONFLICT ({keys}) DO UPDATE SET value = {table}.value + EXCLUDED.value;"
    )


def _delta(emit, keys: str, new: str | None, old: str | None) -> str:
    parts = []
    if new:
        parts.append(f"SELECT * FROM ({emit(new)}) a")
    if old:
        parts.append(
            f"SELECT e.district_id, e.sub, e.figure, e.key, {'e.day, ' if 'day' in keys else ''}-e.value FROM ({emit(old)}) e"
        )
    columns = "district_id, sub, figure, key" + (", day" if "day" in keys else "")
    union = " UNION ALL ".join(parts)
    return (
        f"SELECT {columns}, sum(value) AS value FROM ({union}) u(district_id, sub, figure, key"
        f"{', day' if 'day' in keys else ''}, value) GROUP BY {columns} HAVING sum(value) <> 0"
    )


_REFERENCING = {
    "INSERT": "NEW TABLE AS new_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
}


def statement_triggers(prefix: str, table: str, events: tuple = ("INSERT", "UPDATE", "DELETE")) -> list[str]:
    """(Re)create the statement triggers ``<prefix>_<event>`` on ``table``, with their transition tables
    (``new_rows``, ``old_rows``), each calling ``<prefix>_<table>()``."""
    statements = []
    for event in events:
        name = f"{prefix}_{event.lower()}"
        statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {_REFERENCING[event]} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {prefix}_{table}();"
        )
    return statements


def drop_statement_triggers(prefix: str, table: str, events: tuple = ("INSERT", "UPDATE", "DELETE")) -> list[str]:
    """Drop what ``statement_triggers`` created."""
    return [f"DROP TRIGGER IF EXISTS {prefix}_{event.lower()} ON {table};" for event in events] + [
        f"DROP FUNCTION IF EXISTS {prefix}_{table}();"
    ]


DISTRICTS = {
    "district": "SELECT %(pk)s",
    "city": "SELECT id FROM communities_district WHERE city_id = %(pk)s",
    "province": (
        "SELECT d.id FROM communities_district d JOIN communities_city ci ON ci.id = d.city_id "
        "WHERE ci.province_id = %(pk)s"
    ),
    "nation": "SELECT id FROM communities_district",  # the national overview: every district
}


# Where a place's rows are (``dashboards/areas.py``): a district's in the districts' table, a city's and a province's
# in the areas' table under their own level and id, the nation's in every province's.
AREA_OF = {
    "city": ("city", "SELECT %(pk)s"),
    "province": ("province", "SELECT %(pk)s"),
    "nation": ("province", "SELECT id FROM communities_province"),
}


def rows_of(
    level: str, part: str, table: str = "dashboards_placefigure", area_table: str = "dashboards_areafigure"
) -> str:
    """``FROM``-clause text: the rows of the place's figures (``figure``, ``key``, ``value``) in ``part`` — "= 0" its
    totals, "= -1" its figures by key: a district's own rows, or the area rows of a city, a province or (summed
    over its provinces) the nation. The query's parameters carry the place's id as ``pk``."""
    if level == "district":
        return f"{table} WHERE district_id = %(pk)s AND subdistrict_id {part}"
    area, ids = AREA_OF[level]
    return f"{area_table} WHERE level = '{area}' AND area_id IN ({ids}) AND part {part}"


def _reading():
    """The connection a dashboard reads the rollups from: the replica when the request reads there
    (renovation_portal/db_router.py), else the primary."""
    from dashboards.models import PlaceFigure

    return connections[router.db_for_read(PlaceFigure) or DEFAULT_DB_ALIAS]


def fetch(sql: str, params) -> list[tuple]:
    """Rows of a plain statement on the connection the request reads from. The boards' small lookups (the place,
    its children, the targets, the contractors' names) are plain SQL: the ORM's query for each cost ≈ 0.6–1 ms of
    Python, ten times the statement, on every request."""
    with _reading().cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def rows_as(sql: str, params, *models) -> list[tuple]:
    """Each row of a plain statement as instances of ``models``, one after the other: the statement selects each
    model's columns (``columns(model, …)``) in that order."""
    alias = _reading().alias
    fields = [[field.attname for field in model._meta.concrete_fields] for model in models]
    found = []
    for row in fetch(sql, params):
        start, objects = 0, []
        for model, names in zip(models, fields, strict=True):
            objects.append(model.from_db(alias, names, row[start : start + len(names)]))
            start += len(names)
        found.append(tuple(objects))
    return found


def instances(model, sql: str, params) -> list:
    """``model`` instances of a plain statement that selects the model's columns (``columns(model, …)``)."""
    return [found for (found,) in rows_as(sql, params, model)]


@lru_cache(maxsize=64)
def columns(model, alias: str) -> str:
    """The model's columns as ``alias."column", …`` in the order ``rows_as`` takes them."""
    return ", ".join(f'{alias}."{field.column}"' for field in model._meta.concrete_fields)
