"""The national overview (全国总览, level ``nation``) and the whole contractor scorecard of a city, province or the
nation: global-scope users only for the nation, every figure from the rollups and equal to a recount, the scorecard's
first rows cut in SQL with the rest on a paged, filterable, exportable page and API list."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.choices import RoleKind
from communities.models import District, User
from dashboards import figures, rollups
from dashboards.api import DashboardView
from inspections.models import RectificationIssue
from projects.models import Project
from tests import factories as f

TOP = 3


@pytest.fixture
def generated(db, settings):
    """Two generated districts, the second moved to a province of its own: the nation has two provinces."""
    call_command("generate_data", scale="district", districts=2, compounds_per_community=1, stdout=io.StringIO())
    settings.DASHBOARD_SCORECARD_TOP = TOP
    first, second = District.objects.order_by("pk")
    # More contractors than the board shows: the projects and their issues spread over eight more (triggers follow).
    builders = [f.CompanyFactory(name=f"Builder {k:02d} 建设有限公司", kind="contractor") for k in range(8)]
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    for k, builder in enumerate(builders):
        Project.objects.filter(pk__in=ids[k::9]).update(contractor=builder)
        RectificationIssue.objects.filter(project_id__in=ids[k::9]).update(contractor=builder)
    second.city = f.CityFactory(name="第二市", province=f.ProvinceFactory(name="第二省"))
    second.save(update_fields=["city"])
    return {
        "admin": User.objects.create(username="nation_admin", is_superuser=True, is_staff=True),
        "first": first,
        "second": second,
    }


def board(level, place, user, *, live):
    built = figures.build(level, place, user=user, show_rounds=True, live=live)
    return DashboardView.figures(level, place, built)


def test_the_nation_sums_every_province_and_equals_a_recount(generated):
    admin, first, second = generated["admin"], generated["first"], generated["second"]
    assert rollups.differences() == []
    nation = board("nation", figures.NATION_PLACE, admin, live=False)
    assert nation == board("nation", figures.NATION_PLACE, admin, live=True)
    assert nation["place"] == {"id": None, "name": str(figures.NATION_PLACE.name)}
    provinces = [board("province", d.city.province, admin, live=False) for d in (first, second)]
    # One row per province, each linking to its board, and the figures the sums of the provinces'.
    assert [(row["level"], row["pk"]) for row in nation["children"]] == sorted(
        (("province", d.city.province_id) for d in (first, second)), key=lambda row: row[1]
    )
    assert {row["url"] for row in nation["children"]} == {
        reverse("dashboard:place", args=["province", d.city.province_id]) for d in (first, second)
    }
    assert nation["progress"]["total"] == sum(p["progress"]["total"] for p in provinces) > 0
    for key in ("total", "open", "closed", "overdue"):
        assert nation["inspections"][key] == sum(p["inspections"][key] for p in provinces), key
    spent = [Decimal(p["funding"]["total"]["spent"]) for p in (nation, *provinces)]
    assert spent[0] == spent[1] + spent[2] > 0
    assert sum(row["projects"] for row in nation["children"]) == nation["progress"]["total"]
    assert nation["governance"]["compounds"] == sum(p["governance"]["compounds"] for p in provinces)


def test_the_scorecard_shows_its_first_rows_cut_in_sql_and_the_whole_equals_a_recount(generated):
    admin = generated["admin"]
    for level, place in (("nation", figures.NATION_PLACE), ("province", generated["first"].city.province)):
        rolled = figures.Scorecard(level, place)
        live = figures.Scorecard(level, place, live=True)
        total = rolled.count()
        assert total == live.count() > TOP
        assert rolled[0:None] == live[0:None]
        for order in figures.SCORECARD_ORDERS:
            assert (
                figures.Scorecard(level, place, order=order)[2:7]
                == figures.Scorecard(level, place, order=order, live=True)[2:7]
            ), order
        found = figures.Scorecard(level, place, search="builder 03")[0:None]
        assert [row["name"] for row in found] == ["Builder 03 建设有限公司"]
        shown = board(level, place, admin, live=False)
        assert shown["contractors"] == rolled[0:TOP] and shown["contractors_total"] == total
        assert shown["contractors_url"] == (
            reverse("dashboard:nation-contractors")
            if level == "nation"
            else reverse("dashboard:contractors", args=[level, place.pk])
        )
    # A district's few dozen contractors are shown whole, as before.
    district = board("district", generated["first"], admin, live=False)
    assert len(district["contractors"]) == district["contractors_total"] > TOP
    assert district["contractors_url"] == ""


def test_the_rollup_read_leaves_the_scorecard_in_the_database(generated):
    province = generated["first"].city.province
    totals, _children = rollups.read("province", province.pk, figures.timezone.localdate(), scorecard=False)
    assert not [key for key in totals if key[0].startswith(("card.", "sched.")) or key[0] == "issue.repeats"]
    assert {key for figure, key in totals if figure == "project.behind"} <= {""}
    assert all(":" not in key for figure, key in totals if figure == "issue.overdue")


def test_only_global_users_see_the_national_overview(generated, client):
    first = generated["first"]
    province_official = f.user_with_role(RoleKind.PROVINCE_OFFICIAL, province=first.city.province)
    city_official = f.user_with_role(RoleKind.CITY_OFFICIAL, city=first.city)
    for user in (province_official, city_official):
        client.force_login(user)
        for name in ("dashboard:nation", "dashboard:nation-weekly", "dashboard:nation-contractors"):
            assert client.get(reverse(name)).status_code == 403, name
        assert client.get(reverse("dashboard:nation") + "?export=xlsx").status_code == 403
        for name in ("api:dashboard-nation", "api:dashboard-nation-contractors"):
            assert client.get(reverse(name)).status_code == 403, name
        # No way up to it from their own board either.
        home = client.get(reverse("dashboard:home"))
        assert home.status_code == 302 and home.url != reverse("dashboard:nation")
        assert reverse("dashboard:nation") not in client.get(home.url).content.decode()
    client.force_login(generated["admin"])
    assert client.get(reverse("dashboard:home")).url == reverse("dashboard:nation")
    page = client.get(reverse("dashboard:nation"))
    assert page.status_code == 200
    html = page.content.decode()
    for district in (first, generated["second"]):
        assert reverse("dashboard:place", args=["province", district.city.province_id]) in html
    assert reverse("dashboard:nation-contractors") in html and 'data-testid="scorecard-top"' in html
    assert client.get(reverse("dashboard:nation-weekly")).status_code == 200
    api = client.get(reverse("api:dashboard-nation"))
    assert api.status_code == 200 and api.json()["level"] == "nation"
    assert client.get(reverse("api:dashboard-nation") + "?since=not-a-date").status_code == 400
    # A national administrator's crumbs start at the national overview.
    district_page = client.get(reverse("dashboard:place", args=["district", first.pk])).content.decode()
    assert f'href="{reverse("dashboard:nation")}"' in district_page


def test_the_national_overview_exports_like_a_place(generated, client):
    client.force_login(generated["admin"])
    xlsx = client.get(reverse("dashboard:nation") + "?export=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    csv = client.get(reverse("dashboard:nation") + "?export=csv")
    assert csv.status_code == 200
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    nation = board("nation", figures.NATION_PLACE, generated["admin"], live=False)
    assert f",{nation['progress']['total']}" in text.splitlines()[1]


def test_the_whole_scorecard_page_and_api_page_filter_order_and_export(generated, client):
    province = generated["first"].city.province
    whole = figures.Scorecard("province", province, live=True)[0:None]
    official = f.user_with_role(RoleKind.PROVINCE_OFFICIAL, province=province)
    client.force_login(official)
    url = reverse("dashboard:contractors", args=["province", province.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert all(f'data-testid="contractor-{row["id"]}"' in html for row in whole[:50])
    # Filtered by name, ordered by name.
    name = whole[0]["name"]
    found = client.get(url, {"q": name, "order": "name"}).content.decode()
    assert f'data-testid="contractor-{whole[0]["id"]}"' in found and found.count('data-testid="contractor-') == 1
    bad = client.get(url, {"order": "cheapest"})
    assert bad.status_code == 200 and 'data-testid="scorecard-errors"' in bad.content.decode()
    csv = client.get(url, {"export": "csv", "order": "name"})
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 1 + len(whole)
    assert [line.split(",")[0] for line in lines[1:]] == [
        row["name"] for row in sorted(whole, key=figures.SCORECARD_ORDERS["name"])
    ]
    assert client.get(url, {"export": "xlsx"}).status_code == 200
    # The API: the project's numbered pages.
    api = reverse("api:dashboard-contractors", args=["province", province.pk])
    first = client.get(api, {"page_size": 2}).json()
    assert first["count"] == len(whole) and [r["id"] for r in first["results"]] == [r["id"] for r in whole[:2]]
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [r["id"] for r in whole[2:4]]
    assert client.get(api, {"q": name}).json()["count"] == 1
    assert client.get(api, {"order": "cheapest"}).status_code == 400
    assert client.get(api, {"page": 999}).status_code == 404
    # Only where the board is cut (a district's is whole), and only inside the user's places.
    assert client.get(reverse("api:dashboard-contractors", args=["district", generated["first"].pk])).status_code == 404
    other = generated["second"].city.province
    assert client.get(reverse("dashboard:contractors", args=["province", other.pk])).status_code == 404
    assert client.get(reverse("api:dashboard-contractors", args=["province", other.pk])).status_code == 404
    client.force_login(generated["admin"])
    nation = client.get(reverse("api:dashboard-nation-contractors")).json()
    assert nation["count"] == figures.Scorecard("nation", figures.NATION_PLACE).count() > len(whole)


def test_the_scorecard_costs_a_fixed_number_of_queries(generated, client):
    client.force_login(generated["admin"])
    url = reverse("api:dashboard-nation-contractors")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()
    before = count()
    template = generated["first"].subdistricts.first().communities.first()
    for _ in range(3):
        f.ProjectFactory(compound=f.CompoundFactory(community=template), contractor=f.CompanyFactory())
    assert count() == before


def test_the_schema_documents_the_nation_and_the_paged_scorecard():
    from drf_spectacular.generators import SchemaGenerator

    spec = SchemaGenerator().get_schema(request=None, public=True)
    nation = spec["paths"]["/api/v1/dashboard/nation/"]["get"]
    assert {p["name"] for p in nation["parameters"]} == {"year", "since", "until"}
    assert "403" in nation["responses"]
    for path in ("/api/v1/dashboard/nation/contractors/", "/api/v1/dashboard/{level}/{id}/contractors/"):
        operation = spec["paths"][path]["get"]
        assert {"page", "page_size", "q", "order"} <= {p["name"] for p in operation["parameters"]}
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "PaginatedScorecardRowList"
        )
