"""Hooked subdistrict leaders (挂钩领导): who may hook and unhook them (web and API, own and foreign project), who
may be hooked, and the three people construction cannot start without."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from communities.choices import RoleKind
from projects import services
from projects.choices import ProjectStatus
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.projects.conftest import set_status, staff

pytestmark = pytest.mark.django_db

ROLES = ["district_official", "subdistrict_official", "community_secretary", "contractor", "inspector", "outsider"]
# role → expected status on the own project (side a) and on the foreign one (side b)
MATRIX = {
    "district_official": (200, 200),
    "subdistrict_official": (200, 404),
    "community_secretary": (403, 404),
    "contractor": (403, 404),
    "inspector": (403, 403),
    "outsider": (404, 404),
}


@pytest.fixture
def leaders(tree):
    hooked = {
        "a": f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_a"]),
        "b": f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_b"]),
    }
    for user, name in zip(hooked.values(), ("张主任", "陈主任")):
        user.display_name = name
        user.save(update_fields=["display_name"])
    return hooked


def _projects(tree):
    return Project.objects.get(compound=tree["compound_a"]), Project.objects.get(compound=tree["compound_b"])


@pytest.mark.parametrize("role", ROLES)
def test_api_hook_and_unhook_matrix(role, tree, actors, leaders, api_as):
    own, foreign = _projects(tree)
    client = api_as(actors[role])
    for project, side, expected in ((own, "a", MATRIX[role][0]), (foreign, "b", MATRIX[role][1])):
        url = f"/api/v1/projects/{project.pk}/liaisons/"
        added = client.post(url, {"user": leaders[side].pk}, format="json")
        assert added.status_code == expected, (role, side, added.content)
        hooked = list(project.liaisons.values_list("pk", flat=True))
        assert hooked == ([leaders[side].pk] if expected == 200 else [])
        if expected == 200:
            assert added.json()["liaisons"] == [leaders[side].pk]
        removed = client.delete(f"{url}?user={leaders[side].pk}")
        assert removed.status_code == expected
        if expected == 200:
            assert not project.liaisons.exists()


@pytest.mark.parametrize("role", ROLES)
def test_web_hook_and_unhook_matrix(role, tree, actors, leaders, client):
    own, foreign = _projects(tree)
    client.force_login(actors[role])
    for project, side, expected in ((own, "a", MATRIX[role][0]), (foreign, "b", MATRIX[role][1])):
        url = reverse("projects:project-liaisons", args=[project.pk])
        assert client.get(url).status_code == expected
        response = client.post(url, {"action": "add", "user": leaders[side].pk})
        assert response.status_code == (302 if expected == 200 else expected)
        assert project.liaisons.filter(pk=leaders[side].pk).exists() == (expected == 200)
        if expected == 200:
            assert leaders[side].display_name in client.get(url).content.decode()
            client.post(url, {"action": "remove", "user": leaders[side].pk})
            assert not project.liaisons.exists()


def test_only_an_official_of_the_projects_place_can_be_hooked(tree, actors, leaders, api_as):
    own, _ = _projects(tree)
    client = api_as(actors["district_official"])
    url = f"/api/v1/projects/{own.pk}/liaisons/"
    for user in (leaders["b"], actors["contractor"], actors["community_secretary"]):
        refused = client.post(url, {"user": user.pk}, format="json")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "not_a_leader"
    assert client.post(url, {"user": 999999}, format="json").status_code == 400
    assert client.post(url, {"user": "x"}, format="json").status_code == 400
    assert client.delete(url).status_code == 400
    assert not own.liaisons.exists()
    # The district's own officials may be hooked too (区领导挂钩).
    assert client.post(url, {"user": actors["district_official"].pk}, format="json").status_code == 200


def test_web_refuses_a_foreign_leader_with_a_form_error(tree, actors, leaders, client):
    own, _ = _projects(tree)
    client.force_login(actors["subdistrict_official"])
    response = client.post(reverse("projects:project-liaisons", args=[own.pk]), {"user": leaders["b"].pk})
    assert response.status_code == 400
    assert not own.liaisons.exists()


def test_construction_needs_a_hooked_leader_and_both_coordinators(tree, actors, leaders, confirmed_plan):
    project = confirmed_plan.project
    Project.objects.filter(pk=project.pk).update(engineering_coordinator="", masses_coordinator="")
    project.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        services.project_start_construction(actor=actors["contractor"], project=project)
    assert refused.value.code == "coordinators_missing"
    services.project_add_liaison(actor=actors["subdistrict_official"], project=project, user=leaders["a"])
    Project.objects.filter(pk=project.pk).update(engineering_coordinator="王工")
    with pytest.raises(DomainError) as still:
        services.project_start_construction(actor=actors["contractor"], project=project)
    assert still.value.code == "coordinators_missing"
    project.refresh_from_db()
    assert project.status == ProjectStatus.PLAN_CONFIRMATION
    Project.objects.filter(pk=project.pk).update(masses_coordinator="李书记")
    moved = services.project_start_construction(actor=actors["contractor"], project=project)
    assert moved.status == ProjectStatus.CONSTRUCTION


def test_api_start_construction_without_coordinators_is_a_400(tree, actors, confirmed_plan, api_as):
    project = confirmed_plan.project
    response = api_as(actors["contractor"]).post(
        f"/api/v1/projects/{project.pk}/transitions/", {"transition": "start_construction"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "coordinators_missing"
    staff(project, actors["subdistrict_official"])
    set_status(project, ProjectStatus.PLAN_CONFIRMATION)
    ok = api_as(actors["contractor"]).post(
        f"/api/v1/projects/{project.pk}/transitions/", {"transition": "start_construction"}, format="json"
    )
    assert ok.status_code == 200


def test_service_refuses_an_official_of_another_subdistrict(tree, actors, leaders):
    _, foreign = _projects(tree)
    with pytest.raises(PermissionDenied):
        services.project_add_liaison(actor=actors["subdistrict_official"], project=foreign, user=leaders["b"])
