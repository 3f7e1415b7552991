"""The governance figures of 数说改造 (new party branches, self-governance groups, owners' committees formed or
re-elected, compounds newly under property management), counted from the governance records' dates for a period
at every level: hand-computed across the period's boundaries and the place tree."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities import services
from tests import factories as f

FIGURES = ("party_branches", "self_governance_groups", "owners_committees", "property_introduced")
Y2024 = {"since": "2024-01-01", "until": "2024-12-31"}


@pytest.fixture
def bodies(tree, actors):
    """Side a (筼筜 / 屿后西社区): compounds a, c and e; side b (鹭江 / 厦禾社区): compounds b and d.

    a: branch founded 2024-01-01 (first day of 2024), then a new secretary (same founding date); owners' committee
       elected 2023-12-31, re-elected 2024-06-01; no property service, then professional from 2024-12-31.
    b: branch founded 2025-01-01; self-governance group formed 2024-03-01; self-managed (2020), then menu-style
       from 2023-12-31.
    c: professional since 2019, then shared from 2024-05-01 (a managed mode before: nothing introduced).
    d: shared from 2024-02-01, the first record (no service before it).
    e: a branch without its founding date (counts in no period); self-managed from 2024-03-01 (not managed).
    """
    official = actors["district_official"]
    a, b = tree["compound_a"], tree["compound_b"]
    c = f.CompoundFactory(community=tree["comm_a"])
    d = f.CompoundFactory(community=tree["comm_b"])
    e = f.CompoundFactory(community=tree["comm_a"])
    property_company = f.CompanyFactory(kind="property")

    def branch(compound, founded, secretary="李勇"):
        services.party_branch_set(
            actor=official, compound=compound, name="党支部", secretary_name=secretary, established_on=founded
        )

    def owners(compound, kind, elected):
        services.owners_body_elect(
            actor=official, compound=compound, kind=kind, director_name="肖玲玲", established_on=elected
        )

    def service(compound, mode, starts=None):
        company = property_company if mode == "professional" else None
        services.property_service_change(
            actor=official, compound=compound, mode=mode, company=company, contract_starts_on=starts
        )

    branch(a, date(2024, 1, 1))
    branch(a, date(2024, 1, 1), secretary="张秀玉")
    owners(a, "owners_committee", date(2023, 12, 31))
    owners(a, "owners_committee", date(2024, 6, 1))
    service(a, "none")
    service(a, "professional", date(2024, 12, 31))
    branch(b, date(2025, 1, 1))
    owners(b, "self_governance_group", date(2024, 3, 1))
    service(b, "self_managed", date(2020, 5, 1))
    service(b, "menu", date(2023, 12, 31))
    service(c, "professional", date(2019, 1, 1))
    service(c, "shared", date(2024, 5, 1))
    service(d, "shared", date(2024, 2, 1))
    branch(e, None)
    service(e, "self_managed", date(2024, 3, 1))
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def governance(client, user, level, pk, **params):
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]), params)
    assert response.status_code == 200, response.content
    return response.json()["governance"]


def counts(figures):
    return tuple(figures[name] for name in FIGURES)


def test_district_figures_count_the_records_dated_in_the_period(tree, actors, bodies, client):
    official = actors["district_official"]
    district = tree["district"].pk
    # 2024: branch a (1 Jan), group b, committee a (re-elected), property a (31 Dec, from none) and d (first record).
    board = governance(client, official, "district", district, **Y2024)
    assert counts(board) == (1, 1, 1, 2)
    assert (board["since"], board["until"]) == ("2024-01-01", "2024-12-31")
    # 2023: committee a (31 Dec), property b (menu from self-managed on 31 Dec).
    assert counts(governance(client, official, "district", district, since="2023-01-01", until="2023-12-31")) == (
        0,
        0,
        1,
        1,
    )
    # 2025: branch b (1 Jan) only.
    assert counts(governance(client, official, "district", district, since="2025-01-01", until="2025-12-31")) == (
        1,
        0,
        0,
        0,
    )
    # The whole programme, 2023-2025: a committee elected twice is one compound, a's branch with its new secretary
    # one branch.
    assert counts(governance(client, official, "district", district, since="2023-01-01", until="2025-12-31")) == (
        2,
        1,
        1,
        3,
    )
    # One day: 31 December 2023 (both ends of the period count).
    assert counts(governance(client, official, "district", district, since="2023-12-31", until="2023-12-31")) == (
        0,
        0,
        1,
        1,
    )
    # The bodies in place now: 5 compounds, branches a, b, e; owners' bodies a, b; services a, b, c, d, e.
    assert (
        board["compounds"],
        board["with_party_branch"],
        board["with_owners_body"],
        board["with_property_service"],
    ) == (5, 3, 2, 5)


def test_each_level_counts_only_its_own_compounds(tree, actors, bodies, client):
    official = actors["district_official"]
    assert counts(governance(client, official, "subdistrict", tree["sub_a"].pk, **Y2024)) == (1, 0, 1, 1)
    assert counts(governance(client, official, "subdistrict", tree["sub_b"].pk, **Y2024)) == (0, 1, 0, 1)
    assert counts(governance(client, official, "community", tree["comm_b"].pk, **Y2024)) == (0, 1, 0, 1)
    assert counts(governance(client, official, "compound", bodies["a"].pk, **Y2024)) == (1, 0, 1, 1)
    assert counts(governance(client, official, "compound", bodies["c"].pk, **Y2024)) == (0, 0, 0, 0)
    # The subdistrict official sees the same figures of their subdistrict, and no dashboard of the other.
    assert counts(governance(client, actors["subdistrict_official"], "subdistrict", tree["sub_a"].pk, **Y2024)) == (
        1,
        0,
        1,
        1,
    )
    client.force_login(actors["subdistrict_official"])
    assert client.get(reverse("api:dashboard", args=["subdistrict", tree["sub_b"].pk]), Y2024).status_code == 404


def test_the_period_defaults_to_the_measured_year(tree, actors, bodies, client):
    board = governance(client, actors["district_official"], "district", tree["district"].pk, year=2024)
    assert (board["since"], board["until"]) == ("2024-01-01", "2024-12-31")
    assert counts(board) == (1, 1, 1, 2)


@pytest.mark.parametrize(
    "params,field,code",
    [
        ({"since": "2024-13-01"}, "since", "invalid_date"),
        ({"until": "nächste Woche"}, "until", "invalid_date"),
        ({"since": "1900-01-01"}, "since", "invalid_date"),
        ({"since": "2024-06-01", "until": "2024-01-01"}, "until", "invalid_period"),
    ],
)
def test_a_bad_period_is_a_400_in_the_api_and_a_message_on_the_page(tree, actors, client, params, field, code):
    client.force_login(actors["district_official"])
    response = client.get(reverse("api:dashboard", args=["district", tree["district"].pk]), params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code and response.json()["errors"][0]["attr"] == field
    page = client.get(reverse("dashboard:place", args=["district", tree["district"].pk]), params)
    assert page.status_code == 200
    assert 'data-testid="governance"' in page.content.decode()


def test_the_page_and_its_exports_show_the_figures(tree, actors, bodies, client):
    client.force_login(actors["district_official"])
    url = reverse("dashboard:place", args=["district", tree["district"].pk])
    page = client.get(url, Y2024).content.decode()
    assert 'data-testid="fig-gov-property">2<' in page and 'data-testid="fig-gov-committees">1<' in page
    response = client.get(url, {**Y2024, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    governance_rows = [row for row in rows if "2024-01-01" in row[0]]
    assert [row[2] for row in governance_rows] == ["1", "1", "1", "2"]
    weekly = client.get(reverse("dashboard:weekly", args=["district", tree["district"].pk]), Y2024).content.decode()
    line = weekly.split('data-testid="weekly-governance">')[1].split("</p>")[0]
    assert "2024-01-01" in line and "2024-12-31" in line
    assert [int(n) for n in re.findall(r"(?<![\d-])(\d+)(?![\d-])", line)] == [1, 1, 1, 2]


def test_the_governance_figures_cost_the_same_queries_for_more_records(tree, actors, bodies, client):
    official = actors["district_official"]
    client.force_login(official)
    url = reverse("api:dashboard", args=["district", tree["district"].pk])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, Y2024).status_code == 200
        return len(queries)

    count()
    before = count()
    for index in range(4):
        compound = f.CompoundFactory(community=tree["comm_b"])
        services.party_branch_set(
            actor=official,
            compound=compound,
            name="党支部",
            secretary_name="甲",
            established_on=date(2024, 5, index + 1),
        )
        services.property_service_change(actor=official, compound=compound, mode="none")
        services.property_service_change(
            actor=official, compound=compound, mode="shared", contract_starts_on=date(2024, 7, 1)
        )
    count()
    assert count() == before
    assert counts(governance(client, official, "district", tree["district"].pk, **Y2024)) == (5, 1, 1, 6)


def test_generated_data_has_governance_bodies_that_the_dashboard_counts(db, client):
    from django.core.management import call_command

    from communities.choices import RoleKind
    from communities.models import Compound, District, OwnersBody, PartyBranch, PropertyService

    call_command("generate_data", scale="district", districts=1, compounds_per_community=2, stdout=io.StringIO())
    district = District.objects.order_by("-pk").first()
    compounds = Compound.objects.filter(community__subdistrict__district=district)
    assert PartyBranch.objects.filter(compound__in=compounds).exists()
    assert OwnersBody.objects.filter(compound__in=compounds).exists()
    # Every compound points at its current body of each kind, as the services keep it.
    for model, pointer in (
        (PartyBranch, "party_branch"),
        (OwnersBody, "owners_body"),
        (PropertyService, "property_service"),
    ):
        current = dict(
            model.objects.filter(compound__in=compounds, ended_on__isnull=True).values_list("compound", "pk")
        )
        assert dict(compounds.exclude(**{f"{pointer}__isnull": True}).values_list("pk", pointer)) == current
    official = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district)
    board = governance(client, official, "district", district.pk, since="2023-01-01", until="2024-12-31")
    founded = PartyBranch.objects.filter(compound__in=compounds, established_on__year__in=[2023, 2024])
    assert board["party_branches"] == founded.values("compound").distinct().count()
    introduced = PropertyService.objects.filter(compound__in=compounds, mode="none", ended_on__isnull=False)
    assert board["property_introduced"] == introduced.count()
    assert board["compounds"] == compounds.count()
