"""A resident problem is assigned only to staff whose role covers its compound: the secretary of its community, an
official of its subdistrict or district — never a superuser, a contractor, an inspector or another community's
secretary."""

import pytest

from communities.choices import RoleKind
from consultations import services
from consultations.choices import Channel
from consultations.models import ResidentProblem
from renovation_portal.errors import DomainError
from tests import factories as f

pytestmark = pytest.mark.django_db


def _record(tree, actor, assignee):
    return services.problem_record(
        actor=actor, compound=tree["compound_a"], description="楼道漏水", channel=Channel.HOTLINE, assigned_to=assignee
    )


@pytest.mark.parametrize("role", ["community_secretary", "subdistrict_official", "district_official"])
def test_problem_can_be_assigned_to_staff_over_the_compound(role, tree, actors):
    problem = _record(tree, actors["community_secretary"], actors[role])
    assert problem.assigned_to == actors[role]


@pytest.mark.parametrize(
    "who",
    ["superuser", "contractor", "inspector", "other_secretary", "other_official", "outsider", "inactive_secretary"],
)
def test_problem_cannot_be_assigned_to_anyone_else(who, tree, actors):
    assignee = {
        "superuser": lambda: f.UserFactory(is_superuser=True, is_staff=True),
        "contractor": lambda: actors["contractor"],
        "inspector": lambda: actors["inspector"],
        "other_secretary": lambda: f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"]),
        "other_official": lambda: f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=tree["sub_b"]),
        "outsider": lambda: actors["outsider"],
        "inactive_secretary": lambda: _inactive(
            f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
        ),
    }[who]()
    with pytest.raises(DomainError) as refused:
        _record(tree, actors["community_secretary"], assignee)
    assert refused.value.code == "invalid_assignee" and refused.value.field == "assigned_to"
    assert not ResidentProblem.objects.exists()


def _inactive(user):
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def test_api_refuses_a_superuser_assignee_with_a_400(tree, actors, api_as):
    admin = f.UserFactory(is_superuser=True, is_staff=True)
    response = api_as(actors["community_secretary"]).post(
        "/api/v1/resident-problems/",
        {
            "compound": tree["compound_a"].pk,
            "description": "楼道漏水",
            "channel": Channel.HOTLINE,
            "assigned_to": admin.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["code"] == "invalid_assignee" and error["attr"] == "assigned_to"
    assert not ResidentProblem.objects.exists()


def test_api_accepts_the_compounds_secretary_as_assignee(tree, actors, api_as):
    secretary = actors["community_secretary"]
    response = api_as(secretary).post(
        "/api/v1/resident-problems/",
        {
            "compound": tree["compound_a"].pk,
            "description": "楼道漏水",
            "channel": Channel.HOTLINE,
            "assigned_to": secretary.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    assert ResidentProblem.objects.get().assigned_to == secretary
