"""Fast bulk loading for the data generator: PostgreSQL COPY in chunks, bulk_create elsewhere.

Rows are produced by generators and streamed in chunks, so memory stays flat whatever the row count. Ids are
assigned by the loader (continuing after the table's current maximum) so that later tables can refer to them
without reading anything back; the id sequence is moved past them at the end.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from itertools import islice

from django.db import connection, models

CHUNK_ROWS = 20_000


def next_id(model: type[models.Model]) -> int:
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _csv_value(value):
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


def copy_rows(
    model: type[models.Model], columns: list[str], rows: Iterable[tuple], progress: Callable[[int], None] | None = None
) -> int:
    """Load rows (tuples in ``columns`` order, column names as in the database) into the model's table."""
    table = model._meta.db_table
    total = 0
    if connection.vendor == "postgresql":
        column_list = ", ".join(connection.ops.quote_name(c) for c in columns)
        sql = f"COPY {connection.ops.quote_name(table)} ({column_list}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor:
            for chunk in _chunks(rows, CHUNK_ROWS):
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerows([_csv_value(v) for v in row] for row in chunk)
                buffer.seek(0)
                cursor.copy_expert(sql, buffer)
                total += len(chunk)
                if progress:
                    progress(total)
        _reset_sequence(model)
    else:
        fields = {f.column: f.attname for f in model._meta.concrete_fields}
        for chunk in _chunks(rows, 2_000):
            model.objects.bulk_create([model(**{fields[c]: v for c, v in zip(columns, row)}) for row in chunk])
            total += len(chunk)
            if progress:
                progress(total)
    return total


def _reset_sequence(model: type[models.Model]) -> None:
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def copy_dicts(
    model: type[models.Model], rows: Iterable[dict], progress: Callable[[int], None] | None = None, now=None
) -> int:
    """Load rows given as {attname: value}: every other column gets its field's default, "" when blank is
    allowed, or NULL — so a generator names only what it cares about. ``now`` fills auto timestamps."""
    from django.utils import timezone

    now = now or timezone.now()
    fields = [f for f in model._meta.concrete_fields]
    filler = {}
    for f in fields:
        if f.has_default():
            filler[f.attname] = f.default() if callable(f.default) else f.default
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            filler[f.attname] = now
        elif f.null:
            filler[f.attname] = None
        elif f.blank or isinstance(f, (models.CharField, models.TextField)):
            filler[f.attname] = ""
        else:
            filler[f.attname] = None  # the generator must give it (an id, a required date …)
    columns = [f.column for f in fields]
    attnames = [f.attname for f in fields]
    stamped = "updated_at" in attnames

    def tuples():
        for n, row in enumerate(rows):
            if stamped and row.get("updated_at", now) == now:
                # Distinct change times, as real edits have: keyset pages and updated_since rely on them.
                row["updated_at"] = now - timedelta(microseconds=n)
            yield tuple(row[a] if a in row else filler[a] for a in attnames)

    return copy_rows(model, columns, tuples(), progress=progress)
