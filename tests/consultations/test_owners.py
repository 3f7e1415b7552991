"""The owners' roll with owners: one owner holds one or more units; the import matches owners by name and phone in
the compound; units are added, edited and retired one at a time with their history; a vote freezes each unit's
owner and counts an owner of several units once by head (Civil Code Article 278; SPC interpretation on
co-ownership, Art. 9)."""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from consultations import services
from consultations.choices import BallotChannel, BallotChoice, Electorate, MatterType, OwnerKind, Step, VoteResult
from consultations.models import Ballot, Owner, OwnerUnit, UnitChange
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db
HEADER = "楼栋,单元,房号,业主,电话,专有部分面积"


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


def _csv(rows):
    return SimpleUploadedFile("roll.csv", ("\n".join([HEADER, *rows]) + "\n").encode(), "text/csv")


def _import(tree, secretary, rows):
    report = services.owner_roll_import(actor=secretary, compound=tree["compound_a"], upload=_csv(rows))
    assert report.ok, report.errors
    return report


NINE_UNITS = [  # owner 甲 (one phone) holds three units: 9 units, 7 owners
    "1号楼,1,101,甲,13900000001,100",
    "1号楼,1,102,甲,13900000001,100",
    "1号楼,1,103,甲,13900000001,100",
    "1号楼,1,201,乙,13900000002,100",
    "1号楼,1,202,丙,13900000003,100",
    "1号楼,1,203,丁,13900000004,100",
    "1号楼,1,301,戊,13900000005,100",
    "1号楼,1,302,己,13900000006,100",
    "1号楼,1,303,庚,13900000007,100",
]


# --- the import creates and matches owners ---


def test_import_makes_one_owner_of_the_same_name_and_phone(tree, secretary):
    _import(tree, secretary, NINE_UNITS)
    assert Owner.objects.filter(compound=tree["compound_a"]).count() == 7
    jia = Owner.objects.get(name="甲")
    assert sorted(jia.units.values_list("unit", flat=True)) == ["101", "102", "103"]
    assert not OwnerUnit.objects.filter(owner__isnull=True).exists()


def test_the_same_name_with_another_phone_is_another_owner(tree, secretary):
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,80", "1号楼,1,102,张三,13900000009,80"])
    assert Owner.objects.filter(name="张三").count() == 2


def test_a_second_import_matches_the_existing_owner_and_the_same_name_in_another_compound_is_another(
    tree, secretary, actors
):
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,80"])
    owner = Owner.objects.get()
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,80", "1号楼,1,102,张三,13900000001,70"])
    assert Owner.objects.count() == 1 and set(OwnerUnit.objects.values_list("owner", flat=True)) == {owner.pk}
    services.owner_roll_import(
        actor=actors["district_official"],
        compound=tree["compound_b"],
        upload=_csv(["1号楼,1,101,张三,13900000001,80"]),
    )
    assert Owner.objects.count() == 2


def test_an_import_that_changes_a_units_owner_moves_it_to_that_owner(tree, secretary):
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,80", "1号楼,1,102,李四,13900000002,80"])
    _import(tree, secretary, ["1号楼,1,101,李四,13900000002,80"])
    assert OwnerUnit.objects.get(unit="101").owner == Owner.objects.get(name="李四")


def test_the_data_migration_makes_owners_of_the_existing_roll(tree):
    """Rows written before owners existed: same compound + name + phone → one owner."""
    for unit, name, phone in [("101", "甲", "1"), ("102", "甲", "1"), ("103", "甲", "2"), ("104", "乙", "")]:
        OwnerUnit.objects.create(
            compound=tree["compound_a"],
            building=tree["building_a"],
            unit=unit,
            owner_name=name,
            owner_phone=phone,
            area=1,
        )
    OwnerUnit.objects.create(
        compound=tree["compound_b"], building=tree["building_b"], unit="101", owner_name="甲", owner_phone="1", area=1
    )
    migration = importlib.import_module("consultations.migrations.0003_owners_and_unit_history")
    migration.owners_from_roll(django_apps, SimpleNamespace(connection=connection))
    assert Owner.objects.count() == 4
    units = {u.unit + str(u.compound_id): u.owner_id for u in OwnerUnit.objects.all()}
    a, b = tree["compound_a"].pk, tree["compound_b"].pk
    assert units[f"101{a}"] == units[f"102{a}"] != units[f"103{a}"]
    assert units[f"101{b}"] != units[f"101{a}"]


