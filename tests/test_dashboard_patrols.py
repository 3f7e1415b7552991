"""The aftercare patrols' findings on the dashboards: rectification issues too, but never counted in the three-tier
inspection regime's figures (issues by tier and state, time to rectify, the scorecard's issues and repeats, the
places' open and overdue issues). They have their own figures, and every figure's link lists exactly the rows it
counts — on the web list and through the API, rolled up (district) and counted live (subdistrict) alike."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from dashboards import figures, rollups
from dashboards.api import DashboardView
from dashboards.views import export_sheets
from inspections.choices import InspectionStatus, IssueStatus
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from projects.models import Project
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(tree):
    """Side a (筼筜街道): three inspection issues (tier 2 open and overdue, tier 2 submitted, tier 1 closed) and two
    patrol findings (the property service's, open and overdue; the community's, submitted). Side b (鹭江街道): one
    inspection issue (tier 2 open, of kind road) and two patrol findings (a warranty defect for the contractor, also
    of kind road, open; the community's, closed)."""
    today, now = timezone.localdate(), timezone.now()
    a = Project.objects.get(compound=tree["compound_a"])
    b = Project.objects.get(compound=tree["compound_b"])
    template = ChecklistTemplate.objects.get_or_create(name="巡查表", tier=2)[0]

    def inspection_issue(project, tier, status, deadline, kind="safety"):
        inspection = Inspection.objects.create(
            project=project, tier=tier, template=template, status=InspectionStatus.FILED, planned_date=today
        )
        closed = status == IssueStatus.CLOSED
        return RectificationIssue.objects.create(
            inspection=inspection,
            project=project,
            contractor=project.contractor,
            kind=kind,
            description="检查发现",
            location="1号楼",
            severity="minor",
            tier=tier,
            status=status,
            deadline=deadline,
            created_at=now - timedelta(days=3) if closed else now,
            closed_at=now if closed else None,
        )

    def patrol_finding(project, status, deadline, kind="waste", **assignee):
        return RectificationIssue.objects.create(
            origin="patrol",
            project=project,
            kind=kind,
            description="巡查发现",
            location="垃圾点",
            severity="minor",
            tier=1,
            status=status,
            deadline=deadline,
            closed_at=now if status == IssueStatus.CLOSED else None,
            **assignee,
        )

    property_company = f.CompanyFactory(name="丙物业公司", kind="property")
    return {
        "inspection": [
            inspection_issue(a, 2, IssueStatus.OPEN, today - timedelta(days=1)),
            inspection_issue(a, 2, IssueStatus.SUBMITTED, today + timedelta(days=5)),
            inspection_issue(a, 1, IssueStatus.CLOSED, today + timedelta(days=5)),
            inspection_issue(b, 2, IssueStatus.OPEN, today + timedelta(days=5), kind="road"),
        ],
        "patrol": [
            patrol_finding(a, IssueStatus.OPEN, today - timedelta(days=2), property_company=property_company),
            patrol_finding(a, IssueStatus.SUBMITTED, today + timedelta(days=3), community=tree["comm_a"]),
            patrol_finding(
                b,
                IssueStatus.OPEN,
                today + timedelta(days=30),
                kind="road",
                contractor=tree["company_b"],
                warranty_category="pipes",
            ),
            patrol_finding(b, IssueStatus.CLOSED, today + timedelta(days=3), community=tree["comm_b"]),
        ],
    }


def listed(client, api_as, user, url) -> set[int]:
    """The issues a figure's link lists, on the web list — and the same through the API (the same filters)."""
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["filter"].errors
    page = response.context["page"]
    assert page.paginator.num_pages == 1
    web = {issue.pk for issue in page}
    query = urlsplit(url).query
    body = api_as(user).get(f"/api/v1/issues/?{query}&page_size=200").json()
    assert {row["id"] for row in body["results"]} == web, url
    return web


def figure_links(board) -> list[tuple[str, int, str]]:
    """(name, value, url) of every issue figure of a board's payload."""
    i, a = board["inspections"], board["patrols"]
    links = [(f"inspections.{name}", i[name], i[f"{name}_url"]) for name in ("open", "submitted", "closed", "overdue")]
    links.append(("inspections.total", i["total"], i["total_url"]))
    links += [(f"tier {row['tier']}", row["total"], row["url"]) for row in i["tiers"]]
    links += [(f"patrols.{name}", a[name], a[f"{name}_url"]) for name in figures.PATROL_FIGURES]
    links += [(f"{row['name']}.issues", row["issues"], row["url"]) for row in board["contractors"]]
    links += [
        (f"{row['name']}.warranty", row["warranty_defects"], row["warranty_url"])
        for row in board["contractors"]
        if row["warranty_defects"]
    ]
    links += [(f"{row['name']}.open_issues", row["open_issues"], row["issues_url"]) for row in board["children"]]
    return links


def board_of(client, user, level, pk) -> dict:
    client.force_login(user)
    response = client.get(reverse("api:dashboard", args=[level, pk]))
    assert response.status_code == 200, response.content
    return response.json()


def test_patrol_findings_count_apart_from_the_inspection_figures(scene, tree, actors, client, api_as):
    official = actors["district_official"]
    inspection_pks = {issue.pk for issue in scene["inspection"]}
    patrol_pks = {issue.pk for issue in scene["patrol"]}
    district = board_of(client, official, "district", tree["district"].pk)
    assert figures.uses_rollups("district")  # the district's figures come from the rollups

    i = district["inspections"]
    assert (i["total"], i["open"], i["submitted"], i["closed"], i["overdue"]) == (4, 2, 1, 1, 1)
    assert [(t["tier"], t["total"], t["open"], t["closed"]) for t in i["tiers"]] == [(1, 1, 0, 1), (2, 3, 2, 0)]
    assert i["mean_days"] == 3.0  # the closed inspection issue's three days; the closed patrol finding not
    a = district["patrols"]
    assert (a["total"], a["open"], a["submitted"], a["closed"], a["overdue"], a["warranty"]) == (4, 2, 1, 1, 1, 1)
    cards = {row["name"]: row for row in district["contractors"]}
    # 乙建设公司: its one inspection issue; the warranty defect (of the same kind) only on its own line, no repeat.
    b = cards["乙建设公司"]
    assert (b["issues"], b["repeats"], b["warranty_defects"], b["warranty_on_time"]) == (1, 0, 1, 0)
    assert (cards["甲建设公司"]["issues"], cards["甲建设公司"]["closed"], cards["甲建设公司"]["overdue"]) == (3, 1, 1)
    children = {row["name"]: row for row in district["children"]}
    assert (children["筼筜街道"]["open_issues"], children["筼筜街道"]["overdue_issues"]) == (2, 1)
    assert (children["鹭江街道"]["open_issues"], children["鹭江街道"]["overdue_issues"]) == (1, 0)

    # Rolled up and counted live: the same board.
    def built(live):
        board = figures.build("district", tree["district"], user=official, show_rounds=True, live=live)
        return DashboardView.figures("district", tree["district"], board)

    assert built(live=False) == built(live=True)
    assert rollups.differences() == []

    sub = board_of(client, official, "subdistrict", tree["sub_a"].pk)  # counted live
    i, a = sub["inspections"], sub["patrols"]
    assert (i["total"], i["open"], i["submitted"], i["closed"], i["overdue"]) == (3, 1, 1, 1, 1)
    assert (a["total"], a["open"], a["submitted"], a["closed"], a["overdue"], a["warranty"]) == (2, 1, 1, 0, 1, 0)
    assert [(row["name"], row["open_issues"], row["overdue_issues"]) for row in sub["children"]] == [
        ("屿后西社区", 2, 1)
    ]

    # Every link lists exactly what its figure counts: as many rows, and of the right origin.
    for board in (district, sub):
        for name, value, url in figure_links(board):
            rows = listed(client, api_as, official, url)
            assert len(rows) == value, (name, url)
            assert rows <= (patrol_pks if name.startswith("patrols.") or name.endswith(".warranty") else inspection_pks)
    assert listed(client, api_as, official, district["inspections"]["total_url"]) == inspection_pks
    assert listed(client, api_as, official, district["patrols"]["total_url"]) == patrol_pks
    assert listed(client, api_as, official, district["patrols"]["warranty_url"]) == {scene["patrol"][2].pk}
    # The list itself, browsed without a filter, still shows every issue.
    assert listed(client, api_as, official, reverse("inspections:issue-list")) == inspection_pks | patrol_pks


def test_the_web_dashboard_and_its_exports_show_the_patrol_findings(scene, tree, actors, client):
    client.force_login(actors["district_official"])
    url = reverse("dashboard:place", args=["district", tree["district"].pk])
    page = client.get(url).content.decode()
    assert 'data-testid="fig-patrols-total">4<' in page and 'data-testid="fig-patrols-warranty">1<' in page
    assert 'data-testid="fig-issues-open">2<' in page
    board = client.get(url).context["board"]
    assert f'href="{board.patrols["overdue_url"]}"'.replace("&", "&amp;") in page
    weekly = client.get(reverse("dashboard:weekly", args=["district", tree["district"].pk])).content.decode()
    assert 'data-testid="weekly-patrols"' in weekly
    sheets = export_sheets(board)
    patrol_rows = [row[2] for row in sheets[0][2] if str(row[0]) == gettext("Aftercare patrol findings")]
    assert patrol_rows == [4, 2, 1, 1, 1, 1]
    inspection_rows = [row[2] for row in sheets[0][2] if str(row[0]) == gettext("Rectification issues")]
    assert inspection_rows[:5] == [4, 2, 1, 1, 1]
    contractors = {row[0]: row for row in sheets[2][2]}
    assert contractors["乙建设公司"][4] == 1 and contractors["乙建设公司"][-2:] == [1, 0]
