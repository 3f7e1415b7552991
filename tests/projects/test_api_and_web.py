"""Projects through the API and the web: scoping, transitions, confirmations, reports with photos, conflicts,
query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.models import User
from projects.choices import Party, ProjectStatus
from projects.models import PlanVersion, ProgressReport, Project
from tests import factories as f
from tests.conftest import etag_patch
from tests.projects.conftest import set_status

pytestmark = pytest.mark.django_db

# role → (sees own project, sees foreign project)
VISIBILITY = {
    "district_official": (True, True),
    "subdistrict_official": (True, False),
    "community_secretary": (True, False),
    "contractor": (True, False),
    "inspector": (True, True),
    "outsider": (False, False),
}


@pytest.mark.parametrize("role", VISIBILITY)
def test_project_api_and_pages_are_scoped(role, project, foreign_project, actors, api_as, client):
    own, foreign = VISIBILITY[role]
    api = api_as(actors[role])
    listed = {row["id"] for row in api.get("/api/v1/projects/").json()["results"]}
    assert (project.pk in listed, foreign_project.pk in listed) == (own, foreign)
    assert api.get(f"/api/v1/projects/{foreign_project.pk}/").status_code == (200 if foreign else 404)
    client.force_login(actors[role])
    page = client.get(reverse("projects:project-list")).content.decode()
    assert (project.name in page, foreign_project.name in page) == (own, foreign)
    assert client.get(reverse("projects:project-detail", args=[foreign_project.pk])).status_code == (
        200 if foreign else 404
    )


def test_contractor_moves_status_through_the_api_and_guards_answer_400(project, actors, api_as):
    api = api_as(actors["contractor"])
    moved = api.post(f"/api/v1/projects/{project.pk}/transitions/", {"transition": "start_survey"})
    assert moved.status_code == 200 and moved.json()["status"] == "survey_design"
    assert moved.json()["events"][-1]["to_status"] == "survey_design"
    refused = api.post(f"/api/v1/projects/{project.pk}/transitions/", {"transition": "submit_plan"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "no_plan"
    forbidden = api.post(f"/api/v1/projects/{project.pk}/transitions/", {"transition": "suspend", "note": "x"})
    assert forbidden.status_code == 403
    unknown = api.post(f"/api/v1/projects/{project.pk}/transitions/", {"transition": "teleport"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["attr"] == "transition"


def test_plan_and_confirmations_through_the_api(project, actors, api_as):
    set_status(project, ProjectStatus.PLAN_CONFIRMATION)
    contractor = api_as(actors["contractor"])
    created = contractor.post("/api/v1/plan-versions/", {"project": project.pk, "summary": "雨污分流、加装电梯"})
    assert created.status_code == 201 and created.json()["number"] == 1
    plan_id = created.json()["id"]
    ok = contractor.post(f"/api/v1/plan-versions/{plan_id}/confirmations/", {"party": "contractor"})
    assert ok.status_code == 201
    assert contractor.post(f"/api/v1/plan-versions/{plan_id}/confirmations/", {"party": "residents"}).status_code == 403
    again = contractor.post(f"/api/v1/plan-versions/{plan_id}/confirmations/", {"party": "contractor"})
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "already_confirmed"
    listed = contractor.get("/api/v1/plan-versions/", {"project": project.pk}).json()["results"]
    assert listed[0]["is_current"] is True and listed[0]["confirmations"][0]["party"] == "contractor"


def test_report_with_photo_through_the_api_and_photo_access_is_scoped(project, actors, api_as):
    set_status(project, ProjectStatus.CONSTRUCTION)
    item = f.ScopeItemFactory(project=project, planned_quantity=200)
    api = api_as(actors["contractor"])
    response = api.post(
        "/api/v1/progress-reports/",
        {
            "project": project.pk,
            "report_date": timezone.localdate().isoformat(),
            "work_done": "铺设道路",
            "percent_complete": 40,
            "manpower": 12,
            "quantities": f'{{"{item.pk}": 50}}',
            "photos": [f.photo_file()],
            "photo_latitude": ["24.480000"],
            "photo_longitude": ["118.090000"],
            "photo_taken_at": ["2026-11-20T09:30:00+08:00"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quantities"] == [{"scope_item": item.pk, "quantity": "50.00"}]
    photo = body["photos"][0]
    assert photo["latitude"] == "24.480000" and photo["taken_at"].startswith("2026-11-20T09:30")
    image = api.get(photo["thumbnail_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert api_as(actors["outsider"]).get(photo["url"]).status_code == 404
    item.refresh_from_db()
    project.refresh_from_db()
    assert (item.completed_quantity, project.progress_percent) == (50, 40)


def test_report_with_a_bad_photo_is_400_and_files_nothing(project, actors, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    set_status(project, ProjectStatus.CONSTRUCTION)
    response = api_as(actors["contractor"]).post(
        "/api/v1/progress-reports/",
        {
            "project": project.pk,
            "report_date": timezone.localdate().isoformat(),
            "work_done": "x",
            "percent_complete": 40,
            "photos": [SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg")],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"].startswith("photos")
    assert not ProgressReport.objects.exists()


def test_stale_etag_on_a_project_is_412(project, actors, api_as):
    api = api_as(actors["district_official"])
    url = f"/api/v1/projects/{project.pk}/"
    etag = api.get(url)["ETag"]
    assert api.patch(url, {"name": "甲"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    stale = api.patch(url, {"name": "乙"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert Project.objects.get(pk=project.pk).name == "甲"
    assert etag_patch(api_as(actors["contractor"]), url, {"name": "丙"}).status_code == 403


def test_web_edit_of_a_stale_form_shows_a_conflict_and_keeps_the_newer_data(project, actors, client):
    client.force_login(actors["district_official"])
    form = {
        "name": "网页修改",
        "batch": 2024,
        "contractor": project.contractor_id,
        "budget": "100",
        "engineering_coordinator": "",
        "engineering_coordinator_phone": "",
        "masses_coordinator": "",
        "planned_start": "",
        "planned_finish": "",
        "version": project.version,
    }
    assert client.post(reverse("projects:project-edit", args=[project.pk]), form).status_code == 302
    stale = client.post(reverse("projects:project-edit", args=[project.pk]), {**form, "name": "旧表单"})
    assert stale.status_code == 200
    assert "他人已修改该项目" in stale.content.decode()
    assert Project.objects.get(pk=project.pk).name == "网页修改"


def test_web_transition_buttons_follow_the_services(project, actors, client):
    client.force_login(actors["contractor"])
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert "开始勘察设计" in page and "暂停" not in page
    client.post(reverse("projects:project-transition", args=[project.pk, "start_survey"]))
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.SURVEY_DESIGN
    refused = client.post(reverse("projects:project-transition", args=[project.pk, "submit_plan"]), follow=True)
    assert "请先添加改造方案" in refused.content.decode()
    assert (
        client.post(reverse("projects:project-transition", args=[project.pk, "suspend"]), {"note": "x"}).status_code
        == 403
    )


def test_web_confirmation_and_dig_once_warning(project, actors, client):
    from datetime import date

    set_status(project, ProjectStatus.PLAN_CONFIRMATION)
    plan = f.PlanVersionFactory(project=project, number=1)
    f.ScopeItemFactory(
        project=project,
        category="pipe_water",
        name="供水管",
        excavation_start=date(2026, 3, 1),
        excavation_end=date(2026, 3, 10),
    )
    f.ScopeItemFactory(
        project=project,
        category="pipe_gas",
        name="燃气管",
        excavation_start=date(2026, 5, 1),
        excavation_end=date(2026, 5, 10),
    )
    client.force_login(actors["community_secretary"])
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert 'data-testid="dig-once"' in page and "供水管" in page and "燃气管" in page
    client.post(reverse("projects:plan-confirm", args=[project.pk, plan.pk]), {"party": Party.RESIDENTS})
    assert plan.confirmations.filter(party=Party.RESIDENTS).exists()


def test_web_list_filters_overdue_and_status(project, foreign_project, actors, client):
    Project.objects.filter(pk=project.pk).update(planned_finish=timezone.localdate().replace(year=2020))
    client.force_login(actors["district_official"])
    overdue = client.get(reverse("projects:project-list"), {"overdue": "true"}).content.decode()
    assert project.name in overdue and foreign_project.name not in overdue
    handed = client.get(reverse("projects:project-list"), {"status": "handed_over"}).content.decode()
    assert project.name not in handed
    bad = client.get(reverse("projects:project-list"), {"batch": "去年"})
    assert bad.status_code == 200


def _queries(api_as, user, path):
    client = api_as(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "path", ["/api/v1/projects/", "/api/v1/plan-versions/", "/api/v1/scope-items/", "/api/v1/progress-reports/"]
)
def test_list_query_counts_do_not_grow_with_rows(path, tree, actors, api_as):
    official = actors["district_official"]

    def add_rows(count):
        for _ in range(count):
            p = f.ProjectFactory(compound=f.CompoundFactory(community=tree["comm_a"]))
            plan = f.PlanVersionFactory(project=p)
            plan.confirmations.create(party="contractor", confirmed_by=official)
            f.ScopeItemFactory(project=p)
            report = ProgressReport.objects.create(
                project=p, report_date=timezone.localdate(), work_done="x", percent_complete=1, created_by=official
            )
            report.quantities.create(scope_item=p.scope_items.first(), quantity=1)

    add_rows(1)
    few = _queries(api_as, official, path)
    add_rows(6)
    assert _queries(api_as, official, path) == few


def test_contractor_home_shows_projects_needing_action(project, actors, client):
    set_status(project, ProjectStatus.CONSTRUCTION)
    client.force_login(actors["contractor"])
    page = client.get(reverse("home")).content.decode()
    assert project.name in page and "填报进度" in page


def test_totals_endpoint(project, actors, api_as):
    f.ScopeItemFactory(project=project, category="elevator", planned_quantity=2, completed_quantity=1)
    rows = api_as(actors["district_official"]).get("/api/v1/projects/totals/", {"level": "community"}).json()
    assert rows == [
        {
            "node": project.compound.community_id,
            "category": "elevator",
            "planned": "2.00",
            "completed": "1.00",
            "items": 1,
        }
    ]
    assert api_as(actors["district_official"]).get("/api/v1/projects/totals/", {"level": "x"}).status_code == 400


def test_plan_version_for_a_foreign_project_is_404(foreign_project, actors, api_as):
    response = api_as(actors["contractor"]).post(
        "/api/v1/plan-versions/", {"project": foreign_project.pk, "summary": "x"}
    )
    assert response.status_code in (400, 404)
    assert not PlanVersion.objects.exists()
