"""Declarations, the library and annual plans through the API and the web: the scope matrix, the review flow,
If-Match and Idempotency-Key, attachments, exports, targets and projects from the plan, and query budgets."""

import pytest
from django.urls import reverse

from communities.choices import CompanyKind
from planning import services
from planning.models import Declaration, PlanItem
from projects.models import Project, TargetShare
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

ITEMS = [
    {"work_class": "basic", "category": "road", "description": "道路", "quantity": "100", "estimated_cost": "1000.10"}
]
FUNDING = [{"source": "district_funds", "amount": "1000.10"}]

# role → (sees side a's declaration, sees side b's declaration)
VISIBILITY = {
    "district_official": (True, True),
    "subdistrict_official": (True, False),
    "community_secretary": (True, False),
    "contractor": (False, False),
    "inspector": (False, False),
    "outsider": (False, False),
}


@pytest.fixture
def own(tree, actors):
    return f.declaration(tree["compound_a"], actors["subdistrict_official"])


@pytest.fixture
def foreign(tree):
    from communities.choices import RoleKind

    official_b = f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_b"])
    return f.declaration(tree["compound_b"], official_b)


@pytest.mark.parametrize("role", VISIBILITY)
def test_declarations_are_scoped_in_the_api_and_the_pages(role, own, foreign, actors, api_as, client):
    sees_own, sees_foreign = VISIBILITY[role]
    api = api_as(actors[role])
    listed = {row["id"] for row in api.get("/api/v1/declarations/").json()["results"]}
    assert (own.pk in listed, foreign.pk in listed) == (sees_own, sees_foreign)
    assert api.get(f"/api/v1/declarations/{foreign.pk}/").status_code == (200 if sees_foreign else 404)
    client.force_login(actors[role])
    page = client.get(reverse("planning:declaration-list")).content.decode()
    assert (own.compound.name in page, foreign.compound.name in page) == (sees_own, sees_foreign)
    assert client.get(reverse("planning:declaration-detail", args=[foreign.pk])).status_code == (
        200 if sees_foreign else 404
    )


@pytest.mark.parametrize(
    "role, status",
    [("district_official", 403), ("community_secretary", 200), ("contractor", 404), ("outsider", 404)],
)
def test_who_may_amend_a_declaration_through_the_api(role, status, own, actors, api_as):
    response = etag_patch(api_as(actors[role]), f"/api/v1/declarations/{own.pk}/", {"needs_summary": "改"})
    assert response.status_code == status


