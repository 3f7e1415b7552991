"""Building leads (楼栋长) and contact boards (亮牌): the history a new lead keeps, who may record leads and board
entries where (web and API), the board each building shows, the whole-compound print page and what the public
sees — a role's published service phone, never a resident's private one."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from communities import selectors, services
from communities.choices import BoardRole, LeadChoice
from communities.models import ApiToken, BoardContact, BuildingLead
from renovation_portal.errors import DomainError
from tests import factories as f

LEADS = "/api/v1/building-leads/"
CONTACTS = "/api/v1/board-contacts/"

# (role, own building a, foreign building b): the API status of a POST on each.
MATRIX = [
    ("district_official", 201, 201),
    ("subdistrict_official", 201, 404),
    ("community_secretary", 201, 404),
    ("contractor", 403, 404),
    ("inspector", 403, 403),
    ("outsider", 404, 404),
]

PRIVATE = "13911112222"
SERVICE = "0592-5551234"


def _lead(actor, building, name="徐林", **extra):
    return services.building_lead_record(
        actor=actor, building=building, name=name, chosen_by=extra.pop("chosen_by", LeadChoice.APPOINTED), **extra
    )


# --- services ---


def test_a_new_lead_ends_the_earlier_record_and_keeps_it(tree, actors):
    secretary, building = actors["community_secretary"], tree["building_a"]
    first = _lead(secretary, building, "张三", chosen_on=datetime.date(2021, 5, 1), phone=PRIVATE)
    second = _lead(
        secretary,
        building,
        "李四",
        chosen_by=LeadChoice.ELECTED,
        chosen_on=datetime.date(2024, 4, 20),
        term_starts_on=datetime.date(2024, 5, 1),
        term_ends_on=datetime.date(2027, 4, 30),
        candidates=[{"name": "李四", "votes": 41}, {"name": "王五", "votes": 17}],
    )
    first.refresh_from_db()
    assert first.ended_on == datetime.date(2024, 5, 1) and not first.is_current
    assert second.is_current and second.recorded_by == secretary
    assert second.candidates == [{"name": "李四", "votes": 41}, {"name": "王五", "votes": 17}]
    assert list(BuildingLead.objects.filter(building=building).values_list("name", flat=True)) == ["李四", "张三"]
    assert BuildingLead.objects.filter(building=building, ended_on__isnull=True).count() == 1


def test_an_elected_lead_must_be_a_candidate_and_an_appointed_one_has_none(tree, actors):
    secretary, building = actors["community_secretary"], tree["building_a"]
    with pytest.raises(DomainError) as refused:
        _lead(secretary, building, "李四", chosen_by=LeadChoice.ELECTED, candidates=[{"name": "王五", "votes": 3}])
    assert refused.value.code == "lead_not_a_candidate"
    with pytest.raises(DomainError) as refused:
        _lead(secretary, building, "李四", candidates=[{"name": "李四"}])
    assert refused.value.code == "candidates_without_election"
    with pytest.raises(DomainError) as refused:
        _lead(secretary, building, "李四", service_phone="call me")
    assert (refused.value.code, refused.value.field) == ("bad_phone", "service_phone")
    with pytest.raises(DomainError) as refused:
        _lead(
            secretary,
            building,
            "李四",
            term_starts_on=datetime.date(2025, 1, 1),
            term_ends_on=datetime.date(2024, 1, 1),
        )
    assert refused.value.code == "invalid_term"
    assert not BuildingLead.objects.exists()
    elected = _lead(secretary, building, "李四", chosen_by=LeadChoice.ELECTED)
    assert elected.candidates == [{"name": "李四", "votes": None}]


def test_ending_a_term_leaves_the_building_without_a_lead(tree, actors):
    secretary = actors["community_secretary"]
    lead = _lead(secretary, tree["building_a"])
    services.building_lead_end(actor=secretary, lead=lead)
    lead.refresh_from_db()
    assert lead.ended_on == datetime.date.today()
    board = selectors.building_boards(selectors.board_buildings(tree["compound_a"]))[tree["building_a"].pk]
    assert board[0].role == BoardRole.BUILDING_LEAD and board[0].name == ""
    with pytest.raises(DomainError):
        services.building_lead_end(actor=secretary, lead=lead)


def test_nobody_records_a_lead_outside_their_scope(tree, actors):
    with pytest.raises(PermissionDenied):
        _lead(actors["community_secretary"], tree["building_b"])
    with pytest.raises(PermissionDenied):
        services.board_contact_set(
            actor=actors["inspector"], compound=tree["compound_a"], role=BoardRole.GRID_WORKER, name="甲"
        )
    assert not BuildingLead.objects.exists() and not BoardContact.objects.exists()


def test_the_board_names_five_roles_with_published_phones_only(tree, actors):
    secretary, compound = actors["community_secretary"], tree["compound_a"]
    other = f.BuildingFactory(compound=compound, number="2号楼")
    services.party_branch_set(
        actor=secretary, compound=compound, name="屿后南里党支部", secretary_name="张秀玉", secretary_phone=PRIVATE
    )
    services.owners_body_elect(
        actor=secretary, compound=compound, kind="owners_committee", director_name="肖玲玲", director_phone=PRIVATE
    )
    _lead(secretary, tree["building_a"], "徐林", phone=PRIVATE, service_phone=SERVICE)
    _lead(secretary, other, "林楼长", phone=PRIVATE)
    services.board_contact_set(
        actor=secretary, compound=compound, role=BoardRole.GRID_WORKER, name="陈网格", service_phone="0592-1111111"
    )
    services.board_contact_set(
        actor=secretary, compound=compound, building=other, role=BoardRole.GRID_WORKER, name="吴网格"
    )
    services.board_contact_set(
        actor=secretary, compound=compound, role=BoardRole.PARTY_BRANCH, service_phone="0592-2222222"
    )
    boards = selectors.building_boards(selectors.board_buildings(compound))
    first = {line.role: line for line in boards[tree["building_a"].pk]}
    assert [line.role for line in boards[tree["building_a"].pk]] == list(BoardRole.values)
    assert (first["building_lead"].name, first["building_lead"].phone) == ("徐林", SERVICE)
    assert (first["grid_worker"].name, first["grid_worker"].phone) == ("陈网格", "0592-1111111")
    assert first["party_branch"].name == "屿后南里党支部 · 张秀玉" and first["party_branch"].phone == "0592-2222222"
    assert first["owners_body"].name == "肖玲玲" and first["owners_body"].phone == ""
    assert first["property_service"].name == ""
    second = {line.role: line for line in boards[other.pk]}
    assert (second["building_lead"].name, second["building_lead"].phone) == ("林楼长", "")
    assert second["grid_worker"].name == "吴网格"  # the building's own entry replaces the compound's
    assert PRIVATE not in str(boards)


def test_a_board_entry_is_replaced_not_duplicated(tree, actors):
    secretary, compound = actors["community_secretary"], tree["compound_a"]
    _, created = services.board_contact_set(actor=secretary, compound=compound, role=BoardRole.GRID_WORKER, name="甲")
    entry, again = services.board_contact_set(
        actor=secretary, compound=compound, role=BoardRole.GRID_WORKER, name="乙", service_phone="0592-1"
    )
    assert (created, again) == (True, False)
    assert BoardContact.objects.filter(compound=compound).count() == 1 and entry.name == "乙"
    with pytest.raises(DomainError) as refused:
        services.board_contact_set(actor=secretary, compound=compound, role=BoardRole.BUILDING_LEAD, name="丙")
    assert refused.value.code == "bad_role"
    with pytest.raises(DomainError) as refused:
        services.board_contact_set(
            actor=actors["district_official"],
            compound=compound,
            building=tree["building_b"],
            role=BoardRole.GRID_WORKER,
            name="丁",
        )
    assert refused.value.code == "building_not_in_compound"


# --- API ---


@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_api_lead_post_is_scoped_by_role(tree, actors, api_as, role, own, foreign):
    client = api_as(actors[role])
    for building, expected in ((tree["building_a"], own), (tree["building_b"], foreign)):
        response = client.post(
            LEADS,
            {"building": building.pk, "name": "徐林", "chosen_by": "appointed", "phone": PRIVATE},
            format="json",
        )
        assert response.status_code == expected, (building, response.content)
        assert BuildingLead.objects.filter(building=building).exists() is (expected == 201)
        if expected == 201:
            body = response.json()
            assert body["is_current"] is True and body["building"] == building.pk and body["phone"] == PRIVATE


@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_api_board_contact_post_is_scoped_by_role(tree, actors, api_as, role, own, foreign):
    client = api_as(actors[role])
    for compound, expected in ((tree["compound_a"], own), (tree["compound_b"], foreign)):
        response = client.post(
            CONTACTS,
            {"compound": compound.pk, "role": "grid_worker", "name": "陈网格", "service_phone": "0592-1111111"},
            format="json",
        )
        assert response.status_code == expected, (compound, response.content)
        assert BoardContact.objects.filter(compound=compound).exists() is (expected == 201)


def test_api_lists_and_history(tree, actors, api_as):
    secretary = actors["community_secretary"]
    _lead(secretary, tree["building_a"], "张三", chosen_on=datetime.date(2021, 5, 1))
    _lead(actors["district_official"], tree["building_b"], "乙楼长")
    client = api_as(secretary)
    response = client.post(
        LEADS,
        {
            "building": tree["building_a"].pk,
            "name": "李四",
            "chosen_by": "elected",
            "chosen_on": "2024-04-20",
            "term_starts_on": "2024-05-01",
            "term_ends_on": "2027-04-30",
            "candidates": [{"name": "李四", "votes": 41}, {"name": "王五", "votes": 17}],
            "service_phone": SERVICE,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    rows = client.get(LEADS, {"building": tree["building_a"].pk}).json()["results"]
    assert [(row["name"], row["is_current"]) for row in rows] == [("李四", True), ("张三", False)]
    assert rows[1]["ended_on"] == "2024-05-01"
    assert {row["building"] for row in client.get(LEADS).json()["results"]} == {tree["building_a"].pk}
    current = client.get(LEADS, {"compound": tree["compound_a"].pk, "is_current": "true"}).json()["results"]
    assert [row["name"] for row in current] == ["李四"]
    assert api_as(actors["outsider"]).get(LEADS).json()["results"] == []
    client = api_as(secretary)
    board = client.get(f"/api/v1/buildings/{tree['building_a'].pk}/board/").json()
    lead_line = board["lines"][0]
    assert (lead_line["role"], lead_line["name"], lead_line["phone"]) == ("building_lead", "李四", SERVICE)
    assert client.get(f"/api/v1/buildings/{tree['building_b'].pk}/board/").status_code == 404
    boards = client.get(f"/api/v1/compounds/{tree['compound_a'].pk}/boards/").json()
    assert [b["building"] for b in boards] == [tree["building_a"].pk]


def test_api_bad_input_is_a_clear_400_and_writes_nothing(tree, actors, api_as):
    client = api_as(actors["community_secretary"])
    for body, code in (
        ({"building": tree["building_a"].pk, "name": "李四", "chosen_by": "crowned"}, "invalid_choice"),
        ({"building": tree["building_a"].pk, "name": "李四", "chosen_by": "appointed", "phone": "x"}, "bad_phone"),
        (
            {"building": tree["building_a"].pk, "name": "李四", "chosen_by": "elected", "candidates": [{"name": "王"}]},
            "lead_not_a_candidate",
        ),
    ):
        response = client.post(LEADS, body, format="json")
        assert response.status_code == 400 and response.json()["errors"][0]["code"] == code, response.content
    response = client.post(
        CONTACTS,
        {"compound": tree["compound_a"].pk, "building": tree["building_b"].pk, "role": "grid_worker", "name": "甲"},
        format="json",
    )
    assert response.status_code == 400
    assert not BuildingLead.objects.exists() and not BoardContact.objects.exists()


def test_api_board_contact_post_replaces_and_delete_removes(tree, actors, api_as):
    client = api_as(actors["community_secretary"])
    body = {"compound": tree["compound_a"].pk, "role": "grid_worker", "name": "甲"}
    assert client.post(CONTACTS, body, format="json").status_code == 201
    replaced = client.post(CONTACTS, {**body, "name": "乙"}, format="json")
    assert replaced.status_code == 200 and replaced.json()["name"] == "乙"
    entry = BoardContact.objects.get()
    assert api_as(actors["inspector"]).delete(f"{CONTACTS}{entry.pk}/").status_code == 403
    assert api_as(actors["community_secretary"]).delete(f"{CONTACTS}{entry.pk}/").status_code == 204
    assert not BoardContact.objects.exists()


def test_api_end_a_lead_is_scoped(tree, actors, api_as):
    lead = _lead(actors["district_official"], tree["building_b"])
    assert api_as(actors["community_secretary"]).post(f"{LEADS}{lead.pk}/end/", {}, format="json").status_code == 404
    response = api_as(actors["district_official"]).post(f"{LEADS}{lead.pk}/end/", {}, format="json")
    assert response.status_code == 200 and response.json()["is_current"] is False


def test_a_retried_lead_post_with_the_same_idempotency_key_records_one_lead(tree, actors, api):
    _, key = ApiToken.issue(user=actors["community_secretary"], device_name="手机")
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_IDEMPOTENCY_KEY": "lead-1"}
    body = {"building": tree["building_a"].pk, "name": "徐林", "chosen_by": "appointed"}
    first = api.post(LEADS, body, format="json", **auth)
    again = api.post(LEADS, body, format="json", **auth)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert BuildingLead.objects.count() == 1


def test_api_list_query_count_does_not_grow_with_rows(tree, actors, api_as, django_assert_max_num_queries):
    official = actors["district_official"]
    for n in range(12):
        _lead(official, f.BuildingFactory(compound=tree["compound_a"], number=f"{n + 2}号楼"), f"楼长{n}")
    client = api_as(official)
    with django_assert_max_num_queries(8):
        assert len(client.get(LEADS).json()["results"]) == 12
    with django_assert_max_num_queries(8):
        assert len(client.get(f"/api/v1/compounds/{tree['compound_a'].pk}/boards/").json()) == 13


# --- web ---


@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_web_lead_form_is_scoped_by_role(tree, actors, client, role, own, foreign):
    client.force_login(actors[role])
    for building, expected in ((tree["building_a"], own), (tree["building_b"], foreign)):
        page = reverse("communities:building-lead", args=[building.pk])
        response = client.post(
            page,
            {"name": "徐林", "chosen_by": "elected", "chosen_on": "2024-04-20", "candidates_text": "徐林 37\n王五 12"},
        )
        assert response.status_code == {201: 302}.get(expected, expected), response.content[:2000]
        assert BuildingLead.objects.filter(building=building).exists() is (expected == 201)
        shown = client.get(page)
        assert shown.status_code == (404 if expected == 404 else 200)
        if shown.status_code == 200:
            assert ('data-testid="lead-form"' in shown.content.decode()) is (expected == 201)
    if own == 201:
        lead = BuildingLead.objects.get(building=tree["building_a"])
        assert lead.candidates == [{"name": "徐林", "votes": 37}, {"name": "王五", "votes": 12}]


@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_web_board_form_is_scoped_by_role(tree, actors, client, role, own, foreign):
    client.force_login(actors[role])
    for compound, expected in ((tree["compound_a"], own), (tree["compound_b"], foreign)):
        page = reverse("communities:board-contact-edit", args=[compound.pk])
        response = client.post(page, {"role": "grid_worker", "name": "陈网格", "service_phone": "0592-1111111"})
        assert response.status_code == {201: 302}.get(expected, expected)
        assert BoardContact.objects.filter(compound=compound).exists() is (expected == 201)
        overview = client.get(reverse("communities:compound-leads", args=[compound.pk]))
        assert overview.status_code == (404 if expected == 404 else 200)


def test_web_form_shows_the_services_refusal_on_its_field(tree, actors, client):
    client.force_login(actors["community_secretary"])
    page = reverse("communities:building-lead", args=[tree["building_a"].pk])
    response = client.post(page, {"name": "徐林", "chosen_by": "elected", "candidates_text": "王五 3"})
    assert response.status_code == 200
    assert "candidates_text" in response.context["form"].errors
    response = client.post(page, {"name": "徐林", "chosen_by": "appointed", "service_phone": "打我电话"})
    assert response.status_code == 200 and "service_phone" in response.context["form"].errors
    assert not BuildingLead.objects.exists()


def test_compound_pages_link_to_the_leads_and_show_the_board_state(tree, actors, client):
    secretary = actors["community_secretary"]
    _lead(secretary, tree["building_a"], "徐林")
    client.force_login(secretary)
    detail = client.get(reverse("communities:compound-detail", args=[tree["compound_a"].pk])).content.decode()
    assert reverse("communities:compound-leads", args=[tree["compound_a"].pk]) in detail and "徐林" in detail
    overview = client.get(reverse("communities:compound-leads", args=[tree["compound_a"].pk])).content.decode()
    assert "徐林" in overview and reverse("compound-plates", args=[tree["compound_a"].code]) in overview
    history = client.get(reverse("communities:building-lead", args=[tree["building_a"].pk])).content.decode()
    assert 'data-testid="lead-history"' in history and "徐林" in history


def test_the_compound_print_page_has_one_plate_per_building_in_fixed_queries(
    tree, actors, client, django_assert_max_num_queries
):
    official, compound = actors["district_official"], tree["compound_a"]
    services.board_contact_set(
        actor=official, compound=compound, role=BoardRole.GRID_WORKER, name="陈网格", service_phone="0592-1111111"
    )
    _lead(official, tree["building_a"], "徐林", phone=PRIVATE, service_phone=SERVICE)
    url = reverse("compound-plates", args=[compound.code])
    with django_assert_max_num_queries(6) as few:
        client.get(url)
    for n in range(15):
        _lead(official, f.BuildingFactory(compound=compound, number=f"{n + 2}号楼"), f"楼长{n}", phone=PRIVATE)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="plate"') == 16 and html.count('data-testid="plate-qr"') == 16
    assert "break-after" not in html  # the page breaks come from the stylesheet's @media print
    assert f'href="tel:{SERVICE.replace("-", "")}"' in html and "陈网格" in html and "楼长14" in html
    assert PRIVATE not in html


def test_public_page_and_plate_show_published_phones_never_private_ones(tree, actors, client):
    secretary, compound = actors["community_secretary"], tree["compound_a"]
    services.party_branch_set(
        actor=secretary,
        compound=compound,
        name="屿后南里党支部",
        secretary_name="张秀玉",
        secretary_phone="13900000001",
    )
    services.board_contact_set(
        actor=secretary, compound=compound, role=BoardRole.PARTY_BRANCH, service_phone="0592-2222222"
    )
    _lead(secretary, tree["building_a"], "徐林", phone=PRIVATE, service_phone=SERVICE)
    public = client.get(reverse("public-compound", args=[compound.code])).content.decode()
    plate = client.get(reverse("building-plate", args=[compound.code, tree["building_a"].pk])).content.decode()
    for html in (public, plate):
        assert "徐林" in html and 'href="tel:05925551234"' in html and 'href="tel:05922222222"' in html
        assert PRIVATE not in html and "13900000001" not in html
    assert "屿后南里党支部 · 张秀玉" in plate


def test_the_demo_gives_every_building_a_lead_and_a_full_board(db):
    from django.core.management import call_command

    from communities.models import Building, Compound

    call_command("load_demo", stdout=open("/dev/null", "w"))
    hlr = Compound.objects.select_related("party_branch", "owners_body").get(name="菡凌蓉小区")
    current = BuildingLead.objects.filter(building__compound=hlr, ended_on__isnull=True)
    assert current.count() == 35 and current.values("name").distinct().count() == 15
    assert set(current.values_list("chosen_by", flat=True)) == {LeadChoice.ELECTED}
    assert hlr.party_branch.secretary_name == hlr.owners_body.director_name == "李勇"
    assert not Building.objects.exclude(leads__ended_on__isnull=True).exists()  # every building has a current lead
    for compound in Compound.objects.all():
        for _building, lines in selectors.compound_boards(compound):
            assert all(line.name and line.role for line in lines), (compound, lines)
            assert all(line.phone for line in lines if line.role != BoardRole.BUILDING_LEAD), (compound, lines)


def test_the_leads_page_and_compound_page_do_not_grow_with_buildings(
    tree, actors, client, django_assert_max_num_queries
):
    official, compound = actors["district_official"], tree["compound_a"]
    client.force_login(official)
    pages = [
        reverse("communities:compound-leads", args=[compound.pk]),
        reverse("communities:compound-detail", args=[compound.pk]),
    ]
    counts = []
    for url in pages:
        with django_assert_max_num_queries(40) as before:
            assert client.get(url).status_code == 200
        counts.append(len(before.captured_queries))
    for n in range(10):
        building = f.BuildingFactory(compound=compound, number=f"{n + 2}号楼")
        _lead(official, building, f"楼长{n}")
        services.board_contact_set(
            actor=official, compound=compound, building=building, role=BoardRole.GRID_WORKER, name=f"网格员{n}"
        )
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert "楼长9" in client.get(url).content.decode()


def test_the_leads_of_a_compound_export_without_private_phones(tree, actors, client):
    secretary = actors["community_secretary"]
    _lead(secretary, tree["building_a"], "张三", phone=PRIVATE, chosen_on=datetime.date(2021, 5, 1))
    _lead(secretary, tree["building_a"], "李四", phone=PRIVATE, service_phone=SERVICE)
    client.force_login(secretary)
    response = client.get(reverse("communities:compound-leads", args=[tree["compound_a"].pk]), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and "张三" in body and "李四" in body and SERVICE in body
    assert PRIVATE not in body
    client.force_login(actors["community_secretary"])
    foreign = client.get(reverse("communities:compound-leads", args=[tree["compound_b"].pk]), {"export": "csv"})
    assert foreign.status_code == 404
