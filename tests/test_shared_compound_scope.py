"""A compound renovated in two batches by two companies: each contractor sees the shared compound and its own
project, never the other company's project or anything under it — web pages, API lists and details, exports
and photo URLs alike. Place roles over the compound still see both projects.

    comm_a ── shared compound ── project_1 (company_1, batch 2023) ── plans, scope, reports, photos, issues …
                               └─ project_2 (company_2, batch 2024) ── the same
"""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communities.choices import InspectionTier, RoleKind
from inspections.choices import InspectionStatus, PhotoKind
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionResult,
    IssueEvent,
    IssuePhoto,
    RectificationIssue,
)
from projects.choices import Party, ProjectStatus
from projects.models import (
    PlanConfirmation,
    PlanVersion,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ScopeItem,
)
from renovation_portal.sync import tombstones_visible_to
from tests import factories as f

pytestmark = pytest.mark.django_db


def _records(project, *, tag, budget, actor):
    """A project with one of every project-level record, each named with ``tag``."""
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.CONSTRUCTION, budget=budget)
    ProjectFunding.objects.create(project=project, source="district_funds", amount=budget)
    event = ProjectEvent.objects.create(
        project=project,
        from_status=ProjectStatus.PLAN_CONFIRMATION,
        to_status=ProjectStatus.CONSTRUCTION,
        actor=actor,
        note=f"{tag}开工",
    )
    plan = f.PlanVersionFactory(project=project, number=1, summary=f"{tag}方案")
    confirmation = PlanConfirmation.objects.create(plan_version=plan, party=Party.CONTRACTOR, confirmed_by=actor)
    item = f.ScopeItemFactory(
        project=project, name=f"{tag}道路", planned_quantity=Decimal("777") if tag == "甲" else Decimal("50")
    )
    report = ProgressReport.objects.create(
        project=project,
        report_date=timezone.localdate(),
        work_done=f"{tag}完成路面",
        percent_complete=30,
        created_by=actor,
    )
    progress_photo = ProgressPhoto.objects.create(report=report, image=f.photo_file(), thumbnail=f.photo_file())
    template = ChecklistTemplate.objects.get_or_create(name="区级巡检表", tier=InspectionTier.DISTRICT)[0]
    check = ChecklistItem.objects.get_or_create(
        template=template, code="safety", defaults={"position": 1, "text": "临边防护"}
    )[0]
    inspection = Inspection.objects.create(
        project=project,
        tier=InspectionTier.DISTRICT,
        template=template,
        status=InspectionStatus.FILED,
        planned_date=timezone.localdate(),
        summary=f"{tag}巡检",
        filed_at=timezone.now(),
    )
    result = InspectionResult.objects.create(inspection=inspection, item=check, outcome="fail")
    issue = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description=f"{tag}临边无防护",
        location="1号楼",
        severity="minor",
        tier=InspectionTier.DISTRICT,
        deadline=timezone.localdate() + timedelta(days=5),
    )
    issue_event = IssueEvent.objects.create(issue=issue, action="opened", actor=actor)
    finding_photo = IssuePhoto.objects.create(issue=issue, kind=PhotoKind.FINDING, image=f.photo_file())
    evidence_photo = IssuePhoto.objects.create(
        issue=issue, kind=PhotoKind.EVIDENCE, image=f.photo_file(), thumbnail=f.photo_file()
    )
    return {
        "project": project,
        "event": event,
        "plan": plan,
        "confirmation": confirmation,
        "item": item,
        "report": report,
        "progress_photo": progress_photo,
        "inspection": inspection,
        "result": result,
        "issue": issue,
        "issue_event": issue_event,
        "finding_photo": finding_photo,
        "evidence_photo": evidence_photo,
    }


@pytest.fixture
def shared(tree, actors):
    compound = f.CompoundFactory(community=tree["comm_a"], name="共享小区")
    building = f.BuildingFactory(compound=compound, number="9号楼")
    company_1, company_2 = f.CompanyFactory(name="一号建设公司"), f.CompanyFactory(name="二号建设公司")
    project_1 = f.ProjectFactory(compound=compound, contractor=company_1, name="甲批项目", batch=2023)
    project_2 = f.ProjectFactory(compound=compound, contractor=company_2, name="乙批项目", batch=2024)
    official = actors["district_official"]
    return {
        "compound": compound,
        "building": building,
        "one": _records(project_1, tag="甲", budget=Decimal("1234567.89"), actor=official),
        "two": _records(project_2, tag="乙", budget=Decimal("222.00"), actor=official),
        "contractor_1": f.user_with_role(RoleKind.CONTRACTOR, company=company_1),
        "contractor_2": f.user_with_role(RoleKind.CONTRACTOR, company=company_2),
    }


