"""The big API lists read their pages with values() (renovation_portal/values_lists.py). These tests prove that
the fast path returns exactly what DRF's model serializers return for the same request — every field, every
nested object, the masking of personal data and the next-page cursor — and that a serializer the plan cannot
express is refused when the plan is compiled, not answered wrongly."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from rest_framework import mixins, serializers
from rest_framework.test import APIClient

from communities.choices import RoleKind
from communities.models import Company, Compound, User
from inspections.models import IssuePhoto, RectificationIssue
from projects.models import Project
from renovation_portal.values_lists import ValuesListMixin, values_plan
from tests import factories as f

FAST_LISTS = [
    "/api/v1/projects/",
    "/api/v1/scope-items/",
    "/api/v1/issues/",
    "/api/v1/inspections/",
    "/api/v1/compounds/",
    "/api/v1/buildings/",
    "/api/v1/needs/",
    "/api/v1/funding-entries/",
]


@pytest.fixture
def generated(db):
    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=io.StringIO())
    issue = RectificationIssue.objects.order_by("updated_at", "pk").first()  # on the first page
    for kind, latitude in (("finding", "24.455123"), ("evidence", None)):
        IssuePhoto.objects.create(
            issue=issue,
            kind=kind,
            image="issues/x.jpg",
            latitude=latitude,
            taken_at=timezone.now() - timedelta(hours=3),
        )
    compound = Compound.objects.order_by("pk").first()
    f.PartyBranchFactory(compound=compound)
    Project.objects.filter(pk=Project.objects.order_by("pk").values("pk")[:1]).update(
        contractor=None, planned_finish=timezone.localdate() - timedelta(days=1)
    )
    return issue


def _both(client, path, monkeypatch):
    fast = client.get(path)
    with monkeypatch.context() as patched:
        patched.setattr(ValuesListMixin, "list", mixins.ListModelMixin.list)
        slow = client.get(path)
    assert fast.status_code == slow.status_code == 200, (path, fast.content[:300], slow.content[:300])
    return fast.json(), slow.json()


@pytest.mark.parametrize("path", FAST_LISTS)
def test_a_values_list_returns_what_the_model_serializer_returns(generated, path, monkeypatch):
    admin = User.objects.create(username="everything", is_superuser=True, is_staff=True)
    client = APIClient()
    client.force_authenticate(admin)
    fast, slow = _both(client, f"{path}?page_size=40", monkeypatch)
    assert fast["results"], path
    assert fast == slow
    if fast["next"]:  # the cursor it hands out leads to the same second page
        fast_next, slow_next = _both(client, fast["next"], monkeypatch)
        assert fast_next == slow_next and fast_next["results"]


def test_values_lists_cover_nulls_nested_objects_photos_and_overdue(generated, monkeypatch):
    admin = User.objects.create(username="everything", is_superuser=True, is_staff=True)
    client = APIClient()
    client.force_authenticate(admin)
    issues, _ = _both(client, "/api/v1/issues/?page_size=200", monkeypatch)
    with_photos = next(row for row in issues["results"] if row["id"] == generated.pk)
    assert [p["kind"] for p in with_photos["photos"]] == ["finding", "evidence"]
    assert with_photos["photos"][0]["latitude"] == "24.455123" and with_photos["photos"][1]["latitude"] is None
    projects, _ = _both(client, "/api/v1/projects/?page_size=200", monkeypatch)
    assert any(
        row["contractor"] is None and row["contractor_name"] is None and row["is_overdue"]
        for row in projects["results"]
    )
    assert {row["is_overdue"] for row in projects["results"]} == {True, False}
    compounds, _ = _both(client, "/api/v1/compounds/?page_size=200", monkeypatch)
    branches = [row["party_branch"] for row in compounds["results"]]
    assert None in branches and any(branch and branch["name"] for branch in branches)


def test_a_values_list_masks_phone_numbers_as_the_serializer_does(generated, monkeypatch):
    from consultations.models import Need

    company = Company.objects.filter(projects__isnull=False).order_by("pk").first()
    contractor = f.user_with_role(RoleKind.CONTRACTOR, company=company)
    compound = Project.objects.filter(contractor=company).order_by("pk").first().compound
    Need.objects.create(
        compound=compound,
        channel="hotline",
        category="parking",
        content="充电桩",
        raised_by_phone="13912345678",
        recorded_by=f.UserFactory(),
    )
    client = APIClient()
    client.force_authenticate(contractor)
    fast, slow = _both(client, f"/api/v1/needs/?compound={compound.pk}&page_size=200", monkeypatch)
    assert fast == slow
    assert "139****5678" in {row["raised_by_phone"] for row in fast["results"]}
    assert "13912345678" not in str(fast)


def test_a_values_list_is_scoped_like_the_model_list(generated, monkeypatch):
    company = Company.objects.filter(projects__isnull=False).order_by("pk").first()
    client = APIClient()
    client.force_authenticate(f.user_with_role(RoleKind.CONTRACTOR, company=company))
    fast, slow = _both(client, "/api/v1/issues/?page_size=200", monkeypatch)
    assert fast == slow and fast["results"]
    assert {row["contractor"] for row in fast["results"]} == {company.pk}


def test_a_field_computed_in_python_is_refused_when_the_plan_is_compiled():
    class Computed(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Project
            fields = ["id", "shout"]

        def get_shout(self, project):
            return project.name.upper()

    with pytest.raises(ImproperlyConfigured, match="shout"):
        values_plan(Computed, Project)
    assert values_plan(Computed, Project, frozenset({"shout"})).annotated == ["shout"]


def test_every_list_read_with_values_is_compared_above(db):
    from django.urls import resolve

    client = APIClient()
    client.force_authenticate(User.objects.create(username="schema", is_superuser=True, is_staff=True))
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    fast = set()
    for path in schema["paths"]:
        if "{" in path:
            continue
        view = resolve(path).func
        if getattr(view, "actions", {}).get("get") == "list" and issubclass(view.cls, ValuesListMixin):
            fast.add(path)
    assert fast == set(FAST_LISTS)


def test_nested_and_listed_objects_are_masked_as_their_serializer_masks_them(tree, actors):
    """A serializer that masks personal data masks it wherever it is nested: as a single object (a unit's owner)
    and in a list (a building's leads)."""
    from rest_framework.test import APIRequestFactory

    from communities.models import Building, BuildingLead
    from communities.privacy import MaskPersonalDataMixin
    from consultations.models import Owner, OwnerUnit

    class LeadSerializer(MaskPersonalDataMixin, serializers.ModelSerializer):
        masked_fields = ("phone",)

        class Meta:
            model = BuildingLead
            fields = ["id", "name", "phone"]

    class BuildingWithLeads(serializers.ModelSerializer):
        leads = LeadSerializer(many=True, read_only=True)

        class Meta:
            model = Building
            fields = ["id", "leads"]

    class OwnerBrief(MaskPersonalDataMixin, serializers.ModelSerializer):
        masked_fields = ("phone",)

        class Meta:
            model = Owner
            fields = ["id", "name", "phone"]

    class UnitWithOwner(serializers.ModelSerializer):
        owner = OwnerBrief(read_only=True)

        class Meta:
            model = OwnerUnit
            fields = ["id", "owner"]

    BuildingLead.objects.create(
        building=tree["building_a"], name="徐林", phone="13912345678", chosen_by="appointed", chosen_on="2024-01-01"
    )
    owner = Owner.objects.create(compound=tree["compound_a"], name="业主", phone="13912345678")
    OwnerUnit.objects.create(
        compound=tree["compound_a"],
        building=tree["building_a"],
        unit="101",
        owner=owner,
        owner_name="业主",
        owner_phone="13912345678",
        area=60,
    )
    request = APIRequestFactory().get("/")
    request.user = actors["contractor"]  # may not see residents' phone numbers
    context = {"request": request}
    for serializer_class, queryset in (
        (BuildingWithLeads, Building.objects.filter(pk=tree["building_a"].pk)),
        (UnitWithOwner, OwnerUnit.objects.all()),
    ):
        plan = values_plan(serializer_class, queryset.model)
        fast = plan.render(list(plan.queryset(queryset)), context)
        assert fast == serializer_class(queryset, many=True, context=context).data
        assert "139****5678" in str(fast) and "13912345678" not in str(fast)
