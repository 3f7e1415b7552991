"""Photos are private files: served only through views that check the viewer's scope, never from /media/."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from consultations import services as consultation_services
from inspections import services as inspection_services
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from projects.models import Project
from tests import factories as f


@pytest.fixture
def issue_photo(tree, actors):
    project = Project.objects.get(compound=tree["compound_a"])
    template = ChecklistTemplate.objects.create(name="表", tier=InspectionTier.DISTRICT)
    inspection = Inspection.objects.create(
        project=project, tier=2, template=template, status="filed", planned_date=timezone.localdate()
    )
    issue = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="road",
        description="裂缝",
        location="1号楼",
        severity="minor",
        tier=2,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    inspection_services.issue_submit_rectification(
        actor=actors["contractor"], issue=issue, note="已灌缝", photos=[f.photo_file()]
    )
    return issue.photos.get()


@pytest.fixture
def meeting_photo(tree, actors):
    meeting = consultation_services.meeting_log(
        actor=actors["community_secretary"],
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=1),
        place="党群服务中心",
        attendance=12,
        photos=[f.photo_file()],
    )
    return meeting.photos.get()


def test_issue_photos_reach_only_people_in_scope(issue_photo, actors, client, tree):
    url = reverse("inspections:issue-photo", args=[issue_photo.pk])
    for name in ("contractor", "inspector", "community_secretary", "district_official"):
        client.force_login(actors[name])
        response = client.get(url)
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg", name
    other_company = f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"])
    other_secretary = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])
    for user in (actors["outsider"], other_company, other_secretary):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_meeting_photos_reach_only_people_in_scope(meeting_photo, actors, client, tree):
    url = reverse("consultations:meeting-photo", args=[meeting_photo.pk])
    client.force_login(actors["community_secretary"])
    assert client.get(url).status_code == 200
    for user in (actors["outsider"], f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_uploaded_files_are_not_served_from_media(issue_photo, meeting_photo, actors, client):
    client.force_login(actors["district_official"])
    for photo in (issue_photo, meeting_photo):
        assert client.get(f"/media/{photo.image.name}").status_code == 404
    assert issue_photo.image.name.split("/")[-1] != "site.jpg"  # stored under a random name
