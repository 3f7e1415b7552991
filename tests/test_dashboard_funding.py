"""Funding on the dashboards: totals and execution rates per source and per level, against figures computed by
hand to the fen, in the page, the API (decimal strings, never floats) and the exports; scoped like the rest."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from projects import services
from projects.choices import FundingSource, FundingStage
from projects.models import Project, ProjectFunding

pytestmark = pytest.mark.django_db
CENTRAL, BONDS = FundingSource.CENTRAL_SUBSIDY, FundingSource.SPECIAL_BONDS
A, D, S = FundingStage.ALLOCATED, FundingStage.DISBURSED, FundingStage.SPENT


@pytest.fixture
def money(tree, actors):
    """Side a: central 0.10 + 0.20 allocated, 0.30 disbursed, 0.10 spent; bonds 1000000.01 allocated, 0.01 spent.
    Side b: central 2.00 allocated and disbursed, 1.99 spent."""
    official = actors["district_official"]
    a = Project.objects.get(compound=tree["compound_a"])
    b = Project.objects.get(compound=tree["compound_b"])
    ProjectFunding.objects.create(project=a, source=CENTRAL, amount=Decimal("0.30"))
    ProjectFunding.objects.create(project=b, source=CENTRAL, amount=Decimal("2.50"))
    for number, (project, source, stage, amount) in enumerate(
        [
            (a, CENTRAL, A, "0.10"),
            (a, CENTRAL, A, "0.20"),
            (a, CENTRAL, D, "0.30"),
            (a, CENTRAL, S, "0.10"),
            (a, BONDS, A, "1000000.01"),
            (a, BONDS, D, "0.01"),
            (a, BONDS, S, "0.01"),
            (b, CENTRAL, A, "2.00"),
            (b, CENTRAL, D, "2.00"),
            (b, CENTRAL, S, "1.99"),
        ]
    ):
        services.funding_entry_record(
            actor=official,
            project=project,
            source=source,
            stage=stage,
            amount=amount,
            date=date(2026, 1, 1 + number),
            document_number=f"文{number}",
        )
    return official


def board(client, user, level, pk):
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]))
    assert response.status_code == 200, response.content
    return response.json()


def test_district_funding_per_source_and_per_subdistrict(money, tree, client):
    figures = board(client, money, "district", tree["district"].pk)
    funding = {row["source"]: row for row in figures["funding"]["sources"]}
    assert [row["source"] for row in figures["funding"]["sources"]] == FundingSource.values
    central = funding[CENTRAL]
    assert (central["planned"], central["allocated"], central["disbursed"], central["spent"]) == (
        "2.80",
        "2.30",
        "2.30",
        "2.09",
    )
    assert central["rate"] == "0.9087" and central["rate_percent"] == "90.87"  # 2.09 ÷ 2.30 = 0.908695…
    assert funding[BONDS]["rate"] == "0.0000" and funding[BONDS]["allocated"] == "1000000.01"
    assert funding[FundingSource.RESIDENTS]["rate"] is None  # nothing allocated
    total = figures["funding"]["total"]
    assert (total["allocated"], total["spent"], total["rate"]) == (
        "1000002.31",
        "2.10",
        "0.0000",
    )  # 0.10 + 0.01 + 1.99 spent
    children = {row["pk"]: row["funding"] for row in figures["children"]}
    assert children[tree["sub_a"].pk]["spent"] == "0.11" and children[tree["sub_a"].pk]["allocated"] == "1000000.31"
    assert children[tree["sub_b"].pk]["rate_percent"] == "99.50"  # 1.99 ÷ 2.00


@pytest.mark.parametrize("level", ["subdistrict", "community", "compound"])
def test_each_level_sums_its_own_projects_only(money, tree, actors, client, level):
    place = {"subdistrict": tree["sub_b"], "community": tree["comm_b"], "compound": tree["compound_b"]}[level]
    figures = board(client, money, level, place.pk)
    total = figures["funding"]["total"]
    assert (total["planned"], total["allocated"], total["disbursed"], total["spent"], total["rate"]) == (
        "2.50",
        "2.00",
        "2.00",
        "1.99",
        "0.9950",
    )


def test_a_subdistrict_official_cannot_read_the_other_subdistricts_money(money, tree, actors, client):
    client.force_login(actors["subdistrict_official"])
    assert client.get(reverse("api:dashboard", args=["subdistrict", tree["sub_b"].pk])).status_code == 404
    assert client.get(reverse("api:dashboard", args=["district", tree["district"].pk])).status_code == 404
    own = board(client, actors["subdistrict_official"], "subdistrict", tree["sub_a"].pk)["funding"]["total"]
    assert own["spent"] == "0.11"


def test_dashboard_page_and_exports_show_the_funding(money, tree, client):
    client.force_login(money)
    url = reverse("dashboard:place", args=["district", tree["district"].pk])
    page = client.get(url).content.decode()
    assert 'data-testid="funding-total"' in page and "90.87%" in page and "1000002.31" in page
    book = load_workbook(io.BytesIO(client.get(url, {"export": "xlsx"}).content), read_only=True)
    sheet = book.worksheets[3]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    central = next(row for row in rows if row[0] == str(FundingSource(CENTRAL).label))
    assert [Decimal(str(v)) for v in central[1:5]] == [Decimal(x) for x in ("2.80", "2.30", "2.30", "2.09")]
    assert Decimal(str(central[5])) == Decimal("90.87")
    assert Decimal(str(rows[-1][2])) == Decimal("1000002.31")  # the total row