# --- the permission layer itself ---

MODELS = {
    "project": Project,
    "event": ProjectEvent,
    "plan": PlanVersion,
    "confirmation": PlanConfirmation,
    "item": ScopeItem,
    "report": ProgressReport,
    "progress_photo": ProgressPhoto,
    "inspection": Inspection,
    "result": InspectionResult,
    "issue": RectificationIssue,
    "issue_event": IssueEvent,
    "finding_photo": IssuePhoto,
    "evidence_photo": IssuePhoto,
}


@pytest.mark.parametrize("key", MODELS)
def test_contractor_sees_only_its_own_companys_records_on_a_shared_compound(key, shared):
    model = MODELS[key]
    for mine, theirs, user in (("one", "two", shared["contractor_1"]), ("two", "one", shared["contractor_2"])):
        visible = set(model.objects.visible_to(user).values_list("pk", flat=True))
        assert shared[mine][key].pk in visible
        assert shared[theirs][key].pk not in visible


@pytest.mark.parametrize("role", ["district_official", "subdistrict_official", "community_secretary"])
def test_place_roles_still_see_both_projects_on_the_shared_compound(role, shared, actors):
    for key, model in MODELS.items():
        visible = set(model.objects.visible_to(actors[role]).values_list("pk", flat=True))
        assert {shared["one"][key].pk, shared["two"][key].pk} <= visible, key


def test_both_contractors_still_see_the_shared_compound_and_its_buildings(shared, api_as):
    for user in (shared["contractor_1"], shared["contractor_2"]):
        client = api_as(user)
        assert client.get(f"/api/v1/compounds/{shared['compound'].pk}/").status_code == 200
        assert client.get(f"/api/v1/buildings/{shared['building'].pk}/").status_code == 200


def test_funding_of_the_other_companys_project_is_not_reachable(shared, api_as):
    client = api_as(shared["contractor_2"])
    assert client.get(f"/api/v1/projects/{shared['one']['project'].pk}/").status_code == 404
    own = client.get(f"/api/v1/projects/{shared['two']['project'].pk}/").json()
    assert [row["amount"] for row in own["funding"]] == ["222.00"]


# --- the API: lists, details, totals, writes, deletions ---

API_LISTS = {
    "projects": "project",
    "plan-versions": "plan",
    "scope-items": "item",
    "progress-reports": "report",
    "inspections": "inspection",
    "issues": "issue",
}


@pytest.mark.parametrize("endpoint", API_LISTS)
def test_api_list_shows_only_own_companys_records(endpoint, shared, api_as):
    key = API_LISTS[endpoint]
    rows = api_as(shared["contractor_2"]).get(f"/api/v1/{endpoint}/").json()["results"]
    ids = {row["id"] for row in rows}
    assert shared["two"][key].pk in ids
    assert shared["one"][key].pk not in ids


@pytest.mark.parametrize("endpoint", API_LISTS)
def test_api_detail_of_the_other_companys_record_is_404(endpoint, shared, api_as):
    key = API_LISTS[endpoint]
    client = api_as(shared["contractor_2"])
    response = client.get(f"/api/v1/{endpoint}/{shared['one'][key].pk}/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert client.get(f"/api/v1/{endpoint}/{shared['two'][key].pk}/").status_code == 200


def test_api_filter_by_the_other_companys_project_finds_nothing(shared, api_as):
    client = api_as(shared["contractor_2"])
    project = shared["one"]["project"].pk
    for endpoint in ("plan-versions", "scope-items", "progress-reports", "issues"):
        response = client.get(f"/api/v1/{endpoint}/", {"project": project})
        assert response.status_code in (200, 400), endpoint
        if response.status_code == 200:
            assert response.json()["results"] == [], endpoint


def test_api_scope_totals_count_only_own_companys_items(shared, api_as):
    rows = api_as(shared["contractor_2"]).get("/api/v1/projects/totals/", {"level": "compound"}).json()
    planned = sum(Decimal(str(row["planned"])) for row in rows if row["node"] == shared["compound"].pk)
    assert planned == Decimal("50")


def test_api_writes_on_the_other_companys_project_are_404(shared, api_as):
    client = api_as(shared["contractor_2"])
    one = shared["one"]
    before = ScopeItem.objects.count(), PlanVersion.objects.count(), ProgressReport.objects.count()
    assert (
        client.post(
            "/api/v1/scope-items/",
            {"project": one["project"].pk, "category": "road", "name": "x", "unit": "m²", "planned_quantity": "1"},
            format="json",
        ).status_code
        == 404
    )
    assert (
        client.post("/api/v1/plan-versions/", {"project": one["project"].pk, "summary": "x"}, format="json").status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/progress-reports/",
            {
                "project": one["project"].pk,
                "report_date": str(timezone.localdate()),
                "work_done": "x",
                "percent_complete": 40,
            },
            format="json",
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/plan-versions/{one['plan'].pk}/confirmations/", {"party": Party.CONTRACTOR}, format="json"
        ).status_code
        == 404
    )
    assert client.post(f"/api/v1/issues/{one['issue'].pk}/submit/", {"note": "x"}).status_code == 404
    assert (ScopeItem.objects.count(), PlanVersion.objects.count(), ProgressReport.objects.count()) == before