# --- per-unit add, edit and retire with history ---


def test_add_edit_and_retire_a_unit_with_its_history(tree, secretary):
    compound = tree["compound_a"]
    owner = services.owner_create(actor=secretary, compound=compound, name="王五", phone="13900000005", id_tail="123x")
    assert owner.id_tail == "123X"
    unit = services.owner_unit_add(
        actor=secretary, compound=compound, building=tree["building_a"], unit=" 1０1 ", area="80.5", owner=owner
    )
    assert (unit.unit, unit.owner_name, unit.owner_phone) == ("101", "王五", "13900000005")
    developer = services.owner_create(actor=secretary, compound=compound, name="某开发商", kind=OwnerKind.DEVELOPER)
    services.owner_unit_update(actor=secretary, owner_unit=unit, area="81", owner=developer, note="更正")
    unit.refresh_from_db()
    assert (unit.area, unit.owner, unit.owner_name) == (Decimal("81.00"), developer, "某开发商")
    services.owner_unit_retire(actor=secretary, owner_unit=unit, note="合并")
    unit.refresh_from_db()
    assert unit.retired_at is not None and OwnerUnit.objects.filter(pk=unit.pk).exists()
    history = list(unit.changes.order_by("id").values_list("action", "changes", "actor", "note"))
    assert [h[0] for h in history] == [UnitChange.Action.ADDED, UnitChange.Action.EDITED, UnitChange.Action.RETIRED]
    assert history[1][1] == {"area": ["80.50", "81.00"], "owner": ["王五", "某开发商"]} and history[1][3] == "更正"
    assert {h[2] for h in history} == {secretary.pk}
    # the retired unit's label may be entered again, and an edit of the retired one is refused
    services.owner_unit_add(
        actor=secretary, compound=compound, building=tree["building_a"], unit="101", area="40", owner=owner
    )
    with pytest.raises(DomainError) as refused:
        services.owner_unit_update(actor=secretary, owner_unit=unit, area="1")
    assert refused.value.code == "unit_retired"


@pytest.mark.parametrize(
    "values,code",
    [
        ({"area": "0"}, "bad_area"),
        ({"area": "-3"}, "bad_area"),
        ({"area": "1.234"}, "bad_area"),
        ({"area": "abc"}, "bad_area"),
        ({"area": "NaN"}, "bad_area"),
        ({"unit": ""}, "bad_unit"),
        ({"unit": "1" * 21}, "bad_unit"),
        ({"stairwell": 0}, "bad_stairwell"),
        ({"unit": "101"}, "unit_exists"),
        ({"owner": "foreign"}, "foreign_owner"),
        ({"building": "foreign"}, "building_required"),
    ],
)
def test_a_bad_unit_is_refused_and_nothing_is_written(tree, secretary, actors, values, code):
    compound = tree["compound_a"]
    owner = services.owner_create(actor=secretary, compound=compound, name="王五")
    services.owner_unit_add(
        actor=secretary, compound=compound, building=tree["building_a"], unit="101", area="80", owner=owner
    )
    args = {"building": tree["building_a"], "unit": "102", "area": "80", "owner": owner, **values}
    if args["owner"] == "foreign":
        args["owner"] = services.owner_create(actor=actors["district_official"], compound=tree["compound_b"], name="x")
    if args["building"] == "foreign":
        args["building"] = tree["building_b"]
    before = (OwnerUnit.objects.count(), UnitChange.objects.count())
    with pytest.raises(DomainError) as refused:
        services.owner_unit_add(actor=secretary, compound=compound, **args)
    assert refused.value.code == code
    assert (OwnerUnit.objects.count(), UnitChange.objects.count()) == before


def test_namesakes_are_told_apart_by_the_id_tail_and_a_duplicate_owner_is_refused(tree, secretary):
    compound = tree["compound_a"]
    services.owner_create(actor=secretary, compound=compound, name="张伟", phone="1", id_tail="0001")
    services.owner_create(actor=secretary, compound=compound, name="张伟", phone="1", id_tail="0002")
    with pytest.raises(DomainError) as refused:
        services.owner_create(actor=secretary, compound=compound, name="张伟", phone="1", id_tail="0002")
    assert refused.value.code == "owner_exists"
    with pytest.raises(DomainError) as refused:
        services.owner_create(actor=secretary, compound=compound, name="张伟", id_tail="12345")
    assert refused.value.code == "bad_id_tail"


