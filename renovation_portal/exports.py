"""CSV and XLSX exports of any list: ``?export=csv`` or ``?export=xlsx`` on a list page.

The rows come from ``values_list`` streamed with ``iterator`` (no model instances); CSV is streamed to the
client with a byte-order mark so Excel reads the Chinese text; XLSX is written with openpyxl's write-only mode.
Choice fields are exported with their Chinese labels, dates and times in Beijing time.

Every table goes out through ``table_response``, the one place where exported text is made safe from
spreadsheet formula injection (OWASP "CSV injection"): see ``_formula_like``.
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
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMATS = ("csv", "xlsx")
XLSX_MAX_ROWS = 200_000  # an XLSX is built in memory; larger lists go out as CSV
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A spreadsheet reads a cell starting with one of these as a formula (OWASP CSV injection: = + - @, and tab and
# carriage return, which some spreadsheets skip before looking for the others).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


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


def _formula_like(value) -> bool:
    """Text a spreadsheet would run as a formula. Numbers are never text here: a negative number stays a number."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def _text(value):
    """Lazy translations and safe strings as plain ``str``; everything else (numbers, dates) unchanged."""
    if isinstance(value, str) or hasattr(value, "__html__") or value.__class__.__name__ == "__proxy__":
        return str(value)
    return value


def _csv_cell(value):
    # OWASP's advice for CSV: a leading single quote makes the spreadsheet take the field as text.
    value = _text(value)
    return "'" + value if _formula_like(value) else value


def _xlsx_cell(sheet, value):
    # XLSX carries each cell's type: formula-like text is written as a string cell with Excel's own "quote
    # prefix" flag (what Excel stores for a typed '=…), so it is shown exactly as entered and never evaluated,
    # even after the cell is edited.
    value = _text(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters openpyxl refuses to write
    if not _formula_like(value):
        return value
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
    cell.quotePrefix = True
    return cell


def table_response(name: str, fmt: str, sheets: list[tuple[str, list[str], object]]) -> HttpResponse:
    """A download of one or more tables: ``sheets`` is [(title, headers, rows iterable)]. CSV holds the first
    table only (the dashboard's export uses XLSX for its several tables). Every cell, headers included, passes
    through ``_csv_cell`` or ``_xlsx_cell``."""
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "csv":
        _title, headers, rows = sheets[0]
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff" + writer.writerow([_csv_cell(h) for h in headers])
            for row in rows:
                yield writer.writerow([_csv_cell(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{name}-{stamp}.csv")
        return response
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([_xlsx_cell(sheet, h) for h in headers])
        for count, row in enumerate(rows, start=1):
            if count > XLSX_MAX_ROWS:
                break
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{name}-{stamp}.xlsx")
    return response


def export_response(queryset, columns: list[Column], name: str, fmt: str) -> HttpResponse:
    """The whole (filtered) list as CSV or XLSX."""
    return table_response(name, fmt, [(name, [c.header for c in columns], _rows(queryset, columns))])
