"""Bad input from an outside test of the portal: each one is a 4xx with the standard error body (API) or a form
error / 404 (web), never a 500, and writes nothing."""

import pytest
from django.urls import reverse

from communities.choices import InspectionTier
from consultations.models import Meeting
from inspections import services as inspection_services
from inspections.models import ChecklistItem, ChecklistTemplate, RectificationIssue
from projects.models import Project, ScopeItem

pytestmark = pytest.mark.django_db

# Every list a syncing client asks for ``?updated_since=``.
UPDATED_SINCE_LISTS = [
    "/api/v1/compounds/",
    "/api/v1/buildings/",
    "/api/v1/projects/",
    "/api/v1/scope-items/",
    "/api/v1/progress-reports/",
    "/api/v1/needs/",
    "/api/v1/topics/",
    "/api/v1/meetings/",
    "/api/v1/owner-units/",
    "/api/v1/votes/",
    "/api/v1/resident-problems/",
    "/api/v1/issues/",
    "/api/v1/inspections/",
]
# Times Python can parse but not express in UTC (year 0 and year 10000), aware and naive (read in Asia/Shanghai).
EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00"]


@pytest.mark.parametrize("when", EDGE_TIMES)
@pytest.mark.parametrize("path", UPDATED_SINCE_LISTS)
def test_updated_since_at_the_edge_of_the_datetime_range_is_a_validation_error(path, when, actors, api_as):
    response = api_as(actors["district_official"]).get(path, {"updated_since": when})
    assert response.status_code == 400, response.content[:300]
    assert response.json() == {
        "type": "validation_error",
        "errors": [{"code": "out_of_range", "detail": response.json()["errors"][0]["detail"], "attr": "updated_since"}],
    }


@pytest.mark.parametrize("when", EDGE_TIMES)
def test_deletions_since_the_edge_of_the_datetime_range_is_a_validation_error(when, actors, api_as):
    response = api_as(actors["district_official"]).get("/api/v1/sync/deletions/", {"since": when})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "since"
    assert response.json()["errors"][0]["code"] == "out_of_range"


def test_updated_since_still_filters_with_a_far_offset(tree, actors, api_as):
    """The UTC conversion that the range check guards still happens: +23:59 is one minute past the day before."""
    api = api_as(actors["district_official"])
    assert len(api.get("/api/v1/compounds/", {"updated_since": "2000-01-01T00:00:00+23:59"}).json()["results"]) == 2
    assert api.get("/api/v1/compounds/", {"updated_since": "9999-12-31T23:59:59+00:00"}).json()["results"] == []


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 100_000 + "]" * 100_000, '{"title":' * 50_000])
def test_a_deeply_nested_json_body_is_a_parse_error(body, tree, actors, api_as):
    api = api_as(actors["community_secretary"])
    for path in ("/api/v1/topics/", "/api/v1/meetings/", "/api/v1/scope-items/"):  # default and own parser lists
        response = api.post(path, body, content_type="application/json")
        assert response.status_code == 400, response.content[:300]
        assert response.json()["type"] == "client_error"
        assert response.json()["errors"][0]["code"] == "parse_error"


@pytest.fixture
def inspection(tree, actors):
    template = ChecklistTemplate.objects.create(name="表2", tier=InspectionTier.DISTRICT)
    ChecklistItem.objects.create(template=template, position=1, code="safety", text="临边防护")
    project = Project.objects.get(compound=tree["compound_a"])
    return inspection_services.inspection_start(
        actor=actors["inspector"], project=project, tier=InspectionTier.DISTRICT
    )


def test_filing_a_finding_for_an_item_that_does_not_exist_is_a_validation_error(inspection, actors, api_as):
    item = inspection.template.items.get()
    other_checklist = ChecklistTemplate.objects.create(name="表1", tier=InspectionTier.SITE)
    foreign = ChecklistItem.objects.create(template=other_checklist, position=1, code="dust", text="扬尘控制")
    api = api_as(actors["inspector"])
    for missing in (999_999, foreign.pk):
        body = {
            "results": [{"item": item.pk, "outcome": "pass"}],
            "findings": [{"item": missing, "description": "护栏缺失", "location": "1号楼", "severity": "major"}],
        }
        response = api.post(f"/api/v1/inspections/{inspection.pk}/file/", body, format="json")
        assert response.status_code == 400, response.content[:300]
        error = response.json()["errors"][0]
        assert (error["attr"], error["code"]) == ("findings", "foreign_item")
        assert str(missing) in error["detail"]
    inspection.refresh_from_db()
    assert inspection.status != "filed"
    assert not RectificationIssue.objects.exists() and not inspection.results.exists()


def test_a_5000_character_username_is_a_failed_login_not_a_server_error(actors, client):
    response = client.post(reverse("login"), {"username": "甲" * 5000, "password": "wrong"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["/public/compounds/A%00B/", "/public/compounds/%00/", "/public/compounds/A%00/buildings/1/plate/"]
)
def test_a_nul_byte_in_a_public_compound_url_is_not_found(path, tree, client):
    assert client.get(path).status_code == 404


def test_a_public_compound_page_still_opens(tree, client):
    assert client.get(f"/public/compounds/{tree['compound_a'].code}/").status_code == 200


def test_a_scope_item_needs_its_planned_quantity(tree, actors, api_as):
    project = Project.objects.get(compound=tree["compound_a"])
    api = api_as(actors["district_official"])
    body = {"project": project.pk, "category": "pipe_water", "name": "屋面防水"}
    response = api.post("/api/v1/scope-items/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"] == [
        {"code": "required", "detail": response.json()["errors"][0]["detail"], "attr": "planned_quantity"}
    ]
    assert not ScopeItem.objects.exists()
    created = api.post("/api/v1/scope-items/", {**body, "planned_quantity": "120.00"}, format="json")
    assert created.status_code == 201, created.content[:300]


def test_a_meeting_needs_its_kind(tree, actors, api_as):
    api = api_as(actors["community_secretary"])
    body = {"compound": tree["compound_a"].pk, "held_at": "2026-01-05T19:00:00+08:00", "place": "社区活动室"}
    response = api.post("/api/v1/meetings/", body, format="json")
    assert response.status_code == 400, response.content[:300]
    assert [(e["attr"], e["code"]) for e in response.json()["errors"]] == [("kind", "required")]
    assert not Meeting.objects.exists()