def test_deletions_of_the_other_companys_records_are_not_listed(shared):
    one_item, two_item = shared["one"]["item"], shared["two"]["item"]
    one_pk, two_pk = one_item.pk, two_item.pk
    one_item.delete()
    two_item.delete()
    seen = set(
        tombstones_visible_to(shared["contractor_2"])
        .filter(model="projects.scopeitem")
        .values_list("object_pk", flat=True)
    )
    assert str(two_pk) in seen and str(one_pk) not in seen


# --- photo URLs (web and API) ---


def test_photos_of_the_other_companys_project_are_404(shared, client, api_as):
    one, two = shared["one"], shared["two"]
    client.force_login(shared["contractor_2"])
    api = api_as(shared["contractor_2"])
    for records, expected in ((one, 404), (two, 200)):
        urls = [
            reverse("projects:photo", args=[records["progress_photo"].pk]),
            reverse("projects:photo-thumbnail", args=[records["progress_photo"].pk]),
            reverse("inspections:issue-photo", args=[records["finding_photo"].pk]),
            reverse("inspections:issue-photo", args=[records["evidence_photo"].pk]),
        ]
        for url in urls:
            assert client.get(url).status_code == expected, url
        api_urls = [
            f"/api/v1/progress-photos/{records['progress_photo'].pk}/image/",
            f"/api/v1/progress-photos/{records['progress_photo'].pk}/thumbnail/",
            f"/api/v1/issues/photos/{records['finding_photo'].pk}/",
            f"/api/v1/issues/photos/{records['evidence_photo'].pk}/",
        ]
        for url in api_urls:
            assert api.get(url).status_code == expected, url


# --- web pages and exports ---


def test_web_project_pages_show_only_own_companys_project(shared, client):
    client.force_login(shared["contractor_2"])
    page = client.get(reverse("projects:project-list")).content.decode()
    assert "乙批项目" in page and "甲批项目" not in page
    assert client.get(reverse("projects:project-detail", args=[shared["one"]["project"].pk])).status_code == 404
    detail = client.get(reverse("projects:project-detail", args=[shared["two"]["project"].pk])).content.decode()
    assert "乙道路" in detail and "甲道路" not in detail and "甲完成路面" not in detail
    for name in ("project-edit", "plan-create", "scope-item-create", "report-create"):
        assert client.get(reverse(f"projects:{name}", args=[shared["one"]["project"].pk])).status_code == 404, name


def test_web_inspection_pages_show_only_own_companys_records(shared, client):
    client.force_login(shared["contractor_2"])
    page = client.get(reverse("inspections:issue-list")).content.decode()
    assert "乙临边无防护" in page and "甲临边无防护" not in page
    assert client.get(reverse("inspections:issue-detail", args=[shared["one"]["issue"].pk])).status_code == 404
    assert (
        client.get(reverse("inspections:inspection-detail", args=[shared["one"]["inspection"].pk])).status_code == 404
    )
    assert (
        client.get(reverse("inspections:inspection-detail", args=[shared["two"]["inspection"].pk])).status_code == 200
    )


def _export_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("text/csv"):
        return body.decode("utf-8-sig")
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    return "\n".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_hold_only_own_companys_records(fmt, shared, client):
    client.force_login(shared["contractor_2"])
    projects = _export_text(client.get(reverse("projects:project-list"), {"export": fmt}))
    assert "乙批项目" in projects and "甲批项目" not in projects and "1234567.89" not in projects
    issues = _export_text(client.get(reverse("inspections:issue-list"), {"export": fmt}))
    assert "乙临边无防护" in issues and "甲临边无防护" not in issues


def test_contractor_home_lists_only_own_project(shared, client):
    client.force_login(shared["contractor_2"])
    page = client.get(reverse("home")).content.decode()
    assert "乙临边无防护" in page and "甲临边无防护" not in page and "甲批项目" not in page
