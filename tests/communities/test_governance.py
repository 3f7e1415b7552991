"""Governance bodies (party branch, owners' body, property service): who may record them, on which compounds,
and the history a change keeps."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from communities import services
from communities.choices import CompanyKind
from communities.models import ApiToken, Compound, OwnersBody, PartyBranch, PropertyService
from renovation_portal.errors import DomainError
from tests import factories as f

PARTY_BRANCHES = "/api/v1/party-branches/"
OWNERS_BODIES = "/api/v1/owners-bodies/"
PROPERTY_SERVICES = "/api/v1/property-services/"

# (role, own compound a, foreign compound b): the API status of a POST on each.
MATRIX = [
    ("district_official", 201, 201),
    ("subdistrict_official", 201, 404),
    ("community_secretary", 201, 404),
    ("contractor", 403, 404),
    ("inspector", 403, 403),
    ("outsider", 404, 404),
]


def _bodies(tree):
    property_company = f.CompanyFactory(name="物业公司", kind=CompanyKind.PROPERTY)
    return {
        "party-branch": (
            PARTY_BRANCHES,
            PartyBranch,
            {"name": "第一党支部", "secretary_name": "王芳", "member_count": 12, "established_on": "2024-03-01"},
        ),
        "owners-body": (
            OWNERS_BODIES,
            OwnersBody,
            {
                "kind": "owners_committee",
                "director_name": "肖玲玲",
                "member_count": 5,
                "established_on": "2024-05-01",
                "term_starts_on": "2024-05-01",
                "term_ends_on": "2029-04-30",
            },
        ),
        "property-service": (
            PROPERTY_SERVICES,
            PropertyService,
            {
                "mode": "professional",
                "company": property_company.pk,
                "contact_name": "陈经理",
                "contract_starts_on": "2025-01-01",
                "contract_ends_on": "2027-12-31",
            },
        ),
    }


@pytest.mark.parametrize("body", ["party-branch", "owners-body", "property-service"])
@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_api_post_is_scoped_by_role(tree, actors, api_as, role, own, foreign, body):
    url, model, data = _bodies(tree)[body]
    client = api_as(actors[role])
    for compound, expected in ((tree["compound_a"], own), (tree["compound_b"], foreign)):
        response = client.post(url, {**data, "compound": compound.pk}, format="json")
        assert response.status_code == expected, (compound, response.content)
        assert model.objects.filter(compound=compound).exists() is (expected == 201)
        if expected == 201:
            assert response.json()["is_current"] is True
            assert response.json()["compound"] == compound.pk


@pytest.mark.parametrize("body", ["party-branch", "owners-body", "property-service"])
@pytest.mark.parametrize("role, own, foreign", MATRIX)
def test_web_form_is_scoped_by_role(tree, actors, client, role, own, foreign, body):
    _url, model, data = _bodies(tree)[body]
    client.force_login(actors[role])
    web = {201: 302}
    for compound, expected in ((tree["compound_a"], own), (tree["compound_b"], foreign)):
        page = reverse("communities:governance", args=[compound.pk, body])
        response = client.post(page, data)
        assert response.status_code == web.get(expected, expected), (compound, response.content[:2000])
        assert model.objects.filter(compound=compound).exists() is (expected == 201)
        shown = client.get(page)
        # Whoever sees the compound sees the history; only editors get the form.
        assert shown.status_code == (404 if expected == 404 else 200)
        if shown.status_code == 200:
            assert ('data-testid="governance-form"' in shown.content.decode()) is (expected == 201)


def test_api_lists_only_the_history_in_scope(tree, actors, api_as):
    services.party_branch_set(
        actor=actors["district_official"], compound=tree["compound_a"], name="甲", secretary_name="甲"
    )
    services.party_branch_set(
        actor=actors["district_official"], compound=tree["compound_b"], name="乙", secretary_name="乙"
    )
    mine = api_as(actors["community_secretary"]).get(PARTY_BRANCHES).json()["results"]
    assert [row["compound"] for row in mine] == [tree["compound_a"].pk]
    assert api_as(actors["outsider"]).get(PARTY_BRANCHES).json()["results"] == []


def test_re_election_keeps_the_earlier_record(tree, actors, api_as):
    compound = tree["compound_a"]
    client = api_as(actors["community_secretary"])
    first = client.post(
        OWNERS_BODIES,
        {
            "compound": compound.pk,
            "kind": "self_governance_group",
            "director_name": "张三",
            "term_starts_on": "2021-05-01",
        },
        format="json",
    )
    second = client.post(
        OWNERS_BODIES,
        {"compound": compound.pk, "kind": "owners_committee", "director_name": "李四", "term_starts_on": "2026-05-01"},
        format="json",
    )
    assert (first.status_code, second.status_code) == (201, 201)
    earlier = OwnersBody.objects.get(pk=first.json()["id"])
    assert earlier.director_name == "张三"
    assert earlier.ended_on == datetime.date(2026, 5, 1)
    compound.refresh_from_db()
    assert compound.owners_body.director_name == "李四"
    history = client.get(OWNERS_BODIES, {"compound": compound.pk}).json()["results"]
    assert [(row["director_name"], row["is_current"]) for row in history] == [("李四", True), ("张三", False)]
    current = client.get(OWNERS_BODIES, {"compound": compound.pk, "is_current": "true"}).json()["results"]
    assert [row["director_name"] for row in current] == ["李四"]
    assert client.get(f"/api/v1/compounds/{compound.pk}/").json()["owners_body"]["director_name"] == "李四"


def test_property_mode_change_keeps_the_earlier_service_and_the_compound_follows(tree, actors, api_as):
    compound = tree["compound_a"]
    client = api_as(actors["subdistrict_official"])
    menu = client.post(PROPERTY_SERVICES, {"compound": compound.pk, "mode": "menu"}, format="json")
    shared = client.post(PROPERTY_SERVICES, {"compound": compound.pk, "mode": "shared"}, format="json")
    assert (menu.status_code, shared.status_code) == (201, 201)
    assert PropertyService.objects.get(pk=menu.json()["id"]).ended_on is not None
    compound.refresh_from_db()
    assert (compound.property_mode, compound.property_service.mode) == ("shared", "shared")
    assert PropertyService.objects.filter(compound=compound).count() == 2
    # The compounds' property_mode filter follows the current service.
    codes = [row["code"] for row in client.get("/api/v1/compounds/", {"property_mode": "shared"}).json()["results"]]
    assert codes == [compound.code]
    assert client.get("/api/v1/compounds/", {"property_mode": "menu"}).json()["results"] == []


def test_property_mode_is_not_written_on_the_compound_directly(tree, actors, client):
    """The compound's mode is the current property service's: the compound form no longer sets it."""
    client.force_login(actors["district_official"])
    compound = tree["compound_a"]
    client.post(
        reverse("communities:compound-edit", args=[compound.pk]),
        {
            "address": "新地址",
            "building_count": 1,
            "household_count": 1,
            "resident_count": 1,
            "floor_area": "1",
            "property_mode": "menu",
        },
    )
    compound.refresh_from_db()
    assert (compound.address, compound.property_mode) == ("新地址", "none")


def test_bad_input_is_a_clean_400_without_a_write(tree, actors, api_as):
    compound = tree["compound_a"]
    client = api_as(actors["district_official"])
    contractor = tree["company_a"]
    cases = [
        (PROPERTY_SERVICES, {"compound": compound.pk, "mode": "professional"}),  # no company
        (PROPERTY_SERVICES, {"compound": compound.pk, "mode": "menu", "company": contractor.pk}),  # not property
        (PROPERTY_SERVICES, {"compound": compound.pk, "mode": "bogus"}),
        (
            PROPERTY_SERVICES,
            {
                "compound": compound.pk,
                "mode": "menu",
                "contract_starts_on": "2026-01-01",
                "contract_ends_on": "2025-01-01",
            },
        ),
        (
            OWNERS_BODIES,
            {
                "compound": compound.pk,
                "kind": "owners_committee",
                "director_name": "x",
                "term_starts_on": "2026-01-01",
                "term_ends_on": "2025-01-01",
            },
        ),
        (PARTY_BRANCHES, {"compound": compound.pk, "name": "x"}),  # no secretary
        (
            PARTY_BRANCHES,
            {"compound": compound.pk, "name": "x", "secretary_name": "y", "ended_on": "2020-01-01", "nope": 1},
        ),
        (PARTY_BRANCHES, {"compound": "abc", "name": "x", "secretary_name": "y"}),
    ]
    for url, body in cases:
        response = client.post(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert "errors" in response.json()
    assert not PropertyService.objects.exists()
    assert not OwnersBody.objects.exists()
    assert not PartyBranch.objects.exists()
    assert Compound.objects.get(pk=compound.pk).property_mode == "none"


def test_web_form_error_keeps_the_current_record(tree, actors, client):
    compound = tree["compound_a"]
    services.property_service_change(actor=actors["district_official"], compound=compound, mode="menu")
    client.force_login(actors["community_secretary"])
    response = client.post(
        reverse("communities:governance", args=[compound.pk, "property-service"]), {"mode": "professional"}
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode() or "alert" in response.content.decode()
    assert PropertyService.objects.get(compound=compound).ended_on is None
    compound.refresh_from_db()
    assert compound.property_mode == "menu"


def test_compound_page_links_to_the_bodies(tree, actors, client):
    client.force_login(actors["community_secretary"])
    page = client.get(reverse("communities:compound-detail", args=[tree["compound_a"].pk])).content.decode()
    for body in ("party-branch", "owners-body", "property-service"):
        assert reverse("communities:governance", args=[tree["compound_a"].pk, body]) in page


def test_admin_cannot_overwrite_a_body_or_the_compound_mode(tree, admin_client):
    """The admin shows the history read-only; the service is the one write path (it keeps the earlier record)."""
    record = f.PartyBranchFactory(compound=tree["compound_a"])
    assert admin_client.get(reverse("admin:communities_partybranch_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:communities_partybranch_change", args=[record.pk]), {"name": "改名", "secretary_name": "x"}
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.name != "改名"
    page = admin_client.get(reverse("admin:communities_compound_change", args=[tree["compound_a"].pk]))
    assert 'name="property_mode"' not in page.content.decode()


def test_a_new_project_takes_the_current_branch_secretary_or_none(tree, actors):
    """The project's masses coordinator defaults to the current party-branch secretary; a compound without a
    branch (its pointer is empty now, no longer a missing one-to-one row) opens a project with none."""
    from projects import services as project_services

    official = actors["district_official"]
    bare = project_services.project_create(actor=official, compound=tree["compound_b"], name="无支部", batch=2026)
    assert bare.masses_coordinator == ""
    compound = tree["compound_a"]
    services.party_branch_set(actor=official, compound=compound, name="支部", secretary_name="旧书记")
    services.party_branch_set(actor=official, compound=compound, name="支部", secretary_name="新书记")
    project = project_services.project_create(actor=official, compound=compound, name="二期", batch=2026)
    assert project.masses_coordinator == "新书记"


def test_a_retried_post_with_the_same_idempotency_key_records_one_change(tree, actors, api):
    key = ApiToken.issue(user=actors["community_secretary"], device_name="手机")[1]
    auth = {"HTTP_AUTHORIZATION": f"Token {key}", "HTTP_IDEMPOTENCY_KEY": "gov-retry-1"}
    body = {"compound": tree["compound_a"].pk, "mode": "menu"}
    first = api.post(PROPERTY_SERVICES, body, format="json", **auth)
    again = api.post(PROPERTY_SERVICES, body, format="json", **auth)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert PropertyService.objects.filter(compound=tree["compound_a"]).count() == 1


# --- A backdated property service: one record in force on any day (the dashboards' coverage counts a compound once).


def _in_force(compound, day):
    from communities.selectors import SERVICE_STARTED, service_in_force

    return list(
        PropertyService.objects.filter(compound=compound)
        .annotate(started_on=SERVICE_STARTED)
        .filter(service_in_force(day))
        .values_list("mode", flat=True)
    )


def _history(compound):
    return list(PropertyService.objects.filter(compound=compound).order_by("id").values_list("mode", "ended_on"))


def test_a_service_cannot_start_before_a_service_whose_start_is_on_record(tree, actors):
    compound = tree["compound_a"]
    official = actors["district_official"]
    services.property_service_change(
        actor=official, compound=compound, mode="self_managed", contract_starts_on=datetime.date(2020, 5, 1)
    )
    services.property_service_change(
        actor=official, compound=compound, mode="menu", contract_starts_on=datetime.date(2024, 6, 1)
    )
    before = _history(compound)
    with pytest.raises(DomainError) as refused:
        services.property_service_change(
            actor=official, compound=compound, mode="shared", contract_starts_on=datetime.date(2024, 3, 1)
        )
    assert (refused.value.code, refused.value.field) == ("starts_before_current", "contract_starts_on")
    assert "2024-06-01" in refused.value.message
    assert _history(compound) == before  # nothing written
    compound.refresh_from_db()
    assert compound.property_service.mode == "menu"
    assert _in_force(compound, datetime.date(2024, 4, 1)) == ["self_managed"]
    # On or after that day it replaces it (the same day: the record that starts then is never in force).
    services.property_service_change(
        actor=official, compound=compound, mode="shared", contract_starts_on=datetime.date(2024, 6, 1)
    )
    assert _in_force(compound, datetime.date(2024, 6, 1)) == ["shared"]
    assert _in_force(compound, datetime.date(2024, 5, 31)) == ["self_managed"]


def test_a_backdated_service_ends_every_earlier_record_still_running_on_its_start(tree, actors):
    """A record without a contract start (known from the day it was recorded) is replaced from the backdated start,
    and the record before it, still running then, ends that day too: one record in force on every day."""
    compound = tree["compound_a"]
    official = actors["district_official"]
    services.property_service_change(
        actor=official, compound=compound, mode="self_managed", contract_starts_on=datetime.date(2020, 5, 1)
    )
    services.property_service_change(actor=official, compound=compound, mode="none")  # recorded today, undated
    services.property_service_change(
        actor=official, compound=compound, mode="menu", contract_starts_on=datetime.date(2024, 2, 1)
    )
    assert _history(compound) == [
        ("self_managed", datetime.date(2024, 2, 1)),
        ("none", datetime.date(2024, 2, 1)),
        ("menu", None),
    ]
    today = timezone.localdate()
    for day in (datetime.date(2023, 12, 31), datetime.date(2024, 2, 1), today - datetime.timedelta(days=1), today):
        assert len(_in_force(compound, day)) == 1, day
    assert _in_force(compound, datetime.date(2024, 1, 31)) == ["self_managed"]
    assert _in_force(compound, today) == ["menu"]


def test_the_dashboard_counts_a_backdated_compound_under_one_mode(tree, actors, client):
    compound = tree["compound_a"]
    official = actors["district_official"]
    services.property_service_change(
        actor=official, compound=compound, mode="self_managed", contract_starts_on=datetime.date(2020, 5, 1)
    )
    services.property_service_change(actor=official, compound=compound, mode="none")
    services.property_service_change(
        actor=official, compound=compound, mode="menu", contract_starts_on=datetime.date(2024, 2, 1)
    )
    client.force_login(official)
    response = client.get(
        reverse("api:dashboard", args=["subdistrict", tree["sub_a"].pk]), {"since": "2024-01-01", "until": "2024-12-31"}
    )
    coverage = response.json()["governance"]["coverage"]
    counts = {cell["mode"]: cell["count"] for cell in coverage["modes"]}
    assert sum(counts.values()) == coverage["compounds"] == 1 and counts["menu"] == 1


def test_the_web_form_and_the_api_refuse_a_start_before_the_recorded_one(tree, actors, client, api_as):
    compound = tree["compound_a"]
    official = actors["district_official"]
    services.property_service_change(
        actor=official, compound=compound, mode="menu", contract_starts_on=datetime.date(2024, 6, 1)
    )
    before = _history(compound)
    client.force_login(actors["community_secretary"])
    response = client.post(
        reverse("communities:governance", args=[compound.pk, "property-service"]),
        {"mode": "shared", "contract_starts_on": "2024-03-01"},
    )
    assert response.status_code == 200
    assert "2024-06-01" in str(response.context["form"].errors["contract_starts_on"])
    response = api_as(actors["subdistrict_official"]).post(
        PROPERTY_SERVICES,
        {"compound": compound.pk, "mode": "shared", "contract_starts_on": "2024-03-01"},
        format="json",
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["code"], error["attr"]) == ("starts_before_current", "contract_starts_on")
    assert _history(compound) == before
    compound.refresh_from_db()
    assert compound.property_service.mode == "menu"