def test_renaming_an_owner_renames_their_units_with_history(tree, secretary):
    _import(tree, secretary, NINE_UNITS[:3])
    owner = Owner.objects.get()
    services.owner_update(actor=secretary, owner=owner, name="甲某", phone="13911112222")
    assert set(OwnerUnit.objects.values_list("owner_name", "owner_phone")) == {("甲某", "13911112222")}
    assert UnitChange.objects.filter(action=UnitChange.Action.EDITED).count() == 3


def test_people_who_do_not_run_the_compound_may_not_change_its_roll(tree, secretary, actors):
    owner = services.owner_create(actor=secretary, compound=tree["compound_a"], name="王五")
    for role in ("contractor", "inspector", "outsider"):
        with pytest.raises(Exception) as refused:
            services.owner_unit_add(
                actor=actors[role],
                compound=tree["compound_a"],
                building=tree["building_a"],
                unit="101",
                area="80",
                owner=owner,
            )
        assert refused.type.__name__ == "PermissionDenied"
    assert not OwnerUnit.objects.exists()


# --- votes: the owner is frozen at opening, one owner is one head and votes once with all their units ---


def _open_vote(tree, secretary, matter=MatterType.REBUILD):
    topic = services.topic_create(actor=secretary, compound=tree["compound_a"], title="加装电梯")
    topic.step = Step.DELIBERATION
    topic.save(update_fields=["step"])
    vote = services.vote_create(
        actor=secretary, topic=topic, title="是否加装电梯", matter_type=matter, electorate=Electorate.COMPOUND
    )
    return services.vote_open(actor=secretary, vote=vote)


def _ballot(secretary, vote, voter, choice):
    return services.ballot_record(
        actor=secretary, vote=vote, voter=voter, choice=choice, channel=BallotChannel.ONLINE, confirmation_ref="r"
    )


def test_a_vote_counts_an_owner_of_three_units_as_one_head_and_freezes_the_owner(tree, secretary):
    _import(tree, secretary, NINE_UNITS)
    vote = _open_vote(tree, secretary)
    jia = Owner.objects.get(name="甲")
    assert vote.voters.filter(owner=jia).count() == 3
    # later roll changes do not reach the frozen electorate
    unit_101 = OwnerUnit.objects.get(unit="101")
    other = services.owner_create(actor=secretary, compound=tree["compound_a"], name="新业主")
    services.owner_unit_update(actor=secretary, owner_unit=unit_101, owner=other)
    services.owner_unit_retire(actor=secretary, owner_unit=OwnerUnit.objects.get(unit="303"))
    result = services.vote_tally(vote)
    assert (result.total_owners, result.total_area) == (7, Decimal("900"))
    # 甲's one ballot covers all three units: the owner votes once, with all their area
    voters = {v.unit_label: v for v in vote.voters.all()}
    _ballot(secretary, vote, voters["1号楼 101"], BallotChoice.FOR)
    assert Ballot.objects.filter(voter__vote=vote, choice=BallotChoice.FOR).count() == 3
    with pytest.raises(DomainError) as refused:
        _ballot(secretary, vote, voters["1号楼 102"], BallotChoice.AGAINST)
    assert refused.value.code == "already_voted"
    for label in ("1号楼 201", "1号楼 202", "1号楼 203"):
        _ballot(secretary, vote, voters[label], BallotChoice.FOR)
    # 6 of 9 units (2/3) took part, but 4 of 7 owners: participation fails (it passed when units were heads)
    result = services.vote_tally(vote)
    assert (result.voted_owners, result.voted_area, result.online_ballots) == (4, Decimal("600"), 4)
    assert not result.owner_participation_met
    closed = services.vote_close(actor=secretary, vote=vote)
    assert closed.result == VoteResult.FAILED_PARTICIPATION


def test_a_retired_unit_is_not_in_a_later_vote(tree, secretary):
    _import(tree, secretary, NINE_UNITS)
    services.owner_unit_retire(actor=secretary, owner_unit=OwnerUnit.objects.get(unit="303"))
    vote = _open_vote(tree, secretary)
    assert vote.voters.count() == 8 and services.vote_tally(vote).total_owners == 6


def test_a_ballot_of_a_unit_without_an_owner_record_covers_only_that_unit(tree, secretary):
    """Units written outside the services (no owner record) count as their own heads, as before."""
    for unit in ("101", "102"):
        OwnerUnit.objects.create(
            compound=tree["compound_a"], building=tree["building_a"], unit=unit, owner_name="甲", area=50
        )
    vote = _open_vote(tree, secretary)
    _ballot(secretary, vote, vote.voters.order_by("unit_label").first(), BallotChoice.FOR)
    assert Ballot.objects.count() == 1 and services.vote_tally(vote).total_owners == 2


