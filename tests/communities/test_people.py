"""People and roles: officials invite users, grant and revoke roles and deactivate accounts, only inside their own
scope (web and API, as a granter × own/foreign matrix); the invitation's one-time set-password link."""

import re

import pytest
from django.urls import reverse

from communities.choices import InspectionTier, RoleKind
from communities.models import ApiToken, Role, User
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ROLES = "/api/v1/roles/"


@pytest.fixture
def foreign(tree):
    """Another district with its own subdistrict, community and official."""
    district = f.DistrictFactory(name="湖里区")
    sub = f.SubdistrictFactory(district=district, name="殿前街道")
    comm = f.CommunityFactory(subdistrict=sub, name="高殿社区")
    return {"district": district, "sub": sub, "comm": comm}


def _places(tree, foreign):
    return {
        "district": ("district", tree["district"]),
        "sub_a": ("subdistrict", tree["sub_a"]),
        "sub_b": ("subdistrict", tree["sub_b"]),
        "comm_a": ("community", tree["comm_a"]),
        "comm_b": ("community", tree["comm_b"]),
        "company_a": ("company", tree["company_a"]),
        "foreign_district": ("district", foreign["district"]),
        "foreign_sub": ("subdistrict", foreign["sub"]),
        "foreign_comm": ("community", foreign["comm"]),
    }


def _role_body(tree, foreign, kind, place, tier=None):
    field, node = _places(tree, foreign)[place]
    body = {"kind": kind, field: node.pk}
    if tier is not None:
        body["tier"] = tier
    return body


# (granter, role kind, place, tier) → allowed?
GRANT_MATRIX = [
    # District officials: any place role inside their district and contractor accounts; nothing in another district.
    ("district_official", RoleKind.DISTRICT_OFFICIAL, "district", None, True),
    ("district_official", RoleKind.SUBDISTRICT_OFFICIAL, "sub_b", None, True),
    ("district_official", RoleKind.COMMUNITY_SECRETARY, "comm_b", None, True),
    ("district_official", RoleKind.INSPECTOR, "district", InspectionTier.DISTRICT, True),
    ("district_official", RoleKind.INSPECTOR, "comm_a", InspectionTier.SITE, True),
    ("district_official", RoleKind.CONTRACTOR, "company_a", None, True),
    ("district_official", RoleKind.DISTRICT_OFFICIAL, "foreign_district", None, False),
    ("district_official", RoleKind.SUBDISTRICT_OFFICIAL, "foreign_sub", None, False),
    ("district_official", RoleKind.COMMUNITY_SECRETARY, "foreign_comm", None, False),
    ("district_official", RoleKind.INSPECTOR, "foreign_district", InspectionTier.DISTRICT, False),
    # Subdistrict officials (of sub_a): secretaries of their communities and tier-1 inspectors there, nothing else.
    ("subdistrict_official", RoleKind.COMMUNITY_SECRETARY, "comm_a", None, True),
    ("subdistrict_official", RoleKind.INSPECTOR, "sub_a", InspectionTier.SITE, True),
    ("subdistrict_official", RoleKind.INSPECTOR, "comm_a", InspectionTier.SITE, True),
    ("subdistrict_official", RoleKind.COMMUNITY_SECRETARY, "comm_b", None, False),
    ("subdistrict_official", RoleKind.INSPECTOR, "sub_b", InspectionTier.SITE, False),
    ("subdistrict_official", RoleKind.DISTRICT_OFFICIAL, "district", None, False),
    ("subdistrict_official", RoleKind.SUBDISTRICT_OFFICIAL, "sub_a", None, False),
    ("subdistrict_official", RoleKind.INSPECTOR, "district", InspectionTier.DISTRICT, False),
    ("subdistrict_official", RoleKind.CONTRACTOR, "company_a", None, False),
    ("subdistrict_official", RoleKind.COMMUNITY_SECRETARY, "foreign_comm", None, False),
]


