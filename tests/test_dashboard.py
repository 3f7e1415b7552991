"""The dashboards: every figure against the hand-counted Siming demo data, scoping by URL, bounded queries at
every level, exports that open in openpyxl, and the yearly targets."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from communities.models import Community, Compound, District, Subdistrict, User
from inspections.models import Inspection, RectificationIssue
from projects.models import ProgrammeTarget, Project
from renovation_portal.prepared import statement_text
from tests import factories as f


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module inside a transaction that is rolled back after its last test. Each test
    runs in a savepoint inside it (as with Django's ``TestCase.setUpTestData``), so what one test changes the next
    never sees, and the database is empty again for the next module."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db):
    siming = District.objects.get(code="350203")
    return {
        "district": siming,
        "user": lambda name: User.objects.get(username=name),
        "yundang": Subdistrict.objects.get(name="筼筜街道"),
        "lujiang": Subdistrict.objects.get(name="鹭江街道"),
        "xiahe": Community.objects.get(name="厦禾社区"),
        "zca": Compound.objects.get(code="ZCA-ZCAXL"),
    }


def figures(client, user, level, pk, **params):
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]), params)
    assert response.status_code == 200, response.content
    return response.json()


def test_district_figures_match_the_demo(demo, client):
    """Counted by hand from projects/demo.py, inspections/demo.py and consultations/demo.py."""
    board = figures(client, demo["user"]("district"), "district", demo["district"].pk)
    p = board["progress"]
    # 45 projects: 5 of the article's compounds and 40 synthetic ones cycling through the lifecycle.
    assert p["total"] == 45
    assert {row["status"]: row["count"] for row in p["by_status"]} == {
        "planning": 5,
        "survey_design": 5,
        "plan_confirmation": 1,
        "construction": 11,
        "completion_acceptance": 5,
        "handed_over": 18,  # 嘉美花园 is accepted by aftercare/demo.py (its story after handover)
        "suspended": 0,
    }
    assert [(b["batch"], b["total"], b["started"], b["finished"]) for b in p["batches"]] == [
        (2023, 11, 11, 11),
        (2024, 34, 23, 7),
    ]
    # The dashboard opens on the current year; 2024 (0 to start, 479 to finish, from the article) on request.
    assert p["year"] == timezone.localdate().year
    p = figures(client, demo["user"]("district"), "district", demo["district"].pk, year=2024)["progress"]
    assert p["year"] == 2024 and p["target"] == {"year": 2024, "to_start": 0, "to_finish": 479}
    # 嘉美花园, accepted today by aftercare/demo.py, no longer counts as behind (nor as finished in 2024)
    assert (p["started"], p["finished"], p["behind"], p["pending_confirmation"]) == (23, 6, 27, 1)
    assert figures(client, demo["user"]("district"), "district", demo["district"].pk, year=2023)["progress"][
        "target"
    ] == {"year": 2023, "to_start": 637, "to_finish": 158}

    scope = {row["category"]: row for row in board["scope"]}
    assert (scope["pipe_gas"]["planned"], scope["pipe_gas"]["completed"]) == (0.6, 0)
    assert (scope["road"]["planned"], scope["road"]["completed"], scope["road"]["projects"]) == (121000, 87125, 43)
    assert (scope["elevator"]["planned"], scope["elevator"]["completed"]) == (2, 2)

    i = board["inspections"]
    # ZCA tier 2: serious open (6 days late), major submitted, minor closed on time; ZCA tier 1: minor open;
    # 嘉美花园 tier 2: minor closed 20 days late, major open (4 days late). The six inspection issues only: after its
    # handover, this month's environment patrol (aftercare/demo.py) found two more, counted on their own below.
    assert (i["total"], i["open"], i["submitted"], i["closed"], i["overdue"]) == (6, 3, 1, 2, 2)
    assert [(t["tier"], t["total"], t["open"], t["overdue"]) for t in i["tiers"]] == [(1, 1, 1, 0), (2, 5, 2, 2)]
    assert 20 <= i["mean_days"] <= 22  # closed today after 12 and 30 days
    assert i["rounds"]["planned"] == 28 and i["rounds"]["done"] == 0  # every project not handed over
    # The patrol's findings: one for the property service, one warranty defect for the contractor, both open.
    a = board["patrols"]
    assert (a["total"], a["open"], a["submitted"], a["closed"], a["overdue"], a["warranty"]) == (2, 2, 0, 0, 0, 1)

    c = board["consultation"]
    # 4 topics and 2 votes of consultations/demo.py, and each of the 45 declared compounds' willingness topic and
    # passed vote (planning/demo.py: a declaration rests on one); 3 meetings held (the one scheduled for next week
    # is not).
    assert (c["needs"], c["topics"], c["meetings"]["held"], c["votes"]["passed"], c["votes"]["failed"]) == (
        5,
        4 + 45,
        3,
        1 + 45,
        1,
    )
    # 嘉美花园's three problems recorded by staff and 菡凌蓉's three reported from the plates (two answered after
    # 5 h): answered after 6, 6, 5 and 5 hours.
    assert (c["problems"]["total"], c["problems"]["resolved"], c["median_response_hours"]) == (6, 2, 5.5)
    # The satisfaction survey of 菡凌蓉小区 (handed over): one code per unit of its roll (buildings 3 and 7, 24
    # units each), six households answered 5, 4, 5, 3, 4, 5.
    assert c["satisfaction"] == {"codes": 48, "responses": 6, "average": 4.33, "response_rate": 12}

    company = {row["name"]: row for row in board["contractors"]}["厦门思明城建工程有限公司（示例）"]
    # Six inspection issues, two closed (one on time), repeats: safety ×2 and road ×2 on its projects; after 嘉美花园's
    # handover, the warranty defect its environment patrol found (aftercare/demo.py) counts on its own line only: one
    # defect, not yet repaired.
    assert (company["warranty_defects"], company["warranty_on_time"]) == (1, 0)
    assert (company["issues"], company["closed"], company["on_time_rate"], company["overdue"], company["repeats"]) == (
        6,
        2,
        50,
        2,
        2,
    )
    assert [(e["project__compound__name"], e["score"]) for e in board["evaluations"]] == [("菡凌蓉小区", 93)]
    children = {row["name"]: row for row in board["children"]}
    assert len(children) == 10 and sum(row["projects"] for row in children.values()) == 45
    # 鹭江街道: 嘉美花园's open major issue (its patrol's two findings are no inspection issues).
    assert (children["鹭江街道"]["open_issues"], children["滨海街道"]["overdue_issues"]) == (1, 1)


def test_the_demo_governance_figures_come_from_its_records(demo, client):
    """The article's compounds set up their party branches in the programme (2023) and 屿后南里小区 brought in
    property management after its renovation (2024); every owners' body of the demo (the article's two committees,
    ten synthetic committees and ten self-governance groups) was formed or re-elected in 2023-2024; the synthetic
    branches and property services are older."""
    official = demo["user"]("district")
    programme = figures(client, official, "district", demo["district"].pk, since="2023-01-01", until="2024-12-31")
    g = programme["governance"]
    assert (g["party_branches"], g["self_governance_groups"], g["owners_committees"], g["property_introduced"]) == (
        2,
        10,
        12,
        1,
    )
    g = figures(client, official, "district", demo["district"].pk, year="2024")["governance"]  # the measured year
    assert (g["since"], g["party_branches"], g["property_introduced"]) == ("2024-01-01", 0, 1)
    lianxiu = Community.objects.get(name="莲秀社区")
    g = figures(client, official, "community", lianxiu.pk, since="2023-01-01", until="2024-12-31")["governance"]
    assert (g["party_branches"], g["owners_committees"], g["property_introduced"]) == (1, 1, 0)  # 菡凌蓉小区


def test_each_level_drills_down_and_sums_up(demo, client):
    official = demo["user"]("district")
    district = figures(client, official, "district", demo["district"].pk)
    row = next(r for r in district["children"] if r["pk"] == demo["yundang"].pk)
    sub = figures(client, official, "subdistrict", demo["yundang"].pk)
    assert sub["progress"]["total"] == row["projects"]
    assert sum(c["projects"] for c in sub["children"]) == row["projects"]
    zca = figures(client, official, "compound", demo["zca"].pk)
    assert zca["children"] == [] and zca["inspections"]["total"] == 4 and zca["progress"]["total"] == 1


def test_subdistrict_official_cannot_reach_another_by_editing_the_url(demo, client):
    client.force_login(demo["user"]("subdistrict"))  # 筼筜街道
    own = client.get(reverse("dashboard:place", args=["subdistrict", demo["yundang"].pk]))
    assert own.status_code == 200
    other_compound = Compound.objects.filter(community__subdistrict=demo["lujiang"]).first()
    for level, pk in [
        ("subdistrict", demo["lujiang"].pk),
        ("district", demo["district"].pk),
        ("compound", other_compound.pk),
        ("community", demo["xiahe"].pk),
    ]:
        assert client.get(reverse("dashboard:place", args=[level, pk])).status_code == 404, level
        assert client.get(reverse("api:dashboard", args=[level, pk])).status_code == 404, level
    assert client.get(reverse("dashboard:place", args=["planet", 1])).status_code == 404
    assert client.get(reverse("dashboard:home"))["Location"] == reverse(
        "dashboard:place", args=["subdistrict", demo["yundang"].pk]
    )


def test_contractors_have_no_dashboard_and_secretaries_never_see_the_secret_rounds(demo, client):
    client.force_login(demo["user"]("contractor"))
    assert client.get(reverse("dashboard:home")).status_code == 403
    assert client.get(reverse("api:dashboard", args=["compound", demo["zca"].pk])).status_code == 403
    board = figures(client, demo["user"]("secretary"), "community", demo["xiahe"].pk)
    assert "rounds" not in board["inspections"]
    client.force_login(demo["user"]("secretary"))
    page = client.get(reverse("dashboard:place", args=["community", demo["xiahe"].pk])).content.decode()
    assert "暗访" not in page and "本周" not in page


@pytest.mark.parametrize("level", ["district", "subdistrict", "community", "compound"])
def test_a_dashboard_costs_a_fixed_number_of_queries(demo, client, level):
    place = {
        "district": demo["district"],
        "subdistrict": demo["yundang"],
        "community": demo["xiahe"],
        "compound": demo["zca"],
    }[level]
    client.force_login(demo["user"]("district"))
    url = reverse("dashboard:place", args=[level, place.pk])

    seen = []

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        seen.append([statement_text(q["sql"]) for q in queries.captured_queries])
        return len(queries)

    count()  # the first request of a session also loads the session's own rows
    before = count()
    compound = (
        place
        if level == "compound"
        else Compound.objects.filter(
            **{
                {
                    "district": "community__subdistrict__district",
                    "subdistrict": "community__subdistrict",
                    "community": "community",
                }[level]: place
            }
        ).first()
    )
    inspection = Inspection.objects.filter(project__compound=demo["zca"]).first()
    for _ in range(5):  # more compounds, projects and issues: the same number of queries
        project = f.ProjectFactory(
            compound=compound if level == "compound" else f.CompoundFactory(community=compound.community)
        )
        RectificationIssue.objects.create(
            inspection=inspection,
            project=project,
            contractor=project.contractor,
            kind="safety",
            description="新问题",
            location="1号楼",
            severity="major",
            tier=2,
            deadline=timezone.localdate() - timedelta(days=1),
        )
    count()  # steady state: a first request after new rows may fill a per-process cache once
    after = count()
    # 40 before the governance row gained residents' problems, spaces and property coverage (one query each).
    assert after == before <= 43, "\n".join(set(seen[-1]) ^ set(seen[-2]))


def test_dashboard_exports_open_in_openpyxl_and_csv_has_a_bom(demo, client):
    client.force_login(demo["user"]("district"))
    url = reverse("dashboard:place", args=["district", demo["district"].pk])
    response = client.get(url, {"export": "xlsx"})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    with translation.override("zh-hans"):
        funds, coverage = translation.gettext("Funds"), translation.gettext("Property coverage")
    assert book.sheetnames == ["概况", "数说改造", "施工单位", funds, coverage, "下级区域"]
    summary = {row[0:2]: (row[2:] or (None,))[0] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary[("改造项目", "合计")] == 45 and summary[("整改问题", "逾期")] == 2
    text = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and list(csv.reader(io.StringIO(text[1:])))[0] == ["板块", "指标", "数值"]


def test_list_exports_follow_the_filters(demo, client):
    client.force_login(demo["user"]("district"))
    response = client.get(reverse("inspections:issue-list"), {"overdue": "true", "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    assert len(rows) == 1 + 2 and rows[0][0] == "整改问题"
    assert {row[5] for row in rows[1:]} == {"待整改"}
    response = client.get(reverse("projects:project-list"), {"status": "handed_over", "export": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(lines) == 1 + 18 and all(
        line[6] == "移交长效管理" for line in lines[1:]
    )  # 嘉美花园 by aftercare/demo.py


def test_compound_list_exports_the_filtered_compounds_in_scope(demo, client):
    client.force_login(demo["user"]("district"))
    yundang = demo["yundang"]
    response = client.get(reverse("communities:compound-list"), {"subdistrict": yundang.pk, "export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).active.iter_rows(values_only=True))
    expected = Compound.objects.filter(community__subdistrict=yundang).count()
    assert expected and len(rows) == 1 + expected and rows[0][:2] == ("小区编码", "小区")
    assert {row[3] for row in rows[1:]} == {"筼筜街道"}
    secretary = User.objects.filter(roles__kind="community_secretary").order_by("pk").first()
    client.force_login(secretary)
    response = client.get(reverse("communities:compound-list"), {"export": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    community = secretary.roles.get(kind="community_secretary").community
    assert len(lines) - 1 == community.compounds.count() and {line[2] for line in lines[1:]} == {community.name}


def test_compound_export_with_a_bad_filter_shows_the_error_instead_of_every_compound(demo, client):
    client.force_login(demo["user"]("district"))
    response = client.get(reverse("communities:compound-list"), {"built_after": "很早", "export": "xlsx"})
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert "输入一个数字" in page and 'data-testid="compound-table"' in page
    assert "共 0 个小区" in page
    secretary = User.objects.filter(roles__kind="community_secretary").order_by("pk").first()
    client.force_login(secretary)
    own = secretary.roles.get(kind="community_secretary").community.subdistrict_id
    other = Subdistrict.objects.exclude(pk=own).order_by("pk").first()  # not in the secretary's choices
    response = client.get(reverse("communities:compound-list"), {"subdistrict": other.pk, "export": "csv"})
    assert response["Content-Type"].startswith("text/html") and "共 0 个小区" in response.content.decode()


def test_targets_set_by_district_officials_only(demo, client):
    client.force_login(demo["user"]("district"))
    url = reverse("dashboard:set-target", args=[demo["district"].pk])
    assert client.post(url, {"year": 2026, "to_start": 120, "to_finish": 80}).status_code == 302
    assert ProgrammeTarget.objects.get(district=demo["district"], year=2026).to_start == 120
    response = client.post(
        reverse("api:programme-target-list"),
        {"district": demo["district"].pk, "year": 2026, "to_start": 130, "to_finish": 90},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["to_start"] == 130
    assert ProgrammeTarget.objects.filter(district=demo["district"], year=2026).count() == 1
    bad = client.post(
        reverse("api:programme-target-list"),
        {"district": demo["district"].pk, "year": 1800, "to_start": -1, "to_finish": 0},
        content_type="application/json",
    )
    assert bad.status_code == 400
    client.force_login(demo["user"]("subdistrict"))
    assert client.post(url, {"year": 2026, "to_start": 1, "to_finish": 1}).status_code == 404
    assert (
        client.post(
            reverse("api:programme-target-list"),
            {"district": demo["district"].pk, "year": 2026, "to_start": 1, "to_finish": 1},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert ProgrammeTarget.objects.get(district=demo["district"], year=2026).to_start == 130


def test_weekly_report_prints_the_figures(demo, client):
    client.force_login(demo["user"]("district"))
    page = client.get(reverse("dashboard:weekly", args=["district", demo["district"].pk])).content.decode()
    assert "改造周报" in page and "data-print" in page


def test_figures_are_cached_for_the_stated_bound(demo, client, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client.force_login(demo["user"]("district"))
    url = reverse("api:dashboard", args=["district", demo["district"].pk])
    first = client.get(url).json()["inspections"]["total"]
    inspection = Inspection.objects.filter(project__compound=demo["zca"]).first()
    RectificationIssue.objects.create(
        inspection=inspection,
        project=inspection.project,
        kind="safety",
        description="新问题",
        location="1号楼",
        severity="major",
        tier=2,
        deadline=timezone.localdate(),
    )
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(url).json()["inspections"]["total"]
    assert cached == first and len(queries) <= 8  # at most 60 s old, and cheap
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert client.get(url).json()["inspections"]["total"] == first + 1


def test_the_cached_dashboard_is_the_live_json_served_without_aggregating(demo, client, settings):
    settings.DASHBOARD_CACHE_SECONDS = 60
    client.force_login(demo["user"]("district"))
    url = reverse("api:dashboard", args=["district", demo["district"].pk])
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(url)
    assert cached["Content-Type"] == "application/json" and cached.content == first.content
    assert not [
        q for q in queries.captured_queries if "COUNT(" in statement_text(q["sql"]).upper()
    ]  # no figure recomputed
    settings.DASHBOARD_CACHE_SECONDS = 0
    assert client.get(url).json() == first.json()  # the same figures as the live aggregation
    other = reverse("api:dashboard", args=["subdistrict", demo["district"].subdistricts.order_by("pk").first().pk])
    settings.DASHBOARD_CACHE_SECONDS = 60
    assert client.get(other).json()["level"] == "subdistrict"  # one body per place, never another's


def test_breadcrumbs_link_only_to_dashboards_the_user_may_open(demo, client):
    """A subdistrict official sees the district's name above their subdistrict, but no link to its dashboard
    (which answers 404 for them); the district official gets the link."""
    yundang = demo["yundang"]
    district_url = reverse("dashboard:place", args=["district", demo["district"].pk])
    own_url = reverse("dashboard:place", args=["subdistrict", yundang.pk])
    compound = Compound.objects.filter(community__subdistrict=yundang).select_related("community").first()
    page_url = reverse("dashboard:place", args=["compound", compound.pk])
    client.force_login(demo["user"]("subdistrict"))
    page = client.get(page_url).content.decode()
    assert demo["district"].name in page and f'href="{district_url}"' not in page
    assert f'href="{own_url}"' in page
    client.force_login(demo["user"]("district"))
    assert f'href="{district_url}"' in client.get(page_url).content.decode()


def test_each_level_shows_the_hooked_leaders_coverage(demo, client):
    """挂钩领导：N 人，覆盖 M / T 个项目 — at every level, counted over the level's projects."""
    leader = User.objects.get(username="subdistrict")
    hooked = Project.objects.filter(liaisons=leader)
    assert hooked.exists()
    for level, place, lookup in (
        ("district", demo["district"], "compound__community__subdistrict__district"),
        ("subdistrict", demo["yundang"], "compound__community__subdistrict"),
        ("community", demo["xiahe"], "compound__community"),
    ):
        projects = Project.objects.filter(**{lookup: place})
        covered = projects.filter(liaisons__isnull=False).distinct().count()
        board = figures(client, demo["user"]("district"), level, place.pk)
        assert board["progress"]["liaisons"] == {
            "leaders": 1 if covered else 0,
            "covered": covered,
            "projects": projects.count(),
        }
    # A second leader on one project: two leaders, the project counted once.
    project = hooked.first()
    project.liaisons.add(demo["user"]("district"))
    board = figures(client, demo["user"]("district"), "district", demo["district"].pk)
    assert board["progress"]["liaisons"]["leaders"] == 2
    assert board["progress"]["liaisons"]["covered"] == hooked.count()
    page = client.get(reverse("dashboard:place", args=["district", demo["district"].pk])).content.decode()
    assert 'data-testid="fig-liaisons"' in page
