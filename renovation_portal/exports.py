"""CSV and XLSX exports of any list: ``?export=csv`` or ``?export=xlsx`` on a list page.

The rows come from ``values_list`` streamed with ``iterator`` (no model instances); CSV is streamed to the
client with a byte-order mark so Excel reads the Chinese text; XLSX is written with openpyxl's write-only mode.
Choice fields are exported with their Chinese labels, dates and times in Beijing time.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from openpyxl import Workbook

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 200_000  # an XLSX is built in memory; larger lists go out as CSV
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    labels: dict = field(default_factory=dict)  # value → label (choices)


def requested_format(request) -> str | None:
    fmt = request.GET.get("export")
    return fmt if fmt in FORMATS else None


def _cell(value, labels):
    if labels and value in labels:
        return str(labels[value])
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if value is None:
        return ""
    return value


def _rows(queryset, columns):
    for row in queryset.values_list(*[c.field for c in columns]).iterator(chunk_size=2000):
        yield [_cell(value, column.labels) for value, column in zip(row, columns)]


class _Echo:
    def write(self, value):
        return value


def table_response(name: str, fmt: str, sheets: list[tuple[str, list[str], object]]) -> HttpResponse:
    """A download of one or more tables: ``sheets`` is [(title, headers, rows iterable)]. CSV holds the first
    table only (the dashboard's export uses XLSX for its several tables)."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        _title, headers, rows = sheets[0]
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff" + writer.writerow([str(h) for h in headers])
            for row in rows:
                yield writer.writerow(row)
        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{name}-{stamp}.csv")
        return response
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([str(h) for h in headers])
        for count, row in enumerate(rows, start=1):
            if count > XLSX_MAX_ROWS:
                break
            sheet.append([str(v) if hasattr(v, "__html__") or v.__class__.__name__ == "__proxy__" else v for v in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{stamp}.xlsx")
    return response


def export_response(queryset, columns: list[Column], name: str, fmt: str) -> HttpResponse:
    """The whole (filtered) list as CSV or XLSX."""
    return table_response(name, fmt, [(name, [c.header for c in columns], _rows(queryset, columns))])
