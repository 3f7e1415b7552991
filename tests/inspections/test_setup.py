"""Setting up the inspections of a district: groups and their members, checklists built as drafts and published
in versions, and the tier-3 ranking — each as a role × own/foreign-district matrix, web and API."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from communities.choices import InspectionTier, RoleKind
from inspections import selectors, services
from inspections.choices import ChecklistStatus, ItemKind, Outcome
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, InspectionGroup
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

ROLES = ["district_official", "subdistrict_official", "community_secretary", "contractor", "inspector", "outsider"]
# role → (may read the own district's groups, may manage them)
READ = {"district_official", "subdistrict_official", "community_secretary", "inspector"}
MANAGE = {"district_official"}
# Creating names the district: roles that cannot see the district object itself get 404.
CREATE = {"district_official": 201, "inspector": 403}


@pytest.fixture
def other(db):
    """A second district with its own official, inspector and group."""
    district = f.DistrictFactory(name="湖里区")
    return {
        "district": district,
        "official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district),
        "inspector": f.user_with_role(RoleKind.INSPECTOR, district=district),
        "group": InspectionGroup.objects.create(name="湖里一组", tier=InspectionTier.DISTRICT, district=district),
    }


@pytest.fixture
def group(tree):
    return InspectionGroup.objects.create(name="第一组", tier=InspectionTier.DISTRICT, district=tree["district"])


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _items():
    return [
        {"text": "临边防护", "kind": "pass_fail", "guideline_ref": "导则 4.2"},
        {"text": "外立面质量", "kind": "score", "guideline_ref": "图集 B-3", "max_score": 40},
        {"text": "文明施工", "kind": "score", "max_score": 60},
    ]


# --- groups: API ---


@pytest.mark.parametrize("role", ROLES)
def test_api_group_matrix(role, tree, actors, other, group, api_as):
    client = api_as(actors[role])
    listed = client.get("/api/v1/inspection-groups/")
    assert listed.status_code == 200
    names = {row["name"] for row in listed.json()["results"]}
    assert names == ({"第一组"} if role in READ else set())
    assert client.get(f"/api/v1/inspection-groups/{other['group'].pk}/").status_code == 404
    created = client.post(
        "/api/v1/inspection-groups/", {"name": "第二组", "tier": 2, "district": tree["district"].pk}, format="json"
    )
    assert created.status_code == CREATE.get(role, 404)
    foreign = client.post(
        "/api/v1/inspection-groups/", {"name": "越界组", "tier": 2, "district": other["district"].pk}, format="json"
    )
    assert foreign.status_code == 404
    member = client.post(
        f"/api/v1/inspection-groups/{group.pk}/members/", {"user": actors["inspector"].pk}, format="json"
    )
    assert member.status_code == (200 if role in MANAGE else 403 if role in READ else 404)
    assert group.members.filter(pk=actors["inspector"].pk).exists() == (role in MANAGE)
    patched = etag_patch(client, f"/api/v1/inspection-groups/{group.pk}/", {"active": False})
    assert patched.status_code == (200 if role in MANAGE else 403 if role in READ else 404)
    group.refresh_from_db()
    assert group.active == (role not in MANAGE)
    assert (
        client.post(
            f"/api/v1/inspection-groups/{other['group'].pk}/members/", {"user": other["inspector"].pk}, format="json"
        ).status_code
        == 404
    )
    assert not other["group"].members.exists()


def test_only_inspectors_of_the_district_can_join_a_group(tree, actors, other, group, api_as):
    client = api_as(actors["district_official"])
    url = f"/api/v1/inspection-groups/{group.pk}/members/"
    for user in (other["inspector"], actors["contractor"], actors["subdistrict_official"]):
        refused = client.post(url, {"user": user.pk}, format="json")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "not_an_inspector"
    sub_inspector = f.user_with_role(RoleKind.INSPECTOR, subdistrict=tree["sub_b"], tier=InspectionTier.SITE)
    assert client.post(url, {"user": sub_inspector.pk}, format="json").status_code == 200
    assert sorted(client.post(url, {"user": actors["inspector"].pk}, format="json").json()["members"]) == sorted(
        [sub_inspector.pk, actors["inspector"].pk]
    )
    removed = client.delete(f"{url}?user={sub_inspector.pk}")
    assert removed.status_code == 200 and removed.json()["members"] == [actors["inspector"].pk]
    assert client.delete(url).status_code == 400


def test_group_names_and_tiers_are_checked(tree, actors, group, api_as):
    client = api_as(actors["district_official"])
    url = "/api/v1/inspection-groups/"
    duplicate = client.post(url, {"name": "第一组", "tier": 2, "district": tree["district"].pk}, format="json")
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == "duplicate_name"
    assert (
        client.post(url, {"name": "新组", "tier": 7, "district": tree["district"].pk}, format="json").status_code == 400
    )
    assert client.post(url, {"name": " ", "tier": 2, "district": tree["district"].pk}, format="json").status_code == 400
    assert InspectionGroup.objects.count() == 1


def test_a_deactivated_group_is_not_sent_on_rounds(tree, actors, group):
    from datetime import date

    ChecklistTemplate.objects.create(name="区级表", tier=InspectionTier.DISTRICT)
    services.inspection_group_deactivate(actor=actors["district_official"], group=group)
    assert services.plan_weekly_round(week=date(2026, 11, 23)) == []


# --- checklists: API ---


@pytest.mark.parametrize("role", ROLES)
def test_api_checklist_matrix(role, tree, actors, other, api_as):
    client = api_as(actors[role])
    created = client.post(
        "/api/v1/checklists/",
        {"name": "区级巡检表", "tier": 2, "district": tree["district"].pk, "items": _items()},
        format="json",
    )
    assert created.status_code == CREATE.get(role, 404), created.content
    foreign = client.post(
        "/api/v1/checklists/",
        {"name": "湖里表", "tier": 2, "district": other["district"].pk, "items": _items()},
        format="json",
    )
    assert foreign.status_code == 404
    draft = services.checklist_create(
        actor=other["official"],
        district=other["district"],
        name="湖里草稿",
        tier=2,
        items=[services.ItemInput(text="临边防护")],
    )
    assert client.get(f"/api/v1/checklists/{draft.pk}/").status_code == 404
    assert client.post(f"/api/v1/checklists/{draft.pk}/publish/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == ChecklistStatus.DRAFT


def test_draft_edit_publish_and_next_version_keep_old_inspections_on_their_version(tree, actors, api_as):
    official = api_as(actors["district_official"])
    created = official.post(
        "/api/v1/checklists/",
        {"name": "领导评估表", "tier": 3, "district": tree["district"].pk, "items": _items()},
        format="json",
    ).json()
    assert created["status"] == "draft" and created["version"] == 1
    assert [i["guideline_ref"] for i in created["items"]] == ["导则 4.2", "图集 B-3", ""]
    url = f"/api/v1/checklists/{created['id']}/"
    # A draft is invisible to inspectors and not used for inspections.
    assert _client(actors["inspector"]).get(url).status_code == 404
    project = Project.objects.get(compound=tree["compound_a"])
    with pytest.raises(DomainError) as none:
        services.inspection_start(actor=actors["district_official"], project=project, tier=3)
    assert none.value.code == "no_checklist"
    edited = etag_patch(official, url, {"items": [*_items(), {"text": "资料归档", "kind": "pass_fail"}]})
    assert edited.status_code == 200 and len(edited.json()["items"]) == 4
    published = official.post(f"{url}publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    v1 = ChecklistTemplate.objects.get(pk=created["id"])
    # Published: no more edits; the next version is a draft with the same items.
    assert etag_patch(official, url, {"items": _items()}).json()["errors"][0]["code"] == "already_published"
    inspection = services.inspection_start(actor=actors["district_official"], project=project, tier=3)
    assert inspection.template == v1
    nxt = official.post(f"{url}new-version/")
    assert nxt.status_code == 201 and nxt.json()["version"] == 2 and nxt.json()["status"] == "draft"
    assert official.post(f"{url}new-version/").json()["errors"][0]["code"] == "draft_exists"
    assert [i["code"] for i in nxt.json()["items"]] == [i.code for i in v1.items.order_by("position")]
    v2_url = f"/api/v1/checklists/{nxt.json()['id']}/"
    assert etag_patch(official, v2_url, {"items": _items()[:2]}).status_code == 200
    assert official.post(f"{v2_url}publish/").status_code == 200
    later = services.inspection_start(actor=actors["district_official"], project=project, tier=3)
    assert later.template.version == 2
    inspection.refresh_from_db()
    assert inspection.template == v1 and v1.items.count() == 4
    # Inspectors read the published versions.
    listed = _client(actors["inspector"]).get("/api/v1/checklists/?tier=3").json()["results"]
    versions = [row["version"] for row in listed]
    assert versions == [2, 1]


def test_checklists_delta_sync_returns_only_the_checklist_changed_since(
    tree, actors, api_as, django_assert_max_num_queries
):
    """A phone's delta sync (``?updated_since=T``) of the checklists gets the one published after T, not every
    checklist again, in at most three queries."""
    official = api_as(actors["district_official"])
    ids = []
    for name in ("巡查表", "评估表"):
        created = official.post(
            "/api/v1/checklists/",
            {"name": name, "tier": 3, "district": tree["district"].pk, "items": _items()},
            format="json",
        ).json()
        ids.append(created["id"])
    assert official.post(f"/api/v1/checklists/{ids[0]}/publish/").status_code == 200
    since = ChecklistTemplate.objects.get(pk=ids[0]).updated_at
    inspector = _client(actors["inspector"])
    assert [row["id"] for row in inspector.get("/api/v1/checklists/").json()["results"]] == [ids[0]]
    assert official.post(f"/api/v1/checklists/{ids[1]}/publish/").status_code == 200
    with django_assert_max_num_queries(3):
        delta = inspector.get("/api/v1/checklists/", {"updated_since": since.isoformat()})
    assert [row["id"] for row in delta.json()["results"]] == [ids[1]]
    assert inspector.get("/api/v1/checklists/", {"updated_since": "yesterday"}).status_code == 400


@pytest.mark.parametrize(
    "items,code",
    [
        ([], "empty_checklist"),
        ([{"text": "外立面", "kind": "score"}], "weight_required"),
        ([{"text": "a", "code": "x"}, {"text": "b", "code": "x"}], "duplicate_code"),
    ],
)
def test_bad_checklists_are_refused_and_save_nothing(items, code, tree, actors, api_as):
    response = api_as(actors["district_official"]).post(
        "/api/v1/checklists/", {"name": "表", "tier": 3, "district": tree["district"].pk, "items": items}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert not ChecklistTemplate.objects.exists()


# --- tier-3 ranking ---


def _evaluate(actor, project, scores):
    inspection = services.inspection_start(actor=actor, project=project, tier=3)
    items = list(inspection.template.items.order_by("position"))
    results = [
        services.ResultInput(item=item, outcome=Outcome.PASS)
        if item.kind == ItemKind.PASS_FAIL
        else services.ResultInput(item=item, score=scores.pop(0))
        for item in items
    ]
    return services.inspection_file(actor=actor, inspection=inspection, results=results, findings=[])


def test_tier3_ranking_orders_projects_by_their_latest_weighted_score(tree, actors, api_as, client):
    template = ChecklistTemplate.objects.create(name="评估表", tier=3)
    ChecklistItem.objects.create(template=template, position=1, code="safe", text="安全", kind="pass_fail")
    ChecklistItem.objects.create(template=template, position=2, code="q", text="质量", kind="score", max_score=40)
    ChecklistItem.objects.create(template=template, position=3, code="c", text="文明", kind="score", max_score=60)
    a = Project.objects.get(compound=tree["compound_a"])
    b = Project.objects.get(compound=tree["compound_b"])
    official = actors["district_official"]
    _evaluate(official, a, [40, 50])  # 90
    _evaluate(official, b, [30, 40])  # 70
    _evaluate(official, a, [20, 30])  # latest: 50
    ranked = _client(official).get("/api/v1/inspections/ranking/").json()
    assert [(r["project"], r["score"], r["max_score"]) for r in ranked] == [(b.pk, 70, 100), (a.pk, 50, 100)]
    # Scoped: a subdistrict official sees only the projects of the own subdistrict.
    own = _client(actors["subdistrict_official"]).get("/api/v1/inspections/ranking/").json()
    assert [r["project"] for r in own] == [a.pk]
    assert _client(actors["outsider"]).get("/api/v1/inspections/ranking/").json() == []
    client.force_login(official)
    page = client.get(reverse("inspections:ranking"))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(tree["compound_b"].name) < body.index(tree["compound_a"].name)
    assert len(selectors.tier3_ranking(official)) == 2
    assert Inspection.objects.filter(tier=3).count() == 3


# --- web ---

# role → status of the set-up pages of the own district's group (foreign district: always 404 or 403)
WEB_GROUP = {
    "district_official": 200,
    "subdistrict_official": 403,
    "community_secretary": 403,
    "contractor": 404,
    "inspector": 403,
    "outsider": 404,
}


@pytest.mark.parametrize("role", ROLES)
def test_web_group_matrix(role, tree, actors, other, group, client):
    client.force_login(actors[role])
    expected = WEB_GROUP[role]
    assert client.get(reverse("inspections:group-list")).status_code == (200 if role in MANAGE else 403)
    url = reverse("inspections:group-detail", args=[group.pk])
    assert client.get(url).status_code == expected
    added = client.post(url, {"action": "add_member", "user": actors["inspector"].pk})
    assert added.status_code == (302 if expected == 200 else expected)
    assert group.members.exists() == (role in MANAGE)
    foreign = reverse("inspections:group-detail", args=[other["group"].pk])
    assert client.post(foreign, {"action": "deactivate"}).status_code == 404
    other["group"].refresh_from_db()
    assert other["group"].active
    created = client.post(
        reverse("inspections:group-list"), {"name": "第二组", "tier": 2, "district": tree["district"].pk}
    )
    assert created.status_code == (302 if role in MANAGE else 403)
    assert InspectionGroup.objects.filter(name="第二组").exists() == (role in MANAGE)


def test_web_group_form_errors_and_deactivation(tree, actors, other, group, client):
    client.force_login(actors["district_official"])
    # Another district is not offered: a form error, nothing saved.
    refused = client.post(
        reverse("inspections:group-list"), {"name": "越界组", "tier": 2, "district": other["district"].pk}
    )
    assert refused.status_code == 400 and not InspectionGroup.objects.filter(name="越界组").exists()
    url = reverse("inspections:group-detail", args=[group.pk])
    assert client.post(url, {"action": "add_member", "user": other["inspector"].pk}).status_code == 400
    assert client.post(url, {"action": "save", "name": "", "tier": 2}).status_code == 400
    assert client.post(url, {"action": "deactivate"}).status_code == 302
    group.refresh_from_db()
    assert not group.active


@pytest.mark.parametrize("role", ROLES)
def test_web_checklist_builder_matrix(role, tree, actors, other, client):
    client.force_login(actors[role])
    data = {
        "name": "区级表",
        "tier": 2,
        "district": tree["district"].pk,
        "items-TOTAL_FORMS": 3,
        "items-INITIAL_FORMS": 0,
        "items-0-text": "临边防护",
        "items-0-kind": "pass_fail",
        "items-0-guideline_ref": "导则 4.2",
        "items-1-text": "外立面",
        "items-1-kind": "score",
        "items-1-max_score": 30,
        "items-2-text": "",
        "items-2-kind": "pass_fail",
    }
    response = client.post(reverse("inspections:checklist-create"), data)
    assert response.status_code == (302 if role in MANAGE else 403)
    created = ChecklistTemplate.objects.filter(name="区级表").first()
    assert (created is not None) == (role in MANAGE)
    foreign = services.checklist_create(
        actor=other["official"], district=other["district"], name="湖里表", tier=2, items=[services.ItemInput("检查")]
    )
    assert client.post(reverse("inspections:checklist-publish", args=[foreign.pk])).status_code == 404
    if created:
        assert [(i.text, i.guideline_ref, i.max_score) for i in created.items.all()] == [
            ("临边防护", "导则 4.2", 0),
            ("外立面", "", 30),
        ]
        assert client.post(reverse("inspections:checklist-publish", args=[created.pk])).status_code == 302
        created.refresh_from_db()
        assert created.status == ChecklistStatus.PUBLISHED
        page = client.get(reverse("inspections:checklist-edit", args=[created.pk]))
        assert page.status_code == 200 and "导则 4.2" in page.content.decode()
        assert client.post(reverse("inspections:checklist-new-version", args=[created.pk])).status_code == 302
        assert ChecklistTemplate.objects.get(name="区级表", version=2).status == ChecklistStatus.DRAFT


def test_web_builder_refuses_a_scored_item_without_weight_and_adds_rows_with_htmx(tree, actors, client):
    client.force_login(actors["district_official"])
    data = {
        "name": "表",
        "tier": 3,
        "district": tree["district"].pk,
        "items-TOTAL_FORMS": 1,
        "items-INITIAL_FORMS": 0,
        "items-0-text": "外立面",
        "items-0-kind": "score",
    }
    refused = client.post(reverse("inspections:checklist-create"), data)
    assert refused.status_code == 400 and not ChecklistTemplate.objects.exists()
    assert "外立面" in refused.content.decode()  # what was typed is kept
    row = client.get(reverse("inspections:checklist-item-row"), {"items-TOTAL_FORMS": 3}, HTTP_HX_REQUEST="true")
    body = row.content.decode()
    assert row.status_code == 200 and 'name="items-3-text"' in body and 'value="4"' in body
    assert client.get(reverse("inspections:checklist-item-row"), {"items-TOTAL_FORMS": "x"}).status_code == 404
    # A draft's rows are edited in place; a published version only through its next version.
    template = services.checklist_create(
        actor=actors["district_official"],
        district=tree["district"],
        name="表",
        tier=3,
        items=[services.ItemInput("外立面", kind=ItemKind.SCORE, max_score=40)],
    )
    edit = reverse("inspections:checklist-edit", args=[template.pk])
    assert 'value="外立面"' in client.get(edit).content.decode()
    saved = client.post(
        edit,
        {
            "items-TOTAL_FORMS": 2,
            "items-INITIAL_FORMS": 1,
            "items-0-text": "外立面",
            "items-0-kind": "score",
            "items-0-max_score": 50,
            "items-0-code": "item-1",
            "items-1-text": "资料",
            "items-1-kind": "pass_fail",
        },
    )
    assert saved.status_code == 302
    assert [(i.code, i.max_score) for i in template.items.all()] == [("item-1", 50), ("item-2", 0)]
    services.checklist_publish(actor=actors["district_official"], template=template)
    assert client.post(edit, {"items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0}).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_web_ranking_is_for_officials(role, actors, client):
    client.force_login(actors[role])
    allowed = role in ("district_official", "subdistrict_official")
    assert client.get(reverse("inspections:ranking")).status_code == (200 if allowed else 403)


# --- group names are unique per district; the one-step new version is for those who may publish ---


def test_group_names_are_unique_in_their_district_only(tree, actors, other, group, api_as):
    official = api_as(actors["district_official"])
    # 湖里区 has a 湖里一组; 思明区 may name a group the same, but not twice.
    body = {"district": tree["district"].pk, "name": "湖里一组", "tier": 2}
    same = official.post("/api/v1/inspection-groups/", body, format="json")
    assert same.status_code == 201, same.content
    again = official.post("/api/v1/inspection-groups/", body, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "duplicate_name"
    renamed = etag_patch(official, f"/api/v1/inspection-groups/{group.pk}/", {"name": "湖里一组"})
    assert renamed.status_code == 400 and renamed.json()["errors"][0]["code"] == "duplicate_name"
    assert InspectionGroup.objects.filter(name="湖里一组").count() == 2


def _published(district, official):
    template = services.checklist_create(
        actor=official, district=district, name=f"{district.name}表", tier=2, items=[services.ItemInput("临边防护")]
    )
    return services.checklist_publish(actor=official, template=template)


@pytest.mark.parametrize(
    "role,may",
    [
        ("district_official", True),
        ("foreign_official", False),
        ("subdistrict_official", False),
        ("community_secretary", False),
        ("inspector", False),
        ("contractor", False),
    ],
)
def test_only_the_districts_officials_make_a_checklists_next_version(role, may, tree, actors, other, client):
    """The one-step service (checklist_new_version) and the web and API new-version actions alike."""
    template = _published(tree["district"], actors["district_official"])
    user = other["official"] if role == "foreign_official" else actors[role]
    items = [{"code": "edge", "text": "临边防护（新）"}]
    if may:
        new = services.checklist_new_version(actor=user, template=template, items=items)
        assert (new.version, new.status, new.district_id) == (2, ChecklistStatus.PUBLISHED, tree["district"].pk)
        assert [i.text for i in new.items.all()] == ["临边防护（新）"]
        template = new
    else:
        with pytest.raises(PermissionDenied):
            services.checklist_new_version(actor=user, template=template, items=items)
    versions = ChecklistTemplate.objects.filter(name=template.name).count()
    api = _client(user).post(f"/api/v1/checklists/{template.pk}/new-version/")
    client.force_login(user)
    web = client.post(reverse("inspections:checklist-new-version", args=[template.pk]))
    if may:
        assert api.status_code == 201 and web.status_code == 302
    else:
        assert api.status_code in (403, 404) and web.status_code in (403, 404)
        assert ChecklistTemplate.objects.filter(name=template.name).count() == versions
