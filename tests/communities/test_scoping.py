"""The permission matrix of the place tree: each role × own / foreign object, through the API and the web."""

import pytest
from django.urls import reverse

from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

# role → (sees compound_a, sees compound_b, may change compound_a)
MATRIX = {
    "district_official": (True, True, True),
    "subdistrict_official": (True, False, True),
    "community_secretary": (True, False, True),
    "contractor": (True, False, False),
    "inspector": (True, True, False),
    "outsider": (False, False, False),
}


@pytest.mark.parametrize("role", MATRIX)
def test_api_compound_list_is_scoped(role, tree, actors, api_as):
    response = api_as(actors[role]).get("/api/v1/compounds/")
    assert response.status_code == 200
    names = {row["name"] for row in response.json()["results"]}
    sees_a, sees_b, _ = MATRIX[role]
    assert ("屿后南里小区" in names) is sees_a
    assert ("嘉美花园" in names) is sees_b


@pytest.mark.parametrize("role", MATRIX)
def test_api_compound_detail_foreign_is_404(role, tree, actors, api_as):
    client = api_as(actors[role])
    sees_a, sees_b, _ = MATRIX[role]
    for key, sees in (("compound_a", sees_a), ("compound_b", sees_b)):
        response = client.get(f"/api/v1/compounds/{tree[key].pk}/")
        assert response.status_code == (200 if sees else 404)
        if not sees:
            assert response.json()["errors"][0]["code"] == "not_found"


@pytest.mark.parametrize("role", MATRIX)
def test_api_compound_patch_follows_permission_layer(role, tree, actors, api_as):
    client = api_as(actors[role])
    sees_a, _, may_change = MATRIX[role]
    response = etag_patch(client, f"/api/v1/compounds/{tree['compound_a'].pk}/", {"address": "新地址 1 号"})
    expected = 200 if may_change else (403 if sees_a else 404)
    assert response.status_code == expected
    tree["compound_a"].refresh_from_db()
    assert (tree["compound_a"].address == "新地址 1 号") is may_change


def test_nobody_but_district_can_patch_foreign_compound(tree, actors, api_as):
    for role in ("subdistrict_official", "community_secretary", "contractor"):
        response = etag_patch(api_as(actors[role]), f"/api/v1/compounds/{tree['compound_b'].pk}/", {"address": "x"})
        assert response.status_code == 404
    tree["compound_b"].refresh_from_db()
    assert tree["compound_b"].address == ""


@pytest.mark.parametrize(
    "endpoint,key,owner_visible",
    [
        ("subdistricts", "sub_b", ("district_official", "inspector")),
        ("communities", "comm_b", ("district_official", "inspector")),
        ("buildings", "building_b", ("district_official", "inspector")),
    ],
)
def test_api_other_place_levels_are_scoped(endpoint, key, owner_visible, tree, actors, api_as):
    for role in MATRIX:
        response = api_as(actors[role]).get(f"/api/v1/{endpoint}/{tree[key].pk}/")
        assert response.status_code == (200 if role in owner_visible else 404), role


def test_subdistrict_official_lists_only_own_subdistrict(tree, actors, api_as):
    response = api_as(actors["subdistrict_official"]).get("/api/v1/subdistricts/")
    assert [row["name"] for row in response.json()["results"]] == ["筼筜街道"]


def test_building_patch_by_secretary_updates_basic_data(tree, actors, api_as):
    building = tree["building_a"]
    response = etag_patch(
        api_as(actors["community_secretary"]), f"/api/v1/buildings/{building.pk}/", {"floors": 11, "stairwells": 2}
    )
    assert response.status_code == 200
    building.refresh_from_db()
    assert (building.floors, building.stairwells) == (11, 2)


@pytest.mark.parametrize("role", MATRIX)
def test_web_compound_pages_are_scoped(role, tree, actors, client):
    client.force_login(actors[role])
    sees_a, sees_b, may_change = MATRIX[role]
    listing = client.get(reverse("communities:compound-list")).content.decode()
    assert ("屿后南里小区" in listing) is sees_a
    assert ("嘉美花园" in listing) is sees_b
    assert client.get(reverse("communities:compound-detail", args=[tree["compound_b"].pk])).status_code == (
        200 if sees_b else 404
    )
    edit = client.post(
        reverse("communities:compound-edit", args=[tree["compound_a"].pk]),
        {
            "address": "网页地址",
            "building_count": 5,
            "household_count": 170,
            "resident_count": 500,
            "floor_area": "100.00",
            "property_mode": "menu",
            "year_built": 1990,
        },
    )
    assert edit.status_code == (302 if may_change else (403 if sees_a else 404))
    tree["compound_a"].refresh_from_db()
    assert (tree["compound_a"].address == "网页地址") is may_change


def test_subdistrict_filter_cannot_reach_another_subdistrict(tree, actors, client):
    client.force_login(actors["subdistrict_official"])
    page = client.get(reverse("communities:compound-list"), {"subdistrict": tree["sub_b"].pk}).content.decode()
    assert "嘉美花园" not in page


def test_admin_lists_only_scope_for_staff_official(tree, actors, client):
    official = actors["subdistrict_official"]
    official.is_staff = True
    official.save()
    from django.contrib.auth.models import Permission

    official.user_permissions.add(*Permission.objects.filter(codename__in=["view_compound", "change_compound"]))
    client.force_login(official)
    page = client.get("/admin/communities/compound/").content.decode()
    assert "屿后南里小区" in page and "嘉美花园" not in page
    assert client.get(f"/admin/communities/compound/{tree['compound_b'].pk}/change/").status_code == 302


@pytest.mark.parametrize(
    "role,masked",
    [
        ("district_official", False),
        ("subdistrict_official", False),
        ("community_secretary", False),
        ("contractor", True),
        ("inspector", True),
    ],
)
def test_building_lead_phones_are_masked_for_roles_that_do_not_need_them(role, masked, tree, actors, api_as):
    from communities.models import BuildingLead

    lead = BuildingLead.objects.create(
        building=tree["building_a"], name="徐林", phone="13912345678", chosen_by="appointed", chosen_on="2024-01-01"
    )
    body = api_as(actors[role]).get(f"/api/v1/building-leads/{lead.pk}/").json()
    assert body["phone"] == ("139****5678" if masked else "13912345678")
    listing = api_as(actors[role]).get("/api/v1/building-leads/").content.decode()
    assert ("13912345678" in listing) is not masked
