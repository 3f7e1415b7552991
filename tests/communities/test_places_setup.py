"""Setting up the place tree without /admin/: district officials add and rename the subdistricts and communities
of their district; subdistrict officials (and district officials above) add compounds and buildings in their
subdistrict. Every other role, and every official outside their part of the tree, is refused and nothing is
written (web and API)."""

import pytest
from django.urls import reverse

from communities.choices import RoleKind
from communities.models import ApiToken, Building, Community, Compound, Subdistrict
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db


@pytest.fixture
def others(tree):
    """A second district with its own official, and officials of the tree's two subdistricts."""
    other_district = f.DistrictFactory(name="湖里区")
    return {
        "other_district": other_district,
        "foreign_district_official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=other_district),
        "sub_b_official": f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_b"]),
    }


def _actor(name, actors, others):
    return others[name] if name in others else actors[name]


def _counts():
    return (Subdistrict.objects.count(), Community.objects.count(), Compound.objects.count(), Building.objects.count())


# --- API: who may POST what where ---

SUBDISTRICT_MATRIX = [
    ("district_official", 201),
    ("foreign_district_official", 403),
    ("subdistrict_official", 403),
    ("community_secretary", 403),
    ("contractor", 403),
    ("inspector", 403),
]


@pytest.mark.parametrize("actor,expected", SUBDISTRICT_MATRIX)
def test_api_create_subdistrict_matrix(tree, actors, others, api_as, actor, expected):
    before = _counts()
    client = api_as(_actor(actor, actors, others))
    response = client.post(
        "/api/v1/subdistricts/", {"district": tree["district"].pk, "code": "350203001", "name": "新街道"}, format="json"
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        assert response.json()["district"] == tree["district"].pk
        assert Subdistrict.objects.filter(code="350203001", district=tree["district"]).exists()
    else:
        assert _counts() == before


@pytest.mark.parametrize("actor,expected", SUBDISTRICT_MATRIX)
def test_api_create_community_matrix(tree, actors, others, api_as, actor, expected):
    before = _counts()
    client = api_as(_actor(actor, actors, others))
    response = client.post(
        "/api/v1/communities/", {"subdistrict": tree["sub_a"].pk, "code": "C-NEW", "name": "新社区"}, format="json"
    )
    assert response.status_code == expected, response.content
    if expected != 201:
        assert _counts() == before
    else:
        assert Community.objects.get(code="C-NEW").subdistrict == tree["sub_a"]


COMPOUND_MATRIX = [
    ("district_official", 201),
    ("subdistrict_official", 201),
    ("foreign_district_official", 403),
    ("sub_b_official", 403),
    ("community_secretary", 403),
    ("contractor", 403),
    ("inspector", 403),
]


@pytest.mark.parametrize("actor,expected", COMPOUND_MATRIX)
def test_api_create_compound_matrix(tree, actors, others, api_as, actor, expected):
    before = _counts()
    client = api_as(_actor(actor, actors, others))
    response = client.post(
        "/api/v1/compounds/",
        {"community": tree["comm_a"].pk, "code": "XQ-NEW", "name": "新小区", "year_built": 1988},
        format="json",
        HTTP_IDEMPOTENCY_KEY=f"compound-{actor}",
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        body = response.json()
        assert body["code"] == "XQ-NEW" and body["community"] == tree["comm_a"].pk and body["year_built"] == 1988
        assert response.headers["ETag"]
    else:
        assert _counts() == before


@pytest.mark.parametrize("actor,expected", COMPOUND_MATRIX)
def test_api_create_building_matrix(tree, actors, others, api_as, actor, expected):
    before = _counts()
    client = api_as(_actor(actor, actors, others))
    response = client.post(
        "/api/v1/buildings/",
        {"compound": tree["compound_a"].pk, "number": "9号楼", "floors": 6},
        format="json",
    )
    assert response.status_code == expected, response.content
    if expected == 201:
        assert Building.objects.get(compound=tree["compound_a"], number="9号楼").floors == 6
    else:
        assert _counts() == before


def test_api_retried_compound_post_creates_one(tree, actors, api):
    key = ApiToken.issue(user=actors["subdistrict_official"], device_name="测试机")[1]
    body = {"community": tree["comm_a"].pk, "code": "XQ-RETRY", "name": "重试小区"}
    headers = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_IDEMPOTENCY_KEY": "k-place-1"}
    first = api.post("/api/v1/compounds/", body, format="json", **headers)
    second = api.post("/api/v1/compounds/", body, format="json", **headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Compound.objects.filter(code="XQ-RETRY").count() == 1


def test_api_codes_are_unique_with_a_field_error(tree, actors, api_as):
    client = api_as(actors["district_official"])
    taken = tree["sub_b"].code
    response = client.post(
        "/api/v1/subdistricts/", {"district": tree["district"].pk, "code": taken, "name": "重复"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "code"
    assert response.json()["errors"][0]["code"] == "code_taken"
    response = client.post(
        "/api/v1/compounds/",
        {"community": tree["comm_a"].pk, "code": tree["compound_b"].code, "name": "重复"},
        format="json",
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "code_taken"
    response = client.post("/api/v1/buildings/", {"compound": tree["compound_a"].pk, "number": "1号楼"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "number_taken"
    response = client.post(
        "/api/v1/communities/", {"subdistrict": tree["sub_a"].pk, "code": "  ", "name": "空"}, format="json"
    )
    assert response.status_code == 400
    assert Subdistrict.objects.filter(name="重复").count() == 0 and Community.objects.filter(name="空").count() == 0


def test_api_patch_subdistrict_and_community_needs_etag_and_scope(tree, actors, others, api_as):
    url = f"/api/v1/subdistricts/{tree['sub_a'].pk}/"
    own = api_as(actors["district_official"])
    assert own.patch(url, {"name": "改名街道"}, format="json").status_code == 428
    response = etag_patch(own, url, {"name": "改名街道"})
    assert response.status_code == 200, response.content
    tree["sub_a"].refresh_from_db()
    assert tree["sub_a"].name == "改名街道"
    # The district cannot be moved by PATCH (a read-only field).
    etag_patch(own, url, {"district": others["other_district"].pk})
    assert Subdistrict.objects.get(pk=tree["sub_a"].pk).district == tree["district"]
    for name in ("subdistrict_official", "community_secretary", "inspector"):
        assert etag_patch(api_as(actors[name]), url, {"name": "越权"}).status_code in (403, 404)
    assert etag_patch(api_as(others["foreign_district_official"]), url, {"name": "越权"}).status_code == 404
    community_url = f"/api/v1/communities/{tree['comm_a'].pk}/"
    response = etag_patch(api_as(actors["district_official"]), community_url, {"party_secretary_name": "李书记"})
    assert response.status_code == 200, response.content
    assert etag_patch(api_as(actors["subdistrict_official"]), community_url, {"name": "越权"}).status_code == 403
    tree["sub_a"].refresh_from_db()
    tree["comm_a"].refresh_from_db()
    assert tree["sub_a"].name == "改名街道" and tree["comm_a"].name != "越权"
    assert tree["comm_a"].party_secretary_name == "李书记"


def test_api_patch_renaming_to_a_taken_code_is_refused(tree, actors, api_as):
    url = f"/api/v1/communities/{tree['comm_a'].pk}/"
    response = etag_patch(api_as(actors["district_official"]), url, {"code": tree["comm_b"].code})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "code_taken"


def test_api_compound_in_a_foreign_community_is_refused_for_subdistrict_official(tree, actors, api_as):
    response = api_as(actors["subdistrict_official"]).post(
        "/api/v1/compounds/", {"community": tree["comm_b"].pk, "code": "XQ-B", "name": "越权"}, format="json"
    )
    assert response.status_code == 403
    assert not Compound.objects.filter(code="XQ-B").exists()


# --- Web: the same rules on the pages, with the buttons shown only to those who may use them ---

COMPOUND_FORM = {
    "code": "XQ-WEB",
    "name": "网页小区",
    "address": "",
    "year_built": "1990",
    "building_count": "3",
    "household_count": "90",
    "resident_count": "250",
    "floor_area": "5000",
    "property_mode": "none",
}


@pytest.mark.parametrize("actor,expected", COMPOUND_MATRIX)
def test_web_add_compound_matrix(tree, actors, others, client, actor, expected):
    client.force_login(_actor(actor, actors, others))
    before = _counts()
    response = client.post(reverse("communities:compound-create"), {**COMPOUND_FORM, "community": tree["comm_a"].pk})
    if expected == 201:
        compound = Compound.objects.get(code="XQ-WEB")
        assert response.status_code == 302 and response.url == reverse(
            "communities:compound-detail", args=[compound.pk]
        )
        assert compound.community == tree["comm_a"] and compound.household_count == 90
    else:
        # Refused outright (403), or the community is not offered to them (a form error): nothing written.
        assert response.status_code in (200, 403)
        if response.status_code == 200:
            assert "community" in response.context["form"].errors
        assert _counts() == before


def test_web_compound_list_and_detail_show_add_buttons_to_officials_only(tree, actors, client):
    detail = reverse("communities:compound-detail", args=[tree["compound_a"].pk])
    client.force_login(actors["subdistrict_official"])
    assert 'data-testid="add-compound"' in client.get(reverse("communities:compound-list")).content.decode()
    assert 'data-testid="add-building"' in client.get(detail).content.decode()
    client.force_login(actors["community_secretary"])
    assert 'data-testid="add-compound"' not in client.get(reverse("communities:compound-list")).content.decode()
    assert 'data-testid="add-building"' not in client.get(detail).content.decode()
    assert client.get(reverse("communities:compound-create")).status_code == 403


def test_web_add_building_with_duplicate_number_is_a_form_error(tree, actors, client):
    client.force_login(actors["subdistrict_official"])
    url = reverse("communities:building-create", args=[tree["compound_a"].pk])
    form = {"number": "1号楼", "floors": "6", "stairwells": "1", "household_count": "24"}
    response = client.post(url, form)
    assert response.status_code == 200 and "number" in response.context["form"].errors
    assert client.post(url, {**form, "number": "2号楼"}).status_code == 302
    assert tree["compound_a"].buildings.filter(number="2号楼", floors=6).exists()


@pytest.mark.parametrize("actor", ["sub_b_official", "community_secretary", "contractor", "foreign_district_official"])
def test_web_add_building_outside_scope_is_refused(tree, actors, others, client, actor):
    client.force_login(_actor(actor, actors, others))
    url = reverse("communities:building-create", args=[tree["compound_a"].pk])
    response = client.post(url, {"number": "8号楼", "stairwells": "1", "household_count": "0"})
    assert response.status_code in (403, 404)
    assert not Building.objects.filter(number="8号楼").exists()


def test_web_district_official_sets_up_subdistricts_and_communities(tree, actors, others, client):
    client.force_login(actors["district_official"])
    page = client.get(reverse("communities:places")).content.decode()
    assert tree["sub_a"].name in page and tree["comm_a"].name in page
    url = reverse("communities:subdistrict-create")
    dup = client.post(url, {"district": tree["district"].pk, "code": tree["sub_a"].code, "name": "重复"})
    assert dup.status_code == 200 and "code" in dup.context["form"].errors
    foreign = client.post(url, {"district": others["other_district"].pk, "code": "999", "name": "越权"})
    assert foreign.status_code == 200 and "district" in foreign.context["form"].errors
    assert client.post(url, {"district": tree["district"].pk, "code": "350203009", "name": "新街道"}).status_code == 302
    new_sub = Subdistrict.objects.get(code="350203009")
    response = client.post(
        reverse("communities:community-create"),
        {"subdistrict": new_sub.pk, "code": "C-WEB", "name": "新社区", "party_secretary_name": ""},
    )
    assert response.status_code == 302
    community = Community.objects.get(code="C-WEB")
    assert community.subdistrict == new_sub
    edit = reverse("communities:community-edit", args=[community.pk])
    assert client.post(edit, {"code": "C-WEB", "name": "改名社区", "party_secretary_name": "张"}).status_code == 302
    community.refresh_from_db()
    assert community.name == "改名社区"
    assert Subdistrict.objects.filter(name__in=["重复", "越权"]).count() == 0


@pytest.mark.parametrize("actor", ["subdistrict_official", "community_secretary", "inspector", "contractor"])
def test_web_place_setup_pages_are_for_district_officials(tree, actors, client, actor):
    client.force_login(actors[actor])
    before = _counts()
    assert client.get(reverse("communities:places")).status_code == 403
    assert (
        client.post(
            reverse("communities:subdistrict-create"), {"district": tree["district"].pk, "code": "1", "name": "x"}
        ).status_code
        == 403
    )
    edit = reverse("communities:subdistrict-edit", args=[tree["sub_a"].pk])
    assert client.post(edit, {"code": "1", "name": "x"}).status_code == 403
    edit = reverse("communities:community-edit", args=[tree["comm_a"].pk])
    assert client.post(edit, {"code": "1", "name": "x", "party_secretary_name": ""}).status_code == 403
    assert _counts() == before
    tree["sub_a"].refresh_from_db()
    assert tree["sub_a"].name != "x"


def test_web_foreign_district_official_cannot_edit_our_places(tree, others, client):
    client.force_login(others["foreign_district_official"])
    edit = reverse("communities:subdistrict-edit", args=[tree["sub_a"].pk])
    assert client.post(edit, {"code": "1", "name": "x"}).status_code == 404
    tree["sub_a"].refresh_from_db()
    assert tree["sub_a"].name != "x"


# --- Import of compounds with their buildings (CSV/XLSX): dry run, all or nothing, matched by code ---

HEADER = "社区代码,小区代码,小区名称,地址,建成年份,楼栋号,层数,户数\n"


def _csv(tree, *lines, name="places.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = HEADER + "".join(line.format(comm=tree["comm_a"].code) + "\n" for line in lines)
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


GOOD = (
    "{comm},XQ-IMP-1,导入一号小区,湖滨南路1号,1985,1号楼,6,24",
    "{comm},XQ-IMP-1,导入一号小区,湖滨南路1号,1985,2号楼,7,28",
    "{comm},XQ-IMP-2,导入二号小区,,1992,,,",
)


def test_import_dry_run_writes_nothing_then_import_then_reimport_changes_nothing(tree, actors, api_as):
    client = api_as(actors["subdistrict_official"])
    url = "/api/v1/compounds/import/"
    before = _counts()
    dry = client.post(url, {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *GOOD)}, format="multipart")
    assert dry.status_code == 200, dry.content
    assert dry.json()["compounds_created"] == 2 and dry.json()["buildings_created"] == 2
    assert dry.json()["committed"] is False and _counts() == before
    done = client.post(
        url, {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *GOOD), "dry_run": "false"}, format="multipart"
    )
    assert done.status_code == 200 and done.json()["committed"] is True
    compound = Compound.objects.get(code="XQ-IMP-1")
    assert compound.community == tree["comm_a"] and compound.year_built == 1985
    assert sorted(compound.buildings.values_list("number", "floors")) == [("1号楼", 6), ("2号楼", 7)]
    # A new compound counts the buildings and households of its rows; one without buildings counts none.
    assert (compound.building_count, compound.household_count) == (2, 52)
    assert Compound.objects.filter(code="XQ-IMP-2", building_count=0, household_count=0).exists()
    # Figures corrected on the compound page stay: a re-import does not count them again.
    Compound.objects.filter(pk=compound.pk).update(household_count=60)
    after = _counts()
    again = client.post(
        url, {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *GOOD), "dry_run": "false"}, format="multipart"
    )
    body = again.json()
    assert again.status_code == 200 and _counts() == after
    assert Compound.objects.get(code="XQ-IMP-1").household_count == 60
    assert (
        body["compounds_created"],
        body["compounds_updated"],
        body["buildings_created"],
        body["buildings_updated"],
    ) == (
        0,
        0,
        0,
        0,
    )


def test_import_with_a_bad_row_lists_every_error_and_writes_nothing(tree, actors, api_as, client):
    bad = (
        *GOOD,
        "NOPE,XQ-IMP-3,坏社区小区,,1990,,,",
        "{comm},XQ-IMP-4,年份错,,1800,1号楼,abc,",
        "{comm},XQ-IMP-1,导入一号小区,湖滨南路1号,1985,1号楼,6,24",
    )
    before = _counts()
    response = api_as(actors["subdistrict_official"]).post(
        "/api/v1/compounds/import/",
        {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *bad), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 400
    rows = [e["detail"] for e in response.json()["errors"]]
    assert [d.split(":")[0] for d in rows] == ["第 5 行", "第 6 行", "第 7 行"]  # in the request's language
    assert _counts() == before
    # The web page shows the same rows and writes nothing either.
    client.force_login(actors["subdistrict_official"])
    page = client.post(
        reverse("communities:places-import"),
        {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *bad), "action": "import"},
    )
    assert page.status_code == 200 and len(page.context["report"].errors) == 3
    assert _counts() == before


def test_web_import_xlsx(tree, actors, client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([tree["comm_a"].code, "XQ-XLSX", "表格小区", "", 2001, "3号楼", 11.0, 44])
    buffer = __import__("io").BytesIO()
    workbook.save(buffer)
    client.force_login(actors["district_official"])
    upload = SimpleUploadedFile("p.xlsx", buffer.getvalue())
    page = client.post(
        reverse("communities:places-import"), {"subdistrict": tree["sub_a"].pk, "file": upload, "action": "check"}
    )
    assert (
        page.status_code == 200 and page.context["report"].ok and not Compound.objects.filter(code="XQ-XLSX").exists()
    )
    upload = SimpleUploadedFile("p.xlsx", buffer.getvalue())
    page = client.post(
        reverse("communities:places-import"), {"subdistrict": tree["sub_a"].pk, "file": upload, "action": "import"}
    )
    assert page.context["report"].committed
    assert Building.objects.get(compound__code="XQ-XLSX", number="3号楼").floors == 11


@pytest.mark.parametrize(
    "actor,expected",
    [
        ("sub_b_official", 404),
        ("foreign_district_official", 404),
        ("community_secretary", 404),
        ("contractor", 404),
        ("inspector", 403),
    ],
)
def test_import_outside_scope_is_refused(tree, actors, others, api_as, actor, expected):
    before = _counts()
    response = api_as(_actor(actor, actors, others)).post(
        "/api/v1/compounds/import/",
        {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *GOOD), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == expected, response.content
    assert _counts() == before


def test_import_of_a_compound_of_another_community_is_a_row_error(tree, actors, api_as):
    line = "{comm}," + tree["compound_b"].code + ",改名,,1990,,,"
    response = api_as(actors["district_official"]).post(
        "/api/v1/compounds/import/", {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, line)}, format="multipart"
    )
    assert response.status_code == 200 and len(response.json()["errors"]) == 1
    tree["compound_b"].refresh_from_db()
    assert tree["compound_b"].name != "改名"


# --- a compound's building_count is the number of its buildings, on every path ---


def _building_count(compound):
    return Compound.objects.get(pk=compound.pk).building_count


def test_building_count_follows_buildings_added_and_removed_through_the_api(tree, actors, others, api_as):
    compound = tree["compound_a"]  # one building in the tree; the factory's count (5) was entered by hand
    client = api_as(actors["subdistrict_official"])
    created = client.post("/api/v1/buildings/", {"compound": compound.pk, "number": "2号楼"}, format="json")
    assert created.status_code == 201 and _building_count(compound) == 2
    assert client.get(f"/api/v1/compounds/{compound.pk}/").json()["building_count"] == 2
    # The count is not entered: it is read-only, a PATCH naming it changes nothing.
    etag_patch(client, f"/api/v1/compounds/{compound.pk}/", {"building_count": 9})
    assert _building_count(compound) == 2
    # Removing: the secretary and another subdistrict's official may not; the subdistrict's official may.
    url = f"/api/v1/buildings/{created.json()['id']}/"
    assert api_as(actors["community_secretary"]).delete(url).status_code == 403
    assert api_as(others["sub_b_official"]).delete(url).status_code == 404
    assert _building_count(compound) == 2
    client = api_as(actors["subdistrict_official"])  # api_as logs the one test client in as another user
    assert client.delete(url).status_code == 204
    assert _building_count(compound) == 1 and not Building.objects.filter(pk=created.json()["id"]).exists()


def test_a_building_with_records_is_not_removed(tree, actors, api_as, client):
    from consultations.models import OwnerUnit

    building = tree["building_a"]
    OwnerUnit.objects.create(compound=building.compound, building=building, unit="101", owner_name="甲", area=80)
    response = api_as(actors["subdistrict_official"]).delete(f"/api/v1/buildings/{building.pk}/")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "building_in_use"
    client.force_login(actors["subdistrict_official"])
    page = client.post(reverse("communities:building-delete", args=[building.pk]), follow=True)
    assert page.status_code == 200 and Building.objects.filter(pk=building.pk).exists()


def test_building_count_follows_buildings_added_and_removed_on_the_web(tree, actors, others, client):
    compound = tree["compound_a"]
    client.force_login(actors["subdistrict_official"])
    form = {"number": "3号楼", "floors": "6", "stairwells": "1", "household_count": "24"}
    added = client.post(reverse("communities:building-create", args=[compound.pk]), form)
    assert added.status_code == 302 and _building_count(compound) == 2
    new = Building.objects.get(compound=compound, number="3号楼")
    detail = client.get(reverse("communities:compound-detail", args=[compound.pk])).content.decode()
    assert f'data-testid="delete-building-{new.pk}"' in detail
    for outsider in (actors["community_secretary"], others["sub_b_official"]):
        client.force_login(outsider)
        assert client.post(reverse("communities:building-delete", args=[new.pk])).status_code in (403, 404)
    assert _building_count(compound) == 2
    client.force_login(actors["subdistrict_official"])
    assert client.post(reverse("communities:building-delete", args=[new.pk])).status_code == 302
    assert _building_count(compound) == 1


def test_building_count_follows_the_import(tree, actors, api_as):
    client = api_as(actors["subdistrict_official"])
    url = "/api/v1/compounds/import/"
    body = {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *GOOD), "dry_run": "false"}
    assert client.post(url, body, format="multipart").status_code == 200
    assert _building_count(Compound.objects.get(code="XQ-IMP-1")) == 2
    assert _building_count(Compound.objects.get(code="XQ-IMP-2")) == 0
    more = (*GOOD, "{comm},XQ-IMP-2,导入二号小区,,1992,1号楼,5,20")
    body = {"subdistrict": tree["sub_a"].pk, "file": _csv(tree, *more), "dry_run": "false"}
    assert client.post(url, body, format="multipart").status_code == 200
    assert _building_count(Compound.objects.get(code="XQ-IMP-2")) == 1


def test_the_place_setup_is_in_the_district_officials_navigation(actors, client):
    """The subdistricts and communities are set up at /places/setup/: a district official finds it in the menu on
    every page, other roles (who may not use it) do not see the entry."""
    url = reverse("communities:places")
    client.force_login(actors["district_official"])
    assert f'href="{url}"' in client.get(reverse("communities:compound-list")).content.decode()
    for role in ("subdistrict_official", "community_secretary"):
        client.force_login(actors[role])
        assert f'href="{url}"' not in client.get(reverse("communities:compound-list")).content.decode()


def test_web_district_official_adds_a_subdistrict(tree, actors, client):
    """The form of a new subdistrict opens and saves (it offers the official's districts, no city or province)."""
    client.force_login(actors["district_official"])
    page = client.get(reverse("communities:subdistrict-create"))
    assert page.status_code == 200 and set(page.context["form"].fields) == {"district", "code", "name"}
    response = client.post(
        reverse("communities:subdistrict-create"),
        {"district": tree["district"].pk, "code": "350203009", "name": "新街道"},
    )
    assert response.status_code == 302
    assert Subdistrict.objects.get(code="350203009").district == tree["district"]