def test_a_scan_is_shared_by_the_ballots_of_an_owners_units(tree, secretary):
    _import(tree, secretary, NINE_UNITS[:3])
    vote = _open_vote(tree, secretary)
    services.ballot_record(
        actor=secretary,
        vote=vote,
        voter=vote.voters.first(),
        choice=BallotChoice.FOR,
        channel=BallotChannel.PAPER,
        scan=f.photo_file("ballot.jpg"),
    )
    scans = set(Ballot.objects.values_list("scan", flat=True))
    assert len(scans) == 1 and scans != {""}


# --- the API: /api/v1/owners/ and owner-units POST / PATCH / retire, role × own / foreign ---

ROLES = ["district_official", "subdistrict_official", "community_secretary", "contractor", "inspector", "outsider"]
# compound_a is in every official's and the secretary's places; compound_b only in the district official's
MAY_CHANGE = {"district_official": {"a", "b"}, "subdistrict_official": {"a"}, "community_secretary": {"a"}}


@pytest.fixture
def rolls(tree, actors):
    official = actors["district_official"]
    made = {}
    for key in ("a", "b"):
        compound = tree[f"compound_{key}"]
        owner = services.owner_create(actor=official, compound=compound, name=f"业主{key}", phone="13912345678")
        unit = services.owner_unit_add(
            actor=official, compound=compound, building=tree[f"building_{key}"], unit="101", area="80", owner=owner
        )
        made[key] = (compound, owner, unit)
    return made


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_api_add_a_unit_matrix(tree, actors, api_as, rolls, role, key):
    compound, owner, _unit = rolls[key]
    client = api_as(actors[role])
    body = {"compound": compound.pk, "building": tree[f"building_{key}"].pk, "unit": "102", "area": "66.5"}
    response = client.post("/api/v1/owner-units/", {**body, "owner": owner.pk}, format="json")
    if key in MAY_CHANGE.get(role, ()):
        assert response.status_code == 201, response.content
        assert response.json()["owner"] == owner.pk and response.json()["area"] == "66.50"
        assert OwnerUnit.objects.filter(compound=compound, unit="102").exists()
    else:
        assert response.status_code in (403, 404), response.content
        assert not OwnerUnit.objects.filter(unit="102").exists()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_api_edit_and_retire_a_unit_matrix(tree, actors, api_as, rolls, role, key):
    _compound, _owner, unit = rolls[key]
    client = api_as(actors[role])
    url = f"/api/v1/owner-units/{unit.pk}/"
    edited = etag_patch(client, url, {"area": "90.25", "note": "复测"})
    retired = client.post(f"{url}retire/", {"note": "合并"}, format="json")
    unit.refresh_from_db()
    if key in MAY_CHANGE.get(role, ()):
        assert edited.status_code == 200 and edited.json()["area"] == "90.25"
        assert retired.status_code == 200 and retired.json()["retired_at"]
        history = client.get(f"{url}history/").json()
        assert [h["action"] for h in history] == ["retired", "edited", "added"]
        assert history[1]["changes"] == {"area": ["80.00", "90.25"]} and history[1]["actor"] == actors[role].pk
    else:
        assert edited.status_code == retired.status_code == 404
        assert unit.area == Decimal("80.00") and unit.retired_at is None


@pytest.mark.parametrize("role", ROLES)
def test_api_owner_list_shows_each_owner_with_their_units_in_the_users_places(actors, api_as, rolls, role):
    response = api_as(actors[role]).get("/api/v1/owners/")
    assert response.status_code == 200
    names = {row["name"]: row for row in response.json()["results"]}
    expected = {f"业主{key}" for key in MAY_CHANGE.get(role, ())}
    assert set(names) == expected
    for key in MAY_CHANGE.get(role, ()):
        assert names[f"业主{key}"]["units"] == [rolls[key][2].pk]
        assert names[f"业主{key}"]["phone"] == "13912345678"  # officials and secretaries see it in full


