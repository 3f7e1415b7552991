"""The home page's "today" list (今日待办) per role, the same list at GET /api/v1/today/, the counts in the
navigation, and the query budget of each home: a fixed number of queries whatever the number of items.

Each role sees its own things and never another group's, company's or place's: an inspector's group's round is
his, another group's is not; a contractor's company's issue is his, another company's is not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from consultations.choices import ProblemStatus, VoteStatus
from consultations.models import Meeting, ResidentProblem, Topic, Vote
from inspections.choices import InspectionStatus, IssueAction, IssueStatus, Severity
from inspections.models import ChecklistTemplate, Inspection, InspectionGroup, IssueEvent, RectificationIssue
from planning import services as planning_services
from projects.choices import ProjectStatus
from projects.models import Project
from tests import factories as f

pytestmark = pytest.mark.django_db


# --- the world: two groups, two companies, two communities, each with things to do ---


@pytest.fixture
def template(db):
    return ChecklistTemplate.objects.create(name="区级检查表", tier=InspectionTier.DISTRICT)


@pytest.fixture
def groups(tree, actors):
    mine = InspectionGroup.objects.create(name="第一检查组", tier=InspectionTier.DISTRICT, district=tree["district"])
    other = InspectionGroup.objects.create(name="第二检查组", tier=InspectionTier.DISTRICT, district=tree["district"])
    mine.members.add(actors["inspector"])
    other.members.add(f.user_with_role(RoleKind.INSPECTOR, district=tree["district"]))
    return {"mine": mine, "other": other}


def project_of(compound) -> Project:
    return Project.objects.get(compound=compound)


def planned(project, group, template, day, **extra) -> Inspection:
    return Inspection.objects.create(
        project=project, tier=InspectionTier.DISTRICT, group=group, template=template, planned_date=day, **extra
    )


def issue(inspection, description, *, deadline, status=IssueStatus.OPEN, **extra) -> RectificationIssue:
    project = inspection.project
    return RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description=description,
        location="1号楼",
        severity=Severity.MAJOR,
        tier=InspectionTier.DISTRICT,
        deadline=deadline,
        status=status,
        submitted_at=timezone.now() if status == IssueStatus.SUBMITTED else None,
        closed_at=timezone.now() if status == IssueStatus.CLOSED else None,
        **extra,
    )


@pytest.fixture
def field(tree, actors, groups, template):
    """Inspections and issues of both groups and both companies, named by who should see them."""
    today = timezone.localdate()
    project_a, project_b = project_of(tree["compound_a"]), project_of(tree["compound_b"])
    inspections = {
        "mine_today": planned(project_a, groups["mine"], template, today),
        "mine_tomorrow": planned(project_b, groups["mine"], template, today + timedelta(days=1)),
        "mine_later": planned(project_a, groups["mine"], template, today + timedelta(days=3)),
        "mine_filed": planned(project_b, groups["mine"], template, today, status=InspectionStatus.FILED),
        "other_today": planned(project_b, groups["other"], template, today),
    }
    found = inspections["mine_filed"]
    found_a = planned(project_a, groups["mine"], template, today - timedelta(days=9), status=InspectionStatus.FILED)
    theirs = planned(project_a, groups["other"], template, today - timedelta(days=9), status=InspectionStatus.FILED)
    issues = {
        # company_a's (project_a) issues
        "a_overdue": issue(found_a, "甲逾期未整改", deadline=today - timedelta(days=2)),
        "a_sent_back": issue(found_a, "甲被退回整改", deadline=today + timedelta(days=3)),
        "a_new": issue(found_a, "甲新问题", deadline=today + timedelta(days=7)),
        "a_submitted": issue(found_a, "甲已提交证据", deadline=today + timedelta(days=2), status=IssueStatus.SUBMITTED),
        "a_closed": issue(found_a, "甲已销号", deadline=today, status=IssueStatus.CLOSED),
        "a_theirs_submitted": issue(
            theirs, "别组待核查证据", deadline=today + timedelta(days=2), status=IssueStatus.SUBMITTED
        ),
        # company_b's (project_b) issues
        "b_open": issue(found, "乙公司问题", deadline=today - timedelta(days=1)),
        "b_submitted": issue(found, "乙公司已提交", deadline=today + timedelta(days=1), status=IssueStatus.SUBMITTED),
        "b_escalated": issue(
            found, "乙升级问题", deadline=today - timedelta(days=9), escalated_to=2, escalated_at=timezone.now()
        ),
        "a_escalated": issue(
            found_a, "甲升级问题", deadline=today - timedelta(days=9), escalated_to=2, escalated_at=timezone.now()
        ),
    }
    IssueEvent.objects.create(issue=issues["a_sent_back"], action=IssueAction.SENT_BACK, note="照片不清楚")
    return {"inspections": inspections, "issues": issues}


@pytest.fixture
def consultation(tree, actors):
    """Meetings, problems and votes of both communities."""
    secretary = actors["community_secretary"]
    now = timezone.now()

    def meeting(compound, held_at, **extra):
        return Meeting.objects.create(
            compound=compound, held_at=held_at, place="社区活动室", convener=secretary, **extra
        )

    topic = Topic.objects.create(compound=tree["compound_a"], title="加装电梯", created_by=secretary)
    topic_b = Topic.objects.create(compound=tree["compound_b"], title="乙议题", created_by=secretary)
    return {
        "minutes_overdue": meeting(tree["compound_a"], now - timedelta(days=5)),
        "minutes_due": meeting(tree["compound_a"], now - timedelta(hours=20)),
        "published": meeting(tree["compound_a"], now - timedelta(days=6), minutes_published_at=now),
        "next_week": meeting(tree["compound_a"], now + timedelta(days=3)),
        "far_ahead": meeting(tree["compound_a"], now + timedelta(days=30)),
        "b_held": meeting(tree["compound_b"], now - timedelta(days=5)),
        "problem": ResidentProblem.objects.create(
            compound=tree["compound_a"], description="楼道灯坏了", created_by=secretary
        ),
        "answered": ResidentProblem.objects.create(
            compound=tree["compound_a"], description="已答复的问题", created_by=secretary, status=ProblemStatus.ANSWERED
        ),
        "b_problem": ResidentProblem.objects.create(
            compound=tree["compound_b"], description="乙小区问题", created_by=secretary
        ),
        "vote": Vote.objects.create(
            topic=topic,
            title="是否加装电梯",
            matter_type="rebuild",
            organiser=secretary,
            status=VoteStatus.OPEN,
            opened_at=now,
        ),
        "draft_vote": Vote.objects.create(topic=topic, title="草稿表决", matter_type="other", organiser=secretary),
        "b_vote": Vote.objects.create(
            topic=topic_b,
            title="乙表决",
            matter_type="other",
            organiser=secretary,
            status=VoteStatus.OPEN,
            opened_at=now,
        ),
    }


@pytest.fixture
def declarations(tree, actors):
    official_b = f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_b"])
    submitted = planning_services.declaration_submit(
        actor=actors["subdistrict_official"],
        declaration=f.declaration(tree["compound_a"], actors["subdistrict_official"]),
    )
    returned = planning_services.declaration_submit(
        actor=official_b, declaration=f.declaration(tree["compound_b"], official_b)
    )
    returned = planning_services.declaration_return(
        actor=actors["district_official"], declaration=returned, reason="补充测绘资料"
    )
    return {"submitted": submitted, "returned_b": returned, "official_b": official_b}


def today_json(api_as, user) -> dict:
    response = api_as(user).get("/api/v1/today/")
    assert response.status_code == 200
    return response.json()


def sections_of(body) -> dict:
    return {section["key"]: section for section in body["sections"]}


def titles(section) -> set[str]:
    return {item["title"] for item in section["items"]}


# --- per role: the right items, and not the others' ---


def test_inspector_sees_his_groups_inspections_today_and_tomorrow_only(field, actors, api_as):
    inspections = field["inspections"]
    due = sections_of(today_json(api_as, actors["inspector"]))["inspections_due"]
    urls = {item["url"] for item in due["items"]}
    assert urls == {
        reverse("inspections:inspection-detail", args=[inspections["mine_today"].pk]),
        reverse("inspections:inspection-detail", args=[inspections["mine_tomorrow"].pk]),
    }
    assert due["count"] == 2
    # another group's round today, his group's round in three days and a filed one are not on it
    assert reverse("inspections:inspection-detail", args=[inspections["other_today"].pk]) not in urls
    tones = {item["url"]: item["tone"] for item in due["items"]}
    assert tones[reverse("inspections:inspection-detail", args=[inspections["mine_today"].pk])] == "danger"
    assert tones[reverse("inspections:inspection-detail", args=[inspections["mine_tomorrow"].pk])] == "info"


def test_inspector_sees_evidence_of_his_groups_findings_only(field, actors, api_as):
    issues = field["issues"]
    evidence = sections_of(today_json(api_as, actors["inspector"]))["evidence_to_verify"]
    assert {item["url"] for item in evidence["items"]} == {
        reverse("inspections:issue-detail", args=[issues["a_submitted"].pk]),
        reverse("inspections:issue-detail", args=[issues["b_submitted"].pk]),
    }
    assert "别组待核查证据" not in titles(evidence)


def test_the_other_groups_inspector_sees_his_own_round_not_mine(field, groups, api_as):
    other = groups["other"].members.get()
    due = sections_of(today_json(api_as, other))["inspections_due"]
    assert due["count"] == 1
    assert due["items"][0]["url"] == reverse(
        "inspections:inspection-detail", args=[field["inspections"]["other_today"].pk]
    )


def test_contractor_sees_his_companys_open_sent_back_and_overdue_issues_by_deadline(field, actors, api_as):
    issues = field["issues"]
    rectify = sections_of(today_json(api_as, actors["contractor"]))["issues_to_rectify"]
    assert [item["title"] for item in rectify["items"]] == ["甲升级问题", "甲逾期未整改", "甲被退回整改", "甲新问题"]
    flags = {item["title"]: (item["flag"], item["tone"]) for item in rectify["items"]}
    assert flags["甲逾期未整改"] == ("逾期", "danger") and flags["甲被退回整改"][1] == "warning"
    assert rectify["items"][1]["url"] == reverse("inspections:issue-detail", args=[issues["a_overdue"].pk])
    # another company's issue, and his own submitted or closed ones, are not on his list
    assert not titles(rectify) & {"乙公司问题", "乙升级问题", "甲已提交证据", "甲已销号"}


def test_contractor_sees_projects_owing_a_progress_report_with_the_report_form(tree, actors, api_as):
    project = project_of(tree["compound_a"])
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.CONSTRUCTION)
    Project.objects.filter(compound=tree["compound_b"]).update(status=ProjectStatus.CONSTRUCTION)
    section = sections_of(today_json(api_as, actors["contractor"]))["projects_needing_action"]
    assert [item["url"] for item in section["items"]] == [reverse("projects:report-create", args=[project.pk])]
    assert section["count"] == 1  # the other company's project owes one too, but not to him


def test_a_project_only_past_its_planned_finish_is_not_a_thing_to_do_today(tree, actors, api_as):
    project = project_of(tree["compound_a"])
    project.reports.create(
        report_date=timezone.localdate(), percent_complete=50, work_done="周报", created_by=actors["contractor"]
    )
    Project.objects.filter(pk=project.pk).update(
        status=ProjectStatus.CONSTRUCTION, planned_finish=timezone.localdate() - timedelta(days=30)
    )
    assert sections_of(today_json(api_as, actors["contractor"]))["projects_needing_action"]["count"] == 0
    project.reports.all().delete()
    section = sections_of(today_json(api_as, actors["contractor"]))["projects_needing_action"]
    assert section["count"] == 1 and section["items"][0]["tone"] == "danger"  # owes a report, and is late


def test_secretary_sees_minutes_due_from_the_meetings_date_upcoming_meetings_problems_and_votes(
    consultation, actors, api_as
):
    sections = sections_of(today_json(api_as, actors["community_secretary"]))
    detail = lambda key: reverse("consultations:meeting-detail", args=[consultation[key].pk])  # noqa: E731
    minutes = sections["minutes_due"]
    assert [item["url"] for item in minutes["items"]] == [detail("minutes_overdue"), detail("minutes_due")]
    assert [item["tone"] for item in minutes["items"]] == ["danger", "warning"]
    # a meeting dated next week owes no minutes: it is on the coming week's list
    assert [item["url"] for item in sections["upcoming_meetings"]["items"]] == [detail("next_week")]
    assert [item["url"] for item in sections["problems_to_answer"]["items"]] == [
        reverse("consultations:problem-detail", args=[consultation["problem"].pk])
    ]
    assert [item["url"] for item in sections["open_votes"]["items"]] == [
        reverse("consultations:vote-detail", args=[consultation["vote"].pk])
    ]
    assert "my_compounds" in sections and sections["my_compounds"]["kind"] == "summary"


def test_district_official_sees_escalations_and_declarations_to_review_then_the_dashboard(
    field, declarations, actors, api_as
):
    body = today_json(api_as, actors["district_official"])
    sections = sections_of(body)
    assert titles(sections["escalations"]) == {"甲升级问题", "乙升级问题"}
    assert [item["url"] for item in sections["declarations_to_review"]["items"]] == [
        reverse("planning:declaration-detail", args=[declarations["submitted"].pk])
    ]
    assert "declarations_returned" not in sections
    assert body["sections"][-1]["key"] == "dashboard" and body["sections"][-1]["more_url"] == reverse("dashboard:home")
    assert body["total"] == 3


def test_subdistrict_official_sees_only_his_subdistricts_escalations_and_no_review(field, declarations, actors, api_as):
    sections = sections_of(today_json(api_as, actors["subdistrict_official"]))
    assert titles(sections["escalations"]) == {"甲升级问题"}
    assert "declarations_to_review" not in sections
    assert sections["declarations_returned"]["count"] == 0  # the returned one is sub_b's
    returned = sections_of(today_json(api_as, declarations["official_b"]))["declarations_returned"]
    assert [item["url"] for item in returned["items"]] == [
        reverse("planning:declaration-detail", args=[declarations["returned_b"].pk])
    ]


@pytest.mark.parametrize("role", ["inspector", "contractor", "community_secretary"])
def test_field_roles_see_no_escalations_or_dashboard(field, actors, api_as, role):
    assert not {"escalations", "dashboard", "declarations_to_review"} & set(
        sections_of(today_json(api_as, actors[role]))
    )


def test_city_official_sees_the_escalations_below_and_the_dashboard(tree, field, api_as):
    city = f.CityFactory()
    tree["district"].city = city
    tree["district"].save(update_fields=["city"])
    official = f.user_with_role(RoleKind.CITY_OFFICIAL, city=city)
    sections = sections_of(today_json(api_as, official))
    assert titles(sections["escalations"]) == {"甲升级问题", "乙升级问题"}
    assert "declarations_to_review" not in sections and sections["dashboard"]["kind"] == "summary"


def test_an_outsider_has_an_empty_list_and_anonymous_is_refused(tree, actors, api, client):
    api.force_authenticate(actors["outsider"])
    assert api.get("/api/v1/today/").json()["sections"] == []
    api.force_authenticate(None)
    assert api.get("/api/v1/today/").status_code == 401
    client.force_login(actors["outsider"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="today-empty"' in page


# --- the web page: the same items, one tap from their page, and an empty state in words ---


def test_inspector_home_links_each_inspection_to_its_checklist(field, actors, client):
    client.force_login(actors["inspector"])
    page = client.get(reverse("home")).content.decode()
    checklist = reverse("inspections:inspection-detail", args=[field["inspections"]["mine_today"].pk])
    other = reverse("inspections:inspection-detail", args=[field["inspections"]["other_today"].pk])
    assert f'href="{checklist}"' in page and f'href="{other}"' not in page
    assert 'data-testid="today-inspections_due"' in page and 'data-testid="today-empty"' not in page
    assert "第二检查组" not in page


def test_an_inspector_with_nothing_to_do_reads_so(tree, actors, client):
    client.force_login(actors["inspector"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="today-empty"' in page and 'data-testid="today-item"' not in page


def test_a_long_section_shows_ten_items_and_a_link_to_all(field, actors, client):
    found_a = field["issues"]["a_new"].inspection
    for n in range(12):
        issue(found_a, f"更多问题{n}", deadline=timezone.localdate() + timedelta(days=20))
    client.force_login(actors["contractor"])
    page = client.get(reverse("home")).content.decode()
    section = page.split('data-testid="today-issues_to_rectify"')[1].split("</section>")[0]
    assert section.count('data-testid="today-item"') == 10 and 'data-testid="today-more"' in section
    assert 'data-testid="section-count">16<' in section
    assert "更多问题11" not in section  # the latest deadlines wait behind the link


# --- counts in the navigation ---


def nav_badges(client) -> dict[str, int]:
    import re

    page = client.get(reverse("communities:compound-list")).content.decode()
    return {
        href: int(count)
        for href, count in re.findall(
            r'href="([^"]+)"[^>]*>[^<]*<span class="badge[^"]*" data-testid="nav-badge">(\d+)', page
        )
    }


def test_navigation_counts_per_role(field, consultation, declarations, actors, client):
    client.force_login(actors["inspector"])
    badges = nav_badges(client)
    assert badges[reverse("inspections:my-inspections")] == 2
    assert badges[reverse("inspections:issue-list")] == 2
    client.force_login(actors["contractor"])
    assert nav_badges(client)[reverse("inspections:issue-list")] == 4
    client.force_login(actors["community_secretary"])
    assert nav_badges(client)[reverse("consultations:workspace")] == 3  # two meetings' minutes, one problem
    client.force_login(actors["district_official"])
    badges = nav_badges(client)
    assert badges[reverse("planning:declaration-list")] == 1
    assert badges[reverse("inspections:overdue-board")] == 2
    client.force_login(declarations["official_b"])
    assert nav_badges(client)[reverse("planning:declaration-list")] == 1


# --- a fixed number of queries per home, whatever the number of items ---


def add_more(tree, actors, groups, template, field, consultation, declarations):
    """Ten more of everything each role sees."""
    today = timezone.localdate()
    now = timezone.now()
    for n in range(10):
        compound = f.CompoundFactory(community=tree["comm_a"])
        project = f.ProjectFactory(compound=compound, contractor=tree["company_a"], status=ProjectStatus.CONSTRUCTION)
        planned(project, groups["mine"], template, today + timedelta(days=n % 2))
        found = planned(project, groups["mine"], template, today - timedelta(days=5), status=InspectionStatus.FILED)
        issue(found, f"新增问题{n}", deadline=today - timedelta(days=n))
        issue(found, f"新增证据{n}", deadline=today, status=IssueStatus.SUBMITTED)
        issue(found, f"新增升级{n}", deadline=today - timedelta(days=9), escalated_to=2, escalated_at=now)
        secretary = actors["community_secretary"]
        Meeting.objects.create(compound=compound, held_at=now - timedelta(days=n + 1), place="x", convener=secretary)
        Meeting.objects.create(compound=compound, held_at=now + timedelta(days=1), place="x", convener=secretary)
        ResidentProblem.objects.create(compound=compound, description=f"问题{n}", created_by=secretary)
        topic = Topic.objects.create(compound=compound, title=f"议题{n}", created_by=secretary)
        Vote.objects.create(
            topic=topic,
            title=f"表决{n}",
            matter_type="other",
            organiser=secretary,
            status=VoteStatus.OPEN,
            opened_at=now,
        )
        planning_services.declaration_submit(
            actor=actors["subdistrict_official"], declaration=f.declaration(compound, actors["subdistrict_official"])
        )


ROLES = ["inspector", "contractor", "community_secretary", "district_official", "subdistrict_official"]
# The most queries each home may take: the session, the user and the second factor, the scope, one per section,
# the roles shown, and one per count in the navigation (the inbox's included). Pinned so that a new query per item
# or per section is noticed.
BUDGET = {
    "inspector": 10,  # 2 sections, 2 counts
    "contractor": 10,  # 2 sections, 2 counts
    "community_secretary": 15,  # 7 sections (4 to do, returned declarations, compounds, patrol findings), 2 counts
    "district_official": 12,  # 2 sections, the places' totals and list, 2 counts
    "subdistrict_official": 12,  # 2 sections, the places' totals and list, 2 counts
}


@pytest.mark.parametrize("role", ROLES)
def test_each_home_is_a_fixed_number_of_queries(
    role, tree, actors, groups, template, field, consultation, declarations, client, django_assert_max_num_queries
):
    client.force_login(actors[role])
    client.get(reverse("home"))  # warm the session
    with django_assert_max_num_queries(BUDGET[role]) as few:
        assert client.get(reverse("home")).status_code == 200
    add_more(tree, actors, groups, template, field, consultation, declarations)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = client.get(reverse("home")).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
    assert page.count('data-testid="today-item"') > 0


@pytest.mark.parametrize("role", ROLES)
def test_the_api_is_a_fixed_number_of_queries(
    role, tree, actors, groups, template, field, consultation, declarations, api_as, django_assert_max_num_queries
):
    client = api_as(actors[role])
    with django_assert_max_num_queries(BUDGET[role]) as few:
        assert client.get("/api/v1/today/").status_code == 200
    add_more(tree, actors, groups, template, field, consultation, declarations)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get("/api/v1/today/").json()
    assert body["total"] > 0


def test_the_endpoint_is_in_the_openapi_schema(api_as, actors):
    schema = api_as(actors["outsider"]).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/today/"]["get"]
    assert {"200", "401"} <= set(operation["responses"])
    section = schema["components"]["schemas"]["TodaySection"]["properties"]
    assert {"key", "count", "items", "more_url", "kind"} <= set(section)
    assert "url" in schema["components"]["schemas"]["TodayItem"]["properties"]
