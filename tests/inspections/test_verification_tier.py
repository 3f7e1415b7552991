"""Verifying, sending back and so closing (销号) a rectification issue belongs to the tier that found it or a higher
one: a tier-1 community patrol never closes a tier-2 district group's finding."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from inspections import services
from inspections.choices import InspectionStatus, IssueStatus
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from projects.models import Project
from tests import factories as f

pytestmark = pytest.mark.django_db


def _submitted_issue(tree, actors, tier):
    project = Project.objects.get(compound=tree["compound_a"])
    template = ChecklistTemplate.objects.get_or_create(name=f"表{tier}", tier=tier)[0]
    inspection = Inspection.objects.create(
        project=project, tier=tier, template=template, status=InspectionStatus.FILED, planned_date=timezone.localdate()
    )
    issue = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description="临边无防护",
        location="1号楼",
        severity="minor",
        tier=tier,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    services.issue_submit_rectification(
        actor=actors["contractor"], issue=issue, note="已加装护栏", photos=[f.photo_file()]
    )
    issue.refresh_from_db()
    return issue


@pytest.fixture
def community_patrol(tree):
    """A tier-1 inspector bound to the issue's own community."""
    return f.user_with_role(RoleKind.INSPECTOR, community=tree["comm_a"], tier=InspectionTier.SITE)


@pytest.mark.parametrize("action", ["verify", "send_back"])
def test_tier1_inspector_cannot_verify_or_send_back_a_tier2_finding(action, tree, actors, community_patrol):
    issue = _submitted_issue(tree, actors, InspectionTier.DISTRICT)
    assert not services.can_verify(community_patrol, issue)
    service = services.issue_verify if action == "verify" else services.issue_send_back
    with pytest.raises(PermissionDenied):
        service(actor=community_patrol, issue=issue, note="看过了")
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED and issue.closed_at is None


@pytest.mark.parametrize("path", ["verify", "send-back"])
def test_api_refuses_a_lower_tiers_verification_with_403(path, tree, actors, community_patrol, api_as):
    issue = _submitted_issue(tree, actors, InspectionTier.DISTRICT)
    response = api_as(community_patrol).post(f"/api/v1/issues/{issue.pk}/{path}/", {"note": "看过了"}, format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED and not issue.events.filter(action__in=["closed", "sent_back"])


def test_web_issue_page_offers_a_lower_tier_no_verification(tree, actors, community_patrol, client):
    issue = _submitted_issue(tree, actors, InspectionTier.DISTRICT)
    client.force_login(community_patrol)
    url = reverse("inspections:issue-detail", args=[issue.pk])
    assert client.get(url).context["can_verify"] is False
    assert client.post(url, {"action": "verify", "note": "看过了"}).status_code == 403
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED


def test_tier1_inspector_closes_its_own_tiers_finding(tree, actors, community_patrol):
    issue = _submitted_issue(tree, actors, InspectionTier.SITE)
    closed = services.issue_verify(actor=community_patrol, issue=issue)
    assert closed.status == IssueStatus.CLOSED and closed.closed_by == community_patrol


@pytest.mark.parametrize("tier", [InspectionTier.SITE, InspectionTier.DISTRICT])
def test_tier2_inspector_and_district_official_close_findings_of_their_tier_and_below(tier, tree, actors):
    for closer in ("inspector", "district_official"):
        issue = _submitted_issue(tree, actors, tier)
        assert services.issue_verify(actor=actors[closer], issue=issue).status == IssueStatus.CLOSED


def test_tier2_inspector_cannot_close_a_tier3_evaluation_finding(tree, actors):
    issue = _submitted_issue(tree, actors, InspectionTier.LEADERSHIP)
    with pytest.raises(PermissionDenied):
        services.issue_verify(actor=actors["inspector"], issue=issue)
    assert services.issue_verify(actor=actors["district_official"], issue=issue).status == IssueStatus.CLOSED
