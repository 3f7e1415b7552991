"""The governance figures of 数说改造 (new party branches, self-governance groups, owners' committees formed or
re-elected, compounds newly under property management), counted from the governance records' dates for a period
at every level: hand-computed across the period's boundaries and the place tree."""

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from aftercare.models import AftercareRecord, Space
from communities import services
from consultations.models import ResidentProblem
from dashboards import figures
from projects.choices import ProjectStatus
from projects.models import Project
from projects.services import project_accept_completion
from tests import factories as f

FIGURES = ("party_branches", "self_governance_groups", "owners_committees", "property_introduced")
Y2024 = {"since": "2024-01-01", "until": "2024-12-31"}


@pytest.fixture(params=["rollups", "live"])
def both_paths(request, monkeypatch):
    """The district's (city's, province's) row read from the rollups by day (``dashboards.daily``), then counted live
    as below the district: the same figures either way."""
    if request.param == "live":
        monkeypatch.setattr(figures, "uses_rollups", lambda level: False)
    return request.param


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


@pytest.mark.usefixtures("both_paths")
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


@pytest.mark.usefixtures("both_paths")
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


@pytest.mark.usefixtures("both_paths")
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


@pytest.mark.usefixtures("both_paths")
def test_the_page_and_its_exports_show_the_figures(tree, actors, bodies, client):
    client.force_login(actors["district_official"])
    url = reverse("dashboard:place", args=["district", tree["district"].pk])
    page = client.get(url, Y2024).content.decode()
    assert 'data-testid="fig-gov-property">2<' in page and 'data-testid="fig-gov-committees">1<' in page
    response = client.get(url, {**Y2024, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    governance_rows = [row for row in rows if "2024-01-01" in row[0]]
    # branches, groups, committees, property introduced, problems solved, service space (m²), culture facilities
    assert [row[2] for row in governance_rows] == ["1", "1", "1", "2", "0", "0", "0"]
    # The property modes in force on the period's last day, then the basic property service coverage (%).
    coverage_rows = [row[2] for row in rows if row[0].endswith("2024-12-31") and "2024-01-01" not in row[0]]
    assert coverage_rows == ["0", "1", "1", "1", "2", "80.0"]
    weekly = client.get(reverse("dashboard:weekly", args=["district", tree["district"].pk]), Y2024).content.decode()
    line = weekly.split('data-testid="weekly-governance">')[1].split("</p>")[0]
    assert "2024-01-01" in line and "2024-12-31" in line
    assert [int(n) for n in re.findall(r"(?<![\d-])(\d+)(?![\d-])", line)] == [1, 1, 1, 2]


@pytest.mark.usefixtures("both_paths")
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


@pytest.mark.usefixtures("both_paths")
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


# --- The figures the governance row gained (residents' problems solved, community service space, culture
# facilities) and the property coverage: boundaries, levels, links, query counts. ---


def local(*args):
    return timezone.make_aware(datetime(*args))


def listed(client, url) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["page"].paginator.count


def hand_over(project, official):
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.COMPLETION_ACCEPTANCE, progress_percent=100)
    project.refresh_from_db()
    return project_accept_completion(actor=official, project=project)


@pytest.fixture
def problems(tree):
    """Compound a: resolved on the first instant of 2024 and the last minute of it (both count in 2024), one second
    before 2024 and on the first instant of 2025 (neither), one answered but not resolved; compound b: resolved
    mid-2024."""

    def problem(compound, status, resolved_at=None):
        return ResidentProblem.objects.create(
            compound=compound, description="楼道灯不亮", status=status, resolved_at=resolved_at
        )

    a, b = tree["compound_a"], tree["compound_b"]
    problem(a, "resolved", local(2024, 1, 1, 0, 0))
    problem(a, "resolved", local(2024, 12, 31, 23, 59, 59))
    problem(a, "resolved", local(2023, 12, 31, 23, 59, 59))
    problem(a, "resolved", local(2025, 1, 1, 0, 0))
    problem(a, "answered")
    problem(b, "resolved", local(2024, 6, 1, 10, 0))


@pytest.fixture
def spaces(tree, actors):
    """Compound a: community rooms opened on the first day of 2024 (30.5 m², counts), the day before (no) and on no
    day recorded (no), a fitness area in 2024 (no community service space), culture facilities on the last day of
    2024 (counts) and the day after (no); compound b: a culture facility in 2024."""
    official = actors["district_official"]
    records = {}
    for side in ("a", "b"):
        hand_over(tree[f"compound_{side}"].projects.get(), official)
        records[side] = AftercareRecord.objects.get(compound=tree[f"compound_{side}"])

    def space(side, name, kind, area, opened_on):
        Space.objects.create(
            record=records[side], name=name, kind=kind, area=Decimal(area), opened_on=opened_on, created_by=official
        )

    space("a", "近邻茶室", "community_room", "30.5", date(2024, 1, 1))
    space("a", "议事厅", "community_room", "20", date(2023, 12, 31))
    space("a", "老年活动室", "community_room", "10", None)
    space("a", "健身区", "fitness", "100", date(2024, 5, 1))
    space("a", "文化墙", "culture", "12", date(2024, 12, 31))
    space("a", "宣传栏", "culture", "3", date(2025, 1, 1))
    space("b", "文化长廊", "culture", "40", date(2024, 3, 1))
    return records


NEW = ("problems_solved", "service_space_m2", "culture_facilities")


def new_figures(board):
    return tuple(board[name] for name in NEW)


@pytest.mark.usefixtures("both_paths")
def test_problems_solved_count_the_local_days_of_the_period_at_each_level(tree, actors, problems, client):
    official = actors["district_official"]
    district = governance(client, official, "district", tree["district"].pk, **Y2024)
    assert district["problems_solved"] == 3
    assert governance(client, official, "subdistrict", tree["sub_a"].pk, **Y2024)["problems_solved"] == 2
    assert governance(client, official, "subdistrict", tree["sub_b"].pk, **Y2024)["problems_solved"] == 1
    assert (
        governance(client, official, "district", tree["district"].pk, since="2023-12-31", until="2023-12-31")[
            "problems_solved"
        ]
        == 1
    )
    # The link lists exactly the problems counted, for the district and for the subdistrict official's own.
    client.force_login(official)
    assert listed(client, district["problems_solved_url"]) == 3
    sub = governance(client, actors["subdistrict_official"], "subdistrict", tree["sub_a"].pk, **Y2024)
    assert listed(client, sub["problems_solved_url"]) == 2


@pytest.mark.usefixtures("both_paths")
def test_space_figures_count_the_spaces_opened_in_the_period(tree, actors, spaces, client):
    official = actors["district_official"]
    district = governance(client, official, "district", tree["district"].pk, **Y2024)
    assert new_figures(district) == (0, 30.5, 2)
    assert new_figures(governance(client, official, "subdistrict", tree["sub_a"].pk, **Y2024)) == (0, 30.5, 1)
    assert new_figures(governance(client, official, "compound", tree["compound_b"].pk, **Y2024)) == (0, 0.0, 1)
    whole = governance(client, official, "district", tree["district"].pk, since="2023-01-01", until="2025-12-31")
    assert new_figures(whole) == (0, 50.5, 3)
    client.force_login(official)
    response = client.get(district["service_space_url"])
    assert (response.context["count"], response.context["area"]) == (1, Decimal("30.5"))
    assert "30.5" in response.content.decode().split('data-testid="space-totals">')[1].split("</div>")[0]
    assert listed(client, district["culture_facilities_url"]) == 2
    assert listed(client, whole["service_space_url"]) == 2
    # The subdistrict official's space list holds only their subdistrict's spaces.
    client.force_login(actors["subdistrict_official"])
    assert listed(client, reverse("aftercare:space-list")) == 6
    assert listed(client, reverse("aftercare:space-list") + f"?subdistrict={tree['sub_b'].pk}") == 0


@pytest.mark.usefixtures("both_paths")
def test_property_coverage_counts_the_service_in_force_on_each_day(tree, actors, bodies, client):
    """On 2024-12-31: a professional (from that day), b menu, c and d shared, e self-managed → 4 of 5 managed. On
    2023-12-31: b menu (its self-management ended that day), c professional; a, d (shared from 2024-02-01) and e
    (self-managed from 2024-03-01) none → 2 of 5. A service whose contract starts after the day is not in force."""
    official = actors["district_official"]
    f_ = f.CompoundFactory(community=tree["comm_b"])
    services.property_service_change(actor=official, compound=f_, mode="shared", contract_starts_on=date(2025, 3, 1))
    board = governance(client, official, "district", tree["district"].pk, **Y2024)
    coverage = board["coverage"]
    counts = {cell["mode"]: cell["count"] for cell in coverage["modes"]}
    assert counts == {"none": 1, "self_managed": 1, "menu": 1, "professional": 1, "shared": 2}
    assert (coverage["on"], coverage["compounds"], coverage["managed"], coverage["percent"]) == (
        "2024-12-31",
        6,
        4,
        66.7,
    )
    end_2023 = coverage["trend"][-2]
    assert end_2023["on"] == "2023-12-31"
    assert {cell["mode"]: cell["count"] for cell in end_2023["modes"]} == {
        "none": 4,
        "self_managed": 0,
        "menu": 1,
        "professional": 1,
        "shared": 0,
    }
    assert (end_2023["managed"], end_2023["percent"]) == (2, 33.3)
    # The day before a's professional service starts, a has none.
    day_before = governance(client, official, "district", tree["district"].pk, since="2024-01-01", until="2024-12-30")
    assert {cell["mode"]: cell["count"] for cell in day_before["coverage"]["modes"]}["none"] == 2
    # 2025-12-31: f's shared service is in force.
    later = governance(client, official, "district", tree["district"].pk, since="2025-01-01", until="2025-12-31")
    assert later["coverage"]["managed"] == 5 and later["coverage"]["percent"] == 83.3
    # Every cell's link lists exactly the compounds it counts.
    for point in coverage["trend"]:
        assert listed(client, point["managed_url"]) == point["managed"]
        for cell in point["modes"]:
            assert listed(client, cell["url"]) == cell["count"], (point["on"], cell["mode"])
    # A subdistrict's coverage: side a holds a (professional), c (shared) and e (self-managed) → 2 of 3.
    sub = governance(client, official, "subdistrict", tree["sub_a"].pk, **Y2024)["coverage"]
    assert (sub["compounds"], sub["managed"], sub["percent"]) == (3, 2, 66.7)


@pytest.mark.usefixtures("both_paths")
def test_a_place_without_compounds_has_no_coverage_percent(tree, actors, client):
    empty = f.SubdistrictFactory(district=tree["district"])
    coverage = governance(client, actors["district_official"], "subdistrict", empty.pk, **Y2024)["coverage"]
    assert (coverage["compounds"], coverage["managed"], coverage["percent"]) == (0, 0, None)


@pytest.mark.usefixtures("both_paths")
def test_the_governance_links_list_what_they_count(tree, actors, bodies, client):
    official = actors["district_official"]
    for level, pk in (("district", tree["district"].pk), ("subdistrict", tree["sub_a"].pk)):
        for period in (Y2024, {"since": "2023-01-01", "until": "2025-12-31"}):
            board = governance(client, official, level, pk, **period)
            for name in FIGURES:
                assert listed(client, board[f"{name}_url"]) == board[name], (level, period, name)


@pytest.mark.parametrize("live,queries", [(True, 4), (False, 1)])
def test_the_row_costs_four_queries_live_and_one_rolled_up_whatever_the_records(
    tree, actors, bodies, problems, spaces, django_assert_num_queries, live, queries
):
    """Live: one aggregate over the compounds (the four bodies' figures and the bodies now), one count of the
    problems, one aggregate of the spaces, one of the property services for the coverage and its trend. Rolled up
    (a district, city or province): one read of the rows by day."""
    official = actors["district_official"]
    since, until = date(2024, 1, 1), date(2024, 12, 31)
    with django_assert_num_queries(queries):
        figures.governance("district", tree["district"], since, until, live=live)
    for index in range(3):
        compound = f.CompoundFactory(community=tree["comm_a"])
        services.property_service_change(actor=official, compound=compound, mode="none")
        services.property_service_change(
            actor=official, compound=compound, mode="menu", contract_starts_on=date(2024, 2, index + 1)
        )
        ResidentProblem.objects.create(
            compound=compound, description="路灯", status="resolved", resolved_at=local(2024, 3, 1, 9, 0)
        )
    with django_assert_num_queries(queries):
        board = figures.governance("district", tree["district"], since, until, live=live)
    assert (board["property_introduced"], board["problems_solved"]) == (5, 6)


@pytest.mark.parametrize(
    "url,params",
    [
        ("consultations:problem-list", {"resolved_since": "昨天"}),
        ("consultations:problem-list", {"status": "lost"}),
        ("aftercare:space-list", {"kind": "castle"}),
        ("aftercare:space-list", {"opened_until": "2024-02-30"}),
        ("communities:compound-list", {"governance": "everything", "since": "2024-01-01"}),
        ("communities:compound-list", {"property_mode": "menu", "property_on": "2024-13-01"}),
        ("communities:compound-list", {"governance": "party_branches", "until": "no"}),
    ],
)
def test_a_bad_filter_lists_nothing_and_says_why(tree, actors, bodies, problems, spaces, client, url, params):
    client.force_login(actors["district_official"])
    response = client.get(reverse(url), params)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert response.context["filter"].errors


def test_the_schema_documents_the_governance_payload():
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.renderers import JSONRenderer

    spec = json.loads(JSONRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    schemas = spec["components"]["schemas"]
    governance_schema = schemas["DashboardGovernance"]["properties"]
    for name in (*FIGURES, *NEW, "coverage", "problems_solved_url", "service_space_url", "culture_facilities_url"):
        assert name in governance_schema, name
    coverage = schemas[governance_schema["coverage"]["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"on", "compounds", "modes", "managed", "percent", "trend"} <= set(coverage)
    response = spec["paths"]["/api/v1/dashboard/{level}/{id}/"]["get"]["responses"]["200"]
    assert response["content"]["application/json"]["schema"]["$ref"].endswith("/Dashboard")