def session_api(user):
    """An API client logged in by session, as the Idempotency-Key middleware sees users (token or session)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def test_declare_review_and_library_through_the_api(tree, actors, api_as):
    official = actors["subdistrict_official"]
    vote = f.willingness_vote(tree["compound_a"], official)
    api = session_api(official)
    body = {"compound": tree["compound_a"].pk, "vote": vote.pk, "needs_summary": "停车难", "items": ITEMS,
            "funding": FUNDING, "households_affected": 120}  # fmt: skip
    created = api.post("/api/v1/declarations/", body, format="json", HTTP_IDEMPOTENCY_KEY="decl-1")
    assert created.status_code == 201, created.json()
    again = api.post("/api/v1/declarations/", body, format="json", HTTP_IDEMPOTENCY_KEY="decl-1")
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert Declaration.objects.count() == 1
    pk = created.json()["id"]
    assert created.json()["estimated_cost"] == "1000.10"
    no_etag = api.patch(f"/api/v1/declarations/{pk}/", {"needs_summary": "x"}, format="json")
    assert no_etag.status_code == 428
    amended = etag_patch(api, f"/api/v1/declarations/{pk}/", {"funding": [{"source": "residents", "amount": "1"}]})
    assert amended.status_code == 200
    refused = api.post(f"/api/v1/declarations/{pk}/submit/")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "funding_mismatch"
    etag_patch(api, f"/api/v1/declarations/{pk}/", {"funding": FUNDING})
    attached = api.post(f"/api/v1/declarations/{pk}/attachments/", {"file": f.pdf_file()}, format="multipart")
    assert attached.status_code == 201 and attached.json()["kind"] == "pdf"
    assert api.post(f"/api/v1/declarations/{pk}/submit/").json()["status"] == "submitted"
    assert api.post(f"/api/v1/declarations/{pk}/approve/", {}, format="json").status_code == 403
    district = api_as(actors["district_official"])
    no_reason = district.post(f"/api/v1/declarations/{pk}/return/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["errors"][0]["attr"] == "reason"
    returned = district.post(f"/api/v1/declarations/{pk}/return/", {"reason": "补充图纸"}, format="json")
    assert returned.json()["status"] == "returned" and returned.json()["last_reason"] == "补充图纸"
    api = api_as(official)
    api.post(f"/api/v1/declarations/{pk}/submit/")
    district = api_as(actors["district_official"])
    approved = district.post(f"/api/v1/declarations/{pk}/approve/", {"reason": "同意"}, format="json").json()
    assert approved["status"] == "approved" and approved["round"] == 2
    assert [r["action"] for r in approved["reviews"]] == ["submitted", "returned", "submitted", "approved"]
    library = district.get("/api/v1/declarations/?status=approved").json()["results"]
    assert [row["id"] for row in library] == [pk]
    pdf = district.get(approved["attachments"][0]["url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "attachment" in pdf["Content-Disposition"]


def test_declaration_without_a_passed_vote_is_a_400(tree, actors, api_as):
    official = actors["subdistrict_official"]
    vote = f.willingness_vote(tree["compound_a"], official, passed=False)
    body = {"compound": tree["compound_a"].pk, "vote": vote.pk, "needs_summary": "x", "items": ITEMS}
    response = api_as(official).post("/api/v1/declarations/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "vote_not_passed",
        "detail": response.json()["errors"][0]["detail"],
        "attr": "vote",
    }
    assert not Declaration.objects.exists()


def test_a_bad_funding_row_is_a_readable_400(tree, actors, api_as):
    """An element of ``funding`` or ``items`` that fails its own fields is reported as the message a person reads,
    never as the repr of the nested error."""
    official = actors["subdistrict_official"]
    vote = f.willingness_vote(tree["compound_a"], official, passed=True)
    body = {
        "compound": tree["compound_a"].pk,
        "vote": vote.pk,
        "needs_summary": "x",
        "items": ITEMS,
        "funding": [{"source": "no_such_source", "amount": "1"}],
    }
    response = api_as(official).post("/api/v1/declarations/", body, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["code"], error["attr"]) == ("invalid_item", "funding")
    assert "no_such_source" in error["detail"] and "{" not in error["detail"] and "ErrorDetail" not in error["detail"]
    assert not Declaration.objects.exists()


def _approved(tree, actors):
    declaration = f.declaration(tree["compound_a"], actors["subdistrict_official"])
    services.declaration_submit(actor=actors["subdistrict_official"], declaration=declaration)
    return services.declaration_approve(actor=actors["district_official"], declaration=declaration)


def test_plan_targets_and_project_through_the_api(tree, actors, api_as):
    declaration = _approved(tree, actors)
    api = api_as(actors["district_official"])
    plan = api.post("/api/v1/annual-plans/", {"district": tree["district"].pk, "year": 2026}, format="json")
    assert plan.status_code == 201, plan.json()
    plan_id, batch = plan.json()["id"], plan.json()["batches"][0]["id"]
    item = api.post(f"/api/v1/annual-plans/{plan_id}/items/", {"declaration": declaration.pk, "batch": batch})
    assert item.status_code == 201, item.json()
    too_much = api.post(
        f"/api/v1/annual-plans/{plan_id}/targets/",
        {"to_start": 2, "to_finish": 1, "shares": [{"subdistrict": tree["sub_a"].pk, "to_start": 3, "to_finish": 1}]},
        format="json",
    )
    assert too_much.status_code == 400 and too_much.json()["errors"][0]["code"] == "shares_exceed_target"
    assert not TargetShare.objects.exists()
    split = api.post(
        f"/api/v1/annual-plans/{plan_id}/targets/",
        {
            "to_start": 3,
            "to_finish": 2,
            "shares": [
                {"subdistrict": tree["sub_a"].pk, "to_start": 1, "to_finish": 1},
                {"subdistrict": tree["sub_b"].pk, "to_start": 1, "to_finish": 1},
            ],
        },
        format="json",
    )
    assert split.status_code == 200 and len(split.json()["notes"]) == 1
    seen_by_sub = api_as(actors["subdistrict_official"]).get(f"/api/v1/annual-plans/{plan_id}/").json()["target"]
    assert seen_by_sub == {"to_start": None, "to_finish": None, "shares": [
        {"subdistrict": tree["sub_a"].pk, "to_start": 1, "to_finish": 1}]}  # fmt: skip
    award = {"contractor": tree["company_a"].pk, "contract_number": "EPC-1", "contract_amount": "999.99",
             "awarded_on": "2026-03-01"}  # fmt: skip
    sub_api = api_as(actors["subdistrict_official"])
    assert sub_api.post(f"/api/v1/plan-items/{item.json()['id']}/project/", award, format="json").status_code == 403
    api = session_api(actors["district_official"])
    created = api.post(
        "/api/v1/projects/", {**award, "plan_item": item.json()["id"]}, format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["contract_number"] == "EPC-1" and created.json()["batch"] == 2026
    assert PlanItem.objects.get().project_id == created.json()["id"]
    replayed = api.post(
        "/api/v1/projects/", {**award, "plan_item": item.json()["id"]}, format="json", HTTP_IDEMPOTENCY_KEY="p-1"
    )
    assert replayed.status_code == 201 and replayed.json()["id"] == created.json()["id"]
    twice = api.post(f"/api/v1/plan-items/{item.json()['id']}/project/", award, format="json")
    assert twice.status_code == 400 and twice.json()["errors"][0]["code"] == "project_exists"


def test_project_post_refuses_a_designer_as_contractor_and_saves_nothing(tree, actors, api_as):
    designer = f.CompanyFactory(kind=CompanyKind.DESIGNER)
    before = Project.objects.count()
    response = api_as(actors["district_official"]).post(
        "/api/v1/projects/", {"compound": tree["compound_b"].pk, "contractor": designer.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "contractor"
    assert Project.objects.count() == before
    assert (
        api_as(actors["contractor"]).post("/api/v1/projects/", {"compound": tree["compound_a"].pk}).status_code == 403
    )
    assert (
        api_as(actors["subdistrict_official"])
        .post("/api/v1/projects/", {"compound": tree["compound_b"].pk})
        .status_code
        == 404
    )


def test_library_page_filters_and_exports(tree, actors, client):
    _approved(tree, actors)
    client.force_login(actors["district_official"])
    page = client.get(reverse("planning:library"), {"subdistrict": tree["sub_a"].pk})
    assert tree["compound_a"].name in page.content.decode()
    empty = client.get(reverse("planning:library"), {"subdistrict": tree["sub_b"].pk})
    assert tree["compound_a"].name not in empty.content.decode()
    export = client.get(reverse("planning:library"), {"export": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    assert tree["compound_a"].name in body and "1500000.50" in body


def test_declaration_web_flow(tree, actors, client):
    official = actors["subdistrict_official"]
    vote = f.willingness_vote(tree["compound_a"], official)
    client.force_login(official)
    form = {"compound": tree["compound_a"].pk, "vote": vote.pk, "needs_summary": "雨污混流", "buildings_affected": 3,
            "households_affected": 60, "residents_affected": 180, "item_0_class": "basic",
            "item_0_category": "pipe_rain_sewage", "item_0_description": "雨污分流", "item_0_quantity": "0.5",
            "item_0_cost": "500000", "funding_district_funds": "400000"}  # fmt: skip
    response = client.post(reverse("planning:declaration-create"), form)
    declaration = Declaration.objects.get()
    assert response.status_code == 302
    submit = client.post(reverse("planning:declaration-submit", args=[declaration.pk]), follow=True)
    assert "500,000.00" in submit.content.decode()  # the mismatch message names both figures
    declaration.refresh_from_db()
    assert declaration.status == "draft"
    form["funding_residents"] = "100000"
    client.post(reverse("planning:declaration-edit", args=[declaration.pk]), form)
    client.post(reverse("planning:declaration-submit", args=[declaration.pk]))
    declaration.refresh_from_db()
    assert declaration.status == "submitted"
    assert client.post(reverse("planning:declaration-review", args=[declaration.pk, "approved"])).status_code == 403
    declaration.refresh_from_db()
    assert declaration.status == "submitted"  # a subdistrict official cannot approve
    client.force_login(actors["district_official"])
    client.post(reverse("planning:declaration-review", args=[declaration.pk, "returned"]), {"reason": "补充照片"})
    declaration.refresh_from_db()
    assert declaration.status == "returned" and declaration.last_reason == "补充照片"


def test_list_queries_do_not_grow_with_rows(tree, actors, api_as, client, django_assert_max_num_queries):
    for _ in range(3):
        compound = f.CompoundFactory(community=tree["comm_a"])
        f.declaration(compound, actors["subdistrict_official"])
    api = api_as(actors["district_official"])
    with django_assert_max_num_queries(8):
        assert len(api.get("/api/v1/declarations/").json()["results"]) == 3
    client.force_login(actors["district_official"])
    with django_assert_max_num_queries(17):  # the navigation's counts included (declarations to review, escalations)
        assert client.get(reverse("planning:declaration-list")).status_code == 200