@pytest.mark.parametrize("granter, kind, place, tier, allowed", GRANT_MATRIX)
def test_api_invite_matrix(
    tree, actors, foreign, api_as, mailoutbox, django_capture_on_commit_callbacks, granter, kind, place, tier, allowed
):
    body = {
        "username": "new.user",
        "email": "new@example.cn",
        "display_name": "新用户",
        "role": _role_body(tree, foreign, kind, place, tier),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(actors[granter]).post(USERS, body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
        user = User.objects.get(username="new.user")
        assert not user.has_usable_password()
        assert list(user.roles.values_list("kind", flat=True)) == [kind]
        assert response.json()["roles"][0]["kind"] == kind
        assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new@example.cn"]
    else:
        assert response.status_code == 403, response.content
        assert response.json()["type"] == "client_error"
        assert not User.objects.filter(username="new.user").exists()  # no partial write
        assert mailoutbox == []


@pytest.mark.parametrize("granter, kind, place, tier, allowed", GRANT_MATRIX)
def test_web_invite_matrix(
    tree, actors, foreign, client, mailoutbox, django_capture_on_commit_callbacks, granter, kind, place, tier, allowed
):
    client.force_login(actors[granter])
    field, node = _places(tree, foreign)[place]
    form = {"username": "new.user", "email": "new@example.cn", "kind": kind, field: node.pk, "tier": tier or ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("communities:person-invite"), form)
    if allowed:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert User.objects.get(username="new.user").roles.get().kind == kind
        assert len(mailoutbox) == 1
    else:
        # A place outside the official's subtree is not even offered (a form error), or the service refuses it.
        assert response.status_code == 200
        assert response.context["form"].errors
        assert not User.objects.filter(username="new.user").exists()
        assert mailoutbox == []


@pytest.mark.parametrize("granter", ["community_secretary", "contractor", "inspector", "outsider"])
def test_other_roles_cannot_reach_the_people_pages_or_api(tree, actors, foreign, api_as, client, granter):
    api = api_as(actors[granter])
    body = {
        "username": "x",
        "email": "x@example.cn",
        "role": _role_body(tree, foreign, "community_secretary", "comm_a"),
    }
    assert api.post(USERS, body, format="json").status_code == 403
    assert api.get(USERS).status_code == 403
    assert not User.objects.filter(username="x").exists()
    client.force_login(actors[granter])
    assert client.get(reverse("communities:people-list")).status_code == 403
    assert client.get(reverse("communities:person-invite")).status_code == 403


def test_nobody_grants_superuser_or_staff(tree, actors, api_as):
    body = {
        "username": "boss",
        "email": "b@example.cn",
        "is_superuser": True,
        "is_staff": True,
        "role": {"kind": "community_secretary", "community": tree["comm_a"].pk},
    }
    response = api_as(actors["district_official"]).post(USERS, body, format="json")
    assert response.status_code == 400
    assert not User.objects.filter(username="boss").exists()


@pytest.mark.parametrize(
    "role, code",
    [
        ({"kind": "community_secretary", "subdistrict": "sub_a"}, "bad_binding"),
        ({"kind": "community_secretary"}, "bad_binding"),
        ({"kind": "inspector", "district": "district"}, "bad_tier"),
        ({"kind": "inspector", "district": "district", "tier": 1}, "bad_tier"),
        ({"kind": "inspector", "sub_a": None, "subdistrict": "sub_a", "tier": 2}, "bad_tier"),
        ({"kind": "community_secretary", "community": "comm_a", "tier": 1}, "bad_tier"),
    ],
)
def test_a_role_bound_to_the_wrong_node_is_a_400_and_nothing_is_created(tree, actors, api_as, role, code):
    role = {k: (tree[v].pk if isinstance(v, str) and v in tree and k != "kind" else v) for k, v in role.items()}
    role.pop("sub_a", None)
    body = {"username": "new.user", "email": "new@example.cn", "role": role}
    response = api_as(actors["district_official"]).post(USERS, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == code
    assert not User.objects.filter(username="new.user").exists()


def test_taken_username_and_bad_email_are_field_errors(tree, actors, api_as):
    api = api_as(actors["district_official"])
    role = {"kind": "community_secretary", "community": tree["comm_a"].pk}
    taken = api.post(
        USERS, {"username": actors["inspector"].username.upper(), "email": "a@example.cn", "role": role}, format="json"
    )
    assert taken.status_code == 400 and taken.json()["errors"][0]["attr"] == "username"
    bad = api.post(USERS, {"username": "fresh", "email": "not-an-address", "role": role}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "bad_email"
    unknown = api.post(
        USERS,
        {"username": "fresh", "email": "a@example.cn", "role": {"kind": "community_secretary", "community": 999999}},
        format="json",
    )
    assert unknown.status_code == 400
    assert not User.objects.filter(username="fresh").exists()


def test_invitation_link_sets_the_password_once(tree, actors, client, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(actors["district_official"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("communities:person-invite"),
            {
                "username": "wang",
                "email": "wang@example.cn",
                "kind": "community_secretary",
                "community": tree["comm_a"].pk,
            },
        )
    link = re.search(r"https?://\S+/account/set-password/\S+/", mailoutbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    client.logout()
    form_page = client.get(path, follow=True)
    assert form_page.context["validlink"]
    weak = client.post(form_page.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and weak.context["form"].errors  # Django's password validators
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Xiamen-siming-2026", "new_password2": "Xiamen-siming-2026"}
    )
    assert done.status_code == 302
    assert User.objects.get(username="wang").check_password("Xiamen-siming-2026")
    again = client.get(path, follow=True)
    assert not again.context["validlink"]


# --- Changing, deactivating: (actor, target) → status. Targets: own = inside the actor's reach. ---


@pytest.fixture
def targets(tree, foreign):
    both = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    f.RoleFactory(user=both, kind=RoleKind.INSPECTOR, district=tree["district"], tier=InspectionTier.DISTRICT)
    return {
        "secretary_a": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"]),
        "secretary_b": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"]),
        "district_inspector": f.user_with_role(RoleKind.INSPECTOR, district=tree["district"]),
        "foreign_secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=foreign["comm"]),
        "secretary_and_district_inspector": both,
        "admin": User.objects.create(username="root", is_superuser=True, is_staff=True),
    }


DEACTIVATE_MATRIX = [
    ("district_official", "secretary_a", 200),
    ("district_official", "secretary_b", 200),
    ("district_official", "district_inspector", 200),
    ("district_official", "secretary_and_district_inspector", 200),
    ("district_official", "foreign_secretary", 404),
    ("district_official", "admin", 404),
    ("subdistrict_official", "secretary_a", 200),
    ("subdistrict_official", "secretary_b", 404),
    ("subdistrict_official", "district_inspector", 404),
    ("subdistrict_official", "secretary_and_district_inspector", 403),  # seen, but partly out of reach
    ("subdistrict_official", "foreign_secretary", 404),
]


@pytest.mark.parametrize("actor, target, status", DEACTIVATE_MATRIX)
def test_api_deactivate_matrix_revokes_tokens(tree, actors, targets, api_as, actor, target, status):
    user = targets[target]
    ApiToken.issue(user=user, device_name="手机")
    response = api_as(actors[actor]).post(f"{USERS}{user.pk}/deactivate/")
    assert response.status_code == status, response.content
    user.refresh_from_db()
    if status == 200:
        assert response.json()["is_active"] is False
        assert not user.is_active and not ApiToken.objects.filter(user=user).exists()
    else:
        assert user.is_active and ApiToken.objects.filter(user=user).exists()


@pytest.mark.parametrize("actor, target, status", DEACTIVATE_MATRIX)
def test_web_deactivate_matrix(tree, actors, targets, client, actor, target, status):
    user = targets[target]
    ApiToken.issue(user=user, device_name="手机")
    client.force_login(actors[actor])
    response = client.post(reverse("communities:person-deactivate", args=[user.pk]))
    assert response.status_code == (302 if status == 200 else status)
    user.refresh_from_db()
    assert user.is_active is (status != 200)
    assert ApiToken.objects.filter(user=user).exists() is (status != 200)


def test_a_deactivated_token_stops_working_and_reactivation_does_not_revive_it(tree, actors, targets, api, api_as):
    user = targets["secretary_a"]
    key = ApiToken.issue(user=user, device_name="手机")[1]
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    official = api_as(actors["district_official"])
    official.post(f"{USERS}{user.pk}/deactivate/")
    assert official.post(f"{USERS}{user.pk}/reactivate/").json()["is_active"] is True
    official.force_authenticate(None)
    assert api.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_user_list_is_scoped(tree, actors, targets, api_as):
    def usernames(actor):
        response = api_as(actors[actor]).get(USERS)
        assert response.status_code == 200
        return {row["username"] for row in response.json()["results"]}

    by_district = usernames("district_official")
    assert targets["secretary_b"].username in by_district and actors["contractor"].username in by_district
    assert targets["foreign_secretary"].username not in by_district and "root" not in by_district
    by_sub = usernames("subdistrict_official")
    assert targets["secretary_a"].username in by_sub
    assert targets["secretary_b"].username not in by_sub
    assert actors["district_official"].username not in by_sub
    assert targets["district_inspector"].username not in by_sub


def test_patch_user_needs_if_match_and_changes_only_allowed_fields(tree, actors, targets, api_as):
    api = api_as(actors["subdistrict_official"])
    url = f"{USERS}{targets['secretary_a'].pk}/"
    assert api.patch(url, {"phone": "13800000000"}, format="json").status_code == 428
    assert etag_patch(api, url, {"phone": "13800000000"}).status_code == 200
    # Read-only fields are ignored, unknown ones refused: nothing but name, e-mail and phone changes here.
    etag_patch(api, url, {"username": "renamed", "is_active": False})
    assert etag_patch(api, url, {"is_superuser": True}).status_code == 400
    targets["secretary_a"].refresh_from_db()
    assert targets["secretary_a"].phone == "13800000000" and targets["secretary_a"].is_active
    assert targets["secretary_a"].username != "renamed" and not targets["secretary_a"].is_superuser
    foreign = etag_patch(api, f"{USERS}{targets['secretary_b'].pk}/", {"phone": "1"})
    assert foreign.status_code == 404


@pytest.mark.parametrize("granter, kind, place, tier, allowed", GRANT_MATRIX)
def test_api_grant_role_matrix(tree, actors, foreign, targets, api_as, granter, kind, place, tier, allowed):
    # A secretary of a second community of sub_a: within both officials' reach, holding none of the roles granted.
    user = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=f.CommunityFactory(subdistrict=tree["sub_a"]))
    body = {"user": user.pk, **_role_body(tree, foreign, kind, place, tier)}
    response = api_as(actors[granter]).post(ROLES, body, format="json")
    assert response.status_code == (201 if allowed else 403), response.content
    assert user.roles.count() == (2 if allowed else 1)


def test_revoke_role_matrix_and_last_role_stays(tree, actors, targets, api_as):
    user = targets["secretary_and_district_inspector"]
    inspector_role = user.roles.get(kind=RoleKind.INSPECTOR)
    secretary_role = user.roles.get(kind=RoleKind.COMMUNITY_SECRETARY)
    assert api_as(actors["subdistrict_official"]).delete(f"{ROLES}{inspector_role.pk}/").status_code == 403
    assert api_as(actors["subdistrict_official"]).delete(f"{ROLES}{secretary_role.pk}/").status_code == 403
    foreign_role = targets["foreign_secretary"].roles.get()
    assert api_as(actors["district_official"]).delete(f"{ROLES}{foreign_role.pk}/").status_code == 404
    assert api_as(actors["district_official"]).delete(f"{ROLES}{inspector_role.pk}/").status_code == 204
    last = api_as(actors["district_official"]).delete(f"{ROLES}{secretary_role.pk}/")
    assert last.status_code == 400 and last.json()["errors"][0]["code"] == "last_role"
    assert list(Role.objects.filter(user=user)) == [secretary_role]


def test_web_people_page_lists_filters_and_grants(tree, actors, targets, client):
    client.force_login(actors["district_official"])
    page = client.get(
        reverse("communities:people-list"), {"role": "community_secretary", "subdistrict": tree["sub_b"].pk}
    )
    names = {person.username for person in page.context["page"]}
    assert names == {targets["secretary_b"].username}
    detail = reverse("communities:person-detail", args=[targets["secretary_a"].pk])
    assert client.get(detail).status_code == 200
    response = client.post(detail, {"role-kind": "inspector", "role-subdistrict": tree["sub_a"].pk, "role-tier": 1})
    assert response.status_code == 302
    assert targets["secretary_a"].roles.filter(kind="inspector", tier=1, subdistrict=tree["sub_a"]).exists()
    nav = client.get(reverse("home")).content.decode()
    assert reverse("communities:people-list") in nav and reverse("communities:company-list") in nav
    client.force_login(actors["subdistrict_official"])
    nav = client.get(reverse("home")).content.decode()
    assert reverse("communities:people-list") in nav and reverse("communities:company-list") not in nav


def test_people_list_costs_the_same_queries_for_more_users(tree, actors, api_as, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_as(actors["district_official"])
    client.force_login(actors["district_official"])

    def count():
        api.get(USERS)
        client.get(reverse("communities:people-list"))  # warm per-process caches
        with CaptureQueriesContext(connection) as api_queries:
            assert api.get(USERS).status_code == 200
        with CaptureQueriesContext(connection) as web_queries:
            assert client.get(reverse("communities:people-list")).status_code == 200
        return len(api_queries), len(web_queries)

    before = count()
    for _ in range(5):
        user = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"])
        f.RoleFactory(user=user, kind=RoleKind.INSPECTOR, subdistrict=tree["sub_b"], tier=InspectionTier.SITE)
        f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"])
    assert count() == before


def test_reinvite_sends_a_fresh_link_only_to_reachable_active_users(
    tree, actors, targets, api_as, mailoutbox, django_capture_on_commit_callbacks
):
    user = targets["secretary_a"]
    user.email = "sec@example.cn"
    user.save(update_fields=["email"])
    official = api_as(actors["subdistrict_official"])
    with django_capture_on_commit_callbacks(execute=True):
        assert official.post(f"{USERS}{user.pk}/reinvite/").status_code == 200
        assert official.post(f"{USERS}{targets['secretary_b'].pk}/reinvite/").status_code == 404
    assert [mail.to for mail in mailoutbox] == [["sec@example.cn"]]
    assert "/account/set-password/" in mailoutbox[0].body
    official.post(f"{USERS}{user.pk}/deactivate/")
    refused = official.post(f"{USERS}{user.pk}/reinvite/")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "inactive_user"
