"""Inspections: the weekly round planner's fairness and secrecy, filing with findings, the issue state machine
by role, the completion blocker, repeat findings, versioned checklists."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from inspections import services
from inspections.choices import IssueStatus, Outcome, Severity
from inspections.models import ChecklistItem, ChecklistTemplate, InspectionGroup, RectificationIssue
from projects import services as project_services
from projects.choices import ProjectStatus
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f

pytestmark = pytest.mark.django_db
MONDAY = date(2026, 11, 23)


@pytest.fixture
def checklists(db):
    templates = {}
    for tier in (1, 2, 3):
        template = ChecklistTemplate.objects.create(name=f"表{tier}", tier=tier)
        ChecklistItem.objects.create(template=template, position=1, code="safety", text="临边防护")
        ChecklistItem.objects.create(template=template, position=2, code="dust", text="扬尘控制")
        templates[tier] = template
    return templates


@pytest.fixture
def groups(tree):
    return [
        InspectionGroup.objects.create(name=f"第{i}组", tier=InspectionTier.DISTRICT, district=tree["district"])
        for i in range(3)
    ]


def _projects(tree, count):
    for _ in range(count):
        f.ProjectFactory(compound=f.CompoundFactory(community=tree["comm_a"]), status=ProjectStatus.CONSTRUCTION)


def test_round_visits_every_unaccepted_compound_once_spread_evenly(tree, checklists, groups):
    _projects(tree, 12)
    Project.objects.filter(compound=tree["compound_b"]).update(status=ProjectStatus.HANDED_OVER)
    planned = services.plan_weekly_round(week=MONDAY + timedelta(days=2))  # any day of the week
    unaccepted = Project.objects.unaccepted().values_list("compound_id", flat=True)
    assert sorted(i.project.compound_id for i in planned) == sorted(unaccepted)
    assert tree["compound_b"].pk not in {i.project.compound_id for i in planned}
    per_group = Counter(i.group_id for i in planned)
    assert max(per_group.values()) - min(per_group.values()) <= 1
    for group in groups:
        days = Counter(i.planned_date for i in planned if i.group_id == group.pk)
        assert max(days.values()) - min(days.values()) <= 1 and all(d.weekday() < 5 for d in days)
    assert all(i.week == MONDAY and i.unannounced for i in planned)
    assert services.plan_weekly_round(week=MONDAY) == []  # planning twice adds nothing


def test_no_group_returns_to_the_same_compound_two_weeks_running(tree, checklists, groups):
    _projects(tree, 8)
    first = {i.project.compound_id: i.group_id for i in services.plan_weekly_round(week=MONDAY)}
    second = {i.project.compound_id: i.group_id for i in services.plan_weekly_round(week=MONDAY + timedelta(7))}
    assert first.keys() == second.keys()
    assert all(first[c] != second[c] for c in first)


@pytest.mark.parametrize(
    "role,sees_planned",
    [
        ("district_official", True),
        ("inspector", True),
        ("subdistrict_official", False),
        ("community_secretary", False),
        ("contractor", False),
    ],
)
def test_unannounced_round_is_secret_until_filed(role, sees_planned, tree, actors, checklists, groups, api_as, client):
    (inspection,) = [i for i in services.plan_weekly_round(week=MONDAY) if i.project.compound == tree["compound_a"]]
    api = api_as(actors[role])
    listed = {row["id"] for row in api.get("/api/v1/inspections/").json()["results"]}
    assert (inspection.pk in listed) is sees_planned
    assert api.get(f"/api/v1/inspections/{inspection.pk}/").status_code == (200 if sees_planned else 404)
    client.force_login(actors[role])
    page = client.get(reverse("inspections:my-inspections")).content.decode()
    assert (reverse("inspections:inspection-detail", args=[inspection.pk]) in page) is (
        sees_planned and role == "inspector" or sees_planned and role == "district_official"
    )
    assert client.get(reverse("inspections:inspection-detail", args=[inspection.pk])).status_code == (
        200 if sees_planned else 404
    )
    _file(actors["inspector"], inspection, fail=[])
    assert api_as(actors[role]).get(f"/api/v1/inspections/{inspection.pk}/").status_code == 200


def _file(actor, inspection, fail=("safety",), severity=Severity.SERIOUS, findings=None):
    items = list(inspection.template.items.all())
    results = [services.ResultInput(item=i, outcome=Outcome.FAIL if i.code in fail else Outcome.PASS) for i in items]
    if findings is None:
        findings = [
            services.FindingInput(
                item=i, description=f"{i.text}不合格", location="3号楼", severity=severity, photos=[f.photo_file()]
            )
            for i in items
            if i.code in fail
        ]
    return services.inspection_file(actor=actor, inspection=inspection, results=results, findings=findings)


@pytest.fixture
def inspection(tree, actors, checklists):
    project = Project.objects.get(compound=tree["compound_a"])
    return services.inspection_start(actor=actors["inspector"], project=project, tier=InspectionTier.DISTRICT)


def test_a_failed_item_must_produce_a_finding(inspection, actors):
    with pytest.raises(DomainError) as refused:
        _file(actors["inspector"], inspection, fail=["safety"], findings=[])
    assert refused.value.code == "finding_missing" and "临边防护" in refused.value.message
    assert not RectificationIssue.objects.exists()
    _file(actors["inspector"], inspection, fail=["safety"])
    issue = RectificationIssue.objects.get()
    assert issue.contractor == inspection.project.contractor and issue.photos.count() == 1
    assert issue.deadline == timezone.localdate() + timedelta(days=3)  # serious: 3 days by default
    with pytest.raises(DomainError):
        _file(actors["inspector"], inspection, fail=[])


def test_every_item_must_be_answered(inspection, actors):
    item = inspection.template.items.first()
    with pytest.raises(DomainError) as refused:
        services.inspection_file(
            actor=actors["inspector"],
            inspection=inspection,
            results=[services.ResultInput(item=item, outcome=Outcome.PASS)],
            findings=[],
        )
    assert refused.value.code == "incomplete_checklist"


def test_old_inspections_keep_their_checklist_version(inspection, actors, checklists, admin_user):
    _file(actors["inspector"], inspection, fail=[])
    # A programme-wide checklist (no district): only an administrator publishes its versions.
    with pytest.raises(PermissionDenied):
        services.checklist_new_version(
            actor=actors["district_official"], template=checklists[2], items=[{"code": "safety", "text": "x"}]
        )
    new = services.checklist_new_version(
        actor=admin_user, template=checklists[2], items=[{"code": "safety", "text": "临边防护（新）"}]
    )
    assert new.version == 2 and services.current_template(2) == new
    inspection.refresh_from_db()
    assert inspection.template == checklists[2] and inspection.results.count() == 2


@pytest.mark.parametrize(
    "role,may",
    [
        ("inspector", True),
        ("district_official", True),
        ("contractor", False),
        ("community_secretary", False),
        ("subdistrict_official", False),
    ],
)
def test_who_may_verify_a_rectification(role, may, inspection, actors):
    _file(actors["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    services.issue_submit_rectification(
        actor=actors["contractor"], issue=issue, note="已加装护栏", photos=[f.photo_file()]
    )
    if may:
        assert services.issue_verify(actor=actors[role], issue=issue).status == IssueStatus.CLOSED
    else:
        with pytest.raises(PermissionDenied):
            services.issue_verify(actor=actors[role], issue=issue)


def test_a_contractor_can_never_close_its_own_issue_even_as_an_inspector(inspection, actors, tree):
    _file(actors["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    both = actors["contractor"]
    f.RoleFactory(user=both, kind=RoleKind.INSPECTOR, district=tree["district"], tier=InspectionTier.DISTRICT)
    services.issue_submit_rectification(actor=both, issue=issue, note="x", photos=[f.photo_file()])
    from communities.models import User

    with pytest.raises(PermissionDenied):
        services.issue_verify(actor=User.objects.get(pk=both.pk), issue=issue)


def test_issue_states_submit_send_back_resubmit_close(inspection, actors):
    _file(actors["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    with pytest.raises(DomainError) as no_photo:
        services.issue_submit_rectification(actor=actors["contractor"], issue=issue, note="修好了")
    assert no_photo.value.code == "evidence_required"
    with pytest.raises(PermissionDenied):
        services.issue_submit_rectification(actor=actors["inspector"], issue=issue, note="x", photos=[f.photo_file()])
    services.issue_submit_rectification(actor=actors["contractor"], issue=issue, note="修好了", photos=[f.photo_file()])
    with pytest.raises(DomainError):
        services.issue_send_back(actor=actors["inspector"], issue=issue, note=" ")
    assert services.issue_send_back(actor=actors["inspector"], issue=issue, note="护栏高度不够").status == "open"
    services.issue_submit_rectification(actor=actors["contractor"], issue=issue, note="加高", photos=[f.photo_file()])
    closed = services.issue_verify(actor=actors["inspector"], issue=issue)
    assert closed.closed_by == actors["inspector"]
    assert list(closed.events.values_list("action", flat=True)) == [
        "opened",
        "submitted",
        "sent_back",
        "submitted",
        "closed",
    ]


def test_open_serious_issues_block_completion_acceptance(inspection, actors):
    _file(actors["inspector"], inspection)
    project = inspection.project
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.COMPLETION_ACCEPTANCE)
    project.refresh_from_db()
    with pytest.raises(DomainError) as blocked:
        project_services.project_accept_completion(actor=actors["district_official"], project=project)
    assert blocked.value.code == "completion_blocked"
    issue = RectificationIssue.objects.get()
    services.issue_submit_rectification(actor=actors["contractor"], issue=issue, note="x", photos=[f.photo_file()])
    services.issue_verify(actor=actors["inspector"], issue=issue)
    assert (
        project_services.project_accept_completion(actor=actors["district_official"], project=project).status
        == ProjectStatus.HANDED_OVER
    )


def test_repeat_findings_of_the_same_kind_are_counted(tree, actors, checklists, client):
    project = Project.objects.get(compound=tree["compound_a"])
    other = f.ProjectFactory(compound=f.CompoundFactory(community=tree["comm_a"]), contractor=project.contractor)
    for target in (project, other):
        _file(actors["inspector"], services.inspection_start(actor=actors["inspector"], project=target, tier=2))
    (row,) = services.repeat_findings()
    assert (row["contractor_id"], row["kind"], row["count"]) == (project.contractor_id, "safety", 2)
    # Warranty defects an aftercare patrol files for the contractor are no inspection findings: not repeats here.
    issue = RectificationIssue.objects.filter(project=project).first()
    for _ in range(2):
        RectificationIssue.objects.create(
            project=project, contractor=project.contractor, origin="patrol", kind="safety", tier=issue.tier,
            severity=issue.severity, description="保修缺陷", deadline=issue.deadline, warranty_category="pipes",
        )  # fmt: skip
    (row,) = services.repeat_findings()
    assert row["count"] == 2
    client.force_login(actors["district_official"])
    board = client.get(reverse("inspections:overdue-board"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"{project.contractor.name} · 安全 × 2" in board  # the kind in words, not its slug


def test_issue_pages_by_role(inspection, actors, client):
    _file(actors["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    client.force_login(actors["contractor"])
    page = client.get(reverse("inspections:issue-detail", args=[issue.pk])).content.decode()
    assert 'data-testid="rectify-form"' in page and 'data-testid="verify-form"' not in page
    client.force_login(actors["outsider"])
    assert client.get(reverse("inspections:issue-detail", args=[issue.pk])).status_code == 404
    client.force_login(actors["district_official"])
    board = client.get(reverse("inspections:overdue-board"))
    assert board.status_code == 200


def test_filing_through_the_api_and_issue_flow(inspection, actors, api_as):
    items = list(inspection.template.items.all())
    api = api_as(actors["inspector"])
    body = {
        "results": [{"item": items[0].pk, "outcome": "fail"}, {"item": items[1].pk, "outcome": "pass"}],
        "findings": [],
    }
    refused = api.post(f"/api/v1/inspections/{inspection.pk}/file/", body, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "finding_missing"
    body["findings"] = [{"item": items[0].pk, "description": "护栏缺失", "location": "1号楼", "severity": "major"}]
    assert api.post(f"/api/v1/inspections/{inspection.pk}/file/", body, format="json").status_code == 200
    issue = RectificationIssue.objects.get()
    contractor = api_as(actors["contractor"])
    submitted = contractor.post(
        f"/api/v1/issues/{issue.pk}/submit/", {"note": "已整改", "photos": [f.photo_file()]}, format="multipart"
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert contractor.post(f"/api/v1/issues/{issue.pk}/verify/", {}).status_code == 403
    assert api_as(actors["inspector"]).post(f"/api/v1/issues/{issue.pk}/verify/", {}).json()["status"] == "closed"