def test_api_create_and_patch_an_owner(actors, api_as, rolls, tree):
    client = api_as(actors["community_secretary"])
    created = client.post(
        "/api/v1/owners/",
        {"compound": tree["compound_a"].pk, "kind": "developer", "name": "某置业公司"},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/owners/{created.json()['id']}/"
    assert client.patch(url, {"name": "x"}, format="json").status_code == 428  # If-Match is required
    response = etag_patch(client, url, {"name": "某置业有限公司", "phone": "0592-1234567"})
    assert response.status_code == 200 and response.json()["name"] == "某置业有限公司"
    duplicate = client.post(
        "/api/v1/owners/", {"compound": tree["compound_a"].pk, "name": "业主a", "phone": "13912345678"}, format="json"
    )
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == "owner_exists"
    foreign = client.post("/api/v1/owners/", {"compound": tree["compound_b"].pk, "name": "y"}, format="json")
    assert foreign.status_code == 404


def test_api_moving_a_unit_to_an_owner_of_another_compound_is_refused(actors, api_as, rolls):
    client = api_as(actors["district_official"])
    unit, foreign_owner = rolls["a"][2], rolls["b"][1]
    response = etag_patch(client, f"/api/v1/owner-units/{unit.pk}/", {"owner": foreign_owner.pk})
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "foreign_owner"
    # an owner the user may not see is not found
    secretary = api_as(actors["community_secretary"])
    response = etag_patch(secretary, f"/api/v1/owner-units/{unit.pk}/", {"owner": foreign_owner.pk})
    assert response.status_code == 404
    unit.refresh_from_db()
    assert unit.owner == rolls["a"][1]


@pytest.mark.parametrize(
    "body,code",
    [
        ({"area": "0"}, "bad_area"),
        ({"area": "1e3"}, None),
        ({"stairwell": 0}, "min_value"),
        ({"unit": "101"}, "unit_exists"),
        ({"owner": 999999}, "does_not_exist"),
        ({"surprise": 1}, "unknown_field"),
    ],
)
def test_api_bad_unit_input_is_a_400_and_writes_nothing(tree, actors, api_as, rolls, body, code):
    compound, owner, _unit = rolls["a"]
    client = api_as(actors["community_secretary"])
    base = {"compound": compound.pk, "building": tree["building_a"].pk, "unit": "103", "area": "50", "owner": owner.pk}
    before = OwnerUnit.objects.count()
    response = client.post("/api/v1/owner-units/", {**base, **body}, format="json")
    if code is None:  # 1e3 is a number: 1000 m²
        assert response.status_code == 201
        return
    assert response.status_code == 400, response.content
    assert code in {e["code"] for e in response.json()["errors"]}
    assert OwnerUnit.objects.count() == before


def test_api_retiring_twice_is_refused(actors, api_as, rolls):
    client = api_as(actors["community_secretary"])
    url = f"/api/v1/owner-units/{rolls['a'][2].pk}/retire/"
    assert client.post(url, {}, format="json").status_code == 200
    again = client.post(url, {}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "unit_retired"


# --- the web: the roll page with owners; add, edit and retire a unit; role × own / foreign ---


def test_web_roll_page_lists_owners_with_their_units(tree, secretary, client):
    _import(tree, secretary, NINE_UNITS)
    client.force_login(secretary)
    page = client.get(f"/consultations/compounds/{tree['compound_a'].pk}/owners/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-units="3"' in html and "1号楼 101、1号楼 102、1号楼 103" in html


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_web_add_edit_retire_matrix(tree, actors, client, rolls, role, key):
    compound, owner, unit = rolls[key]
    client.force_login(actors[role])
    added = client.post(
        f"/consultations/compounds/{compound.pk}/owners/units/new/",
        {
            "unit-building": tree[f"building_{key}"].pk,
            "unit-stairwell": 1,
            "unit-unit": "102",
            "unit-area": "70",
            "unit-owner": owner.pk,
        },
    )
    edited = client.post(f"/consultations/roll-units/{unit.pk}/", {"stairwell": 2, "area": "81", "owner": owner.pk})
    retired = client.post(f"/consultations/roll-units/{unit.pk}/retire/", {"note": "合并"})
    unit.refresh_from_db()
    if key in MAY_CHANGE.get(role, ()):
        assert added.status_code == edited.status_code == retired.status_code == 302
        assert OwnerUnit.objects.filter(compound=compound, unit="102").exists()
        assert (unit.stairwell, unit.area, unit.retired_at is not None) == (2, Decimal("81.00"), True)
        history = client.get(f"/consultations/roll-units/{unit.pk}/")
        assert history.status_code == 200 and "合并" in history.content.decode()
    else:
        assert added.status_code in (403, 404) and edited.status_code in (403, 404)
        assert retired.status_code in (403, 404)
        assert not OwnerUnit.objects.filter(unit="102").exists()
        assert (unit.area, unit.retired_at) == (Decimal("80.00"), None)


def test_web_a_bad_unit_is_a_form_error_and_writes_nothing(tree, client, actors, rolls):
    compound, owner, _unit = rolls["a"]
    client.force_login(actors["community_secretary"])
    url = f"/consultations/compounds/{compound.pk}/owners/units/new/"
    body = {"unit-building": tree["building_a"].pk, "unit-stairwell": 1, "unit-area": "70", "unit-owner": owner.pk}
    duplicate = client.post(url, {**body, "unit-unit": "101"})
    assert duplicate.status_code == 200 and "invalid-feedback" in duplicate.content.decode()
    negative = client.post(url, {**body, "unit-unit": "105", "unit-area": "-1"})
    assert negative.status_code == 200
    foreign = client.post(url, {**body, "unit-unit": "106", "unit-owner": rolls["b"][1].pk})
    assert foreign.status_code == 200  # an owner of another compound is not a choice
    assert OwnerUnit.objects.filter(compound=compound).count() == 1


def test_web_add_an_owner_and_a_duplicate_is_a_form_error(tree, client, actors, rolls):
    compound = rolls["a"][0]
    client.force_login(actors["community_secretary"])
    url = f"/consultations/compounds/{compound.pk}/owners/new/"
    ok = client.post(url, {"owner-kind": "public_housing", "owner-name": "市公房管理中心"})
    assert ok.status_code == 302 and Owner.objects.get(name="市公房管理中心").kind == OwnerKind.PUBLIC_HOUSING
    again = client.post(url, {"owner-kind": "person", "owner-name": "业主a", "owner-phone": "13912345678"})
    assert again.status_code == 200 and "invalid-feedback" in again.content.decode()


def test_an_import_records_each_new_and_changed_unit_in_its_history(tree, secretary):
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,80", "1号楼,1,102,李四,13900000002,70"])
    _import(tree, secretary, ["1号楼,1,101,张三,13900000001,81", "1号楼,1,102,李四,13900000002,70"])
    unit = OwnerUnit.objects.get(unit="101")
    history = list(unit.changes.order_by("id").values_list("action", "changes", "actor"))
    assert history == [
        (
            UnitChange.Action.IMPORTED,
            {"stairwell": [None, 1], "owner": [None, "张三"], "area": [None, "80.00"]},
            secretary.pk,
        ),
        (UnitChange.Action.IMPORTED, {"area": ["80.00", "81.00"]}, secretary.pk),
    ]
    assert OwnerUnit.objects.get(unit="102").changes.count() == 1  # unchanged by the second import


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", ["a", "b"])
def test_web_edit_an_owner_matrix(actors, client, rolls, role, key):
    _compound, owner, unit = rolls[key]
    client.force_login(actors[role])
    response = client.post(
        f"/consultations/roll-owners/{owner.pk}/",
        {"owner-kind": "person", "owner-name": "新名字", "owner-phone": "13800000000", "owner-id_tail": "1234"},
    )
    owner.refresh_from_db()
    unit.refresh_from_db()
    if key in MAY_CHANGE.get(role, ()):
        assert response.status_code == 302
        assert (owner.name, owner.id_tail, unit.owner_name, unit.owner_phone) == (
            "新名字",
            "1234",
            "新名字",
            "13800000000",
        )
    else:
        assert response.status_code in (403, 404) and owner.name == f"业主{key}"


def test_api_vote_shows_heads_per_owner_and_each_voters_frozen_owner(tree, secretary, api_as):
    _import(tree, secretary, NINE_UNITS)
    vote = _open_vote(tree, secretary)
    jia = Owner.objects.get(name="甲")
    client = api_as(secretary)
    voters = client.get(f"/api/v1/votes/{vote.pk}/voters/").json()
    assert sorted(v["unit_label"] for v in voters if v["owner"] == jia.pk) == ["1号楼 101", "1号楼 102", "1号楼 103"]
    response = client.post(
        "/api/v1/ballots/",
        {"voter": voters[0]["id"], "choice": "for", "channel": "online", "confirmation_ref": "WX-1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    tally = client.get(f"/api/v1/votes/{vote.pk}/").json()["tally"]
    assert (tally["total_owners"], tally["voted_owners"], tally["voted_area"]) == (7, 1, "300.00")
