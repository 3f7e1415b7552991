"""The property-staff role (物业服务人员): granted by district officials (web and API) to a property service company's
people only — and a contractor's role never to a property company — and the data migration that turned the property
companies' contractor roles into property-staff roles."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from communities.choices import RoleKind
from communities.models import Role, User
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

USERS = "/api/v1/users/"
ROLES = "/api/v1/roles/"


@pytest.fixture
def property_company(db):
    return f.CompanyFactory(name="近邻物业", kind="property")


def _invite(api, role):
    return api.post(USERS, {"username": "new.user", "email": "new@example.cn", "role": role}, format="json")


def test_a_district_official_grants_property_staff_on_a_property_company(tree, actors, api_as, property_company):
    response = _invite(api_as(actors["district_official"]), {"kind": "property_staff", "company": property_company.pk})
    assert response.status_code == 201, response.content
    role = User.objects.get(username="new.user").roles.get()
    assert (role.kind, role.company) == (RoleKind.PROPERTY_STAFF, property_company)
    # A second role for an existing user through /roles/.
    user = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    granted = api_as(actors["district_official"]).post(
        ROLES, {"user": user.pk, "kind": "property_staff", "company": property_company.pk}, format="json"
    )
    assert granted.status_code == 201 and user.roles.filter(kind=RoleKind.PROPERTY_STAFF).exists()


@pytest.mark.parametrize(
    "kind, company, code",
    [
        ("property_staff", "company_a", "wrong_company_kind"),  # an EPC contractor's people are not property staff
        ("contractor", "property", "wrong_company_kind"),  # nor a property company's people contractors
        ("property_staff", None, "bad_binding"),
    ],
)
def test_a_role_on_the_wrong_kind_of_company_is_a_400_and_nothing_is_created(
    tree, actors, api_as, property_company, kind, company, code
):
    role = {"kind": kind}
    if company is not None:
        role["company"] = (property_company if company == "property" else tree[company]).pk
    else:
        role["community"] = tree["comm_a"].pk
    response = _invite(api_as(actors["district_official"]), role)
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["code"] == code
    if code == "wrong_company_kind":
        assert error["attr"] == "role.company" or error["attr"].endswith("company")
    assert not User.objects.filter(username="new.user").exists()


def test_the_grant_to_an_existing_user_checks_the_company_kind_too(tree, actors, api_as, property_company):
    user = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    response = api_as(actors["district_official"]).post(
        ROLES, {"user": user.pk, "kind": "contractor", "company": property_company.pk}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "wrong_company_kind"
    assert user.roles.count() == 1


def test_a_subdistrict_official_grants_no_property_staff(tree, actors, api_as, property_company):
    response = _invite(
        api_as(actors["subdistrict_official"]), {"kind": "property_staff", "company": property_company.pk}
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="new.user").exists()


def test_the_web_invite_offers_property_companies_and_checks_the_kind(
    tree, actors, client, mailoutbox, django_capture_on_commit_callbacks, property_company
):
    client.force_login(actors["district_official"])
    page = client.get(reverse("communities:person-invite"))
    assert property_company in page.context["form"].fields["company"].queryset
    assert "property_staff" in dict(page.context["form"].fields["kind"].choices)
    form = {"username": "new.user", "email": "new@example.cn", "kind": "contractor", "company": property_company.pk}
    refused = client.post(reverse("communities:person-invite"), form)
    assert refused.status_code == 200 and refused.context["form"].errors
    assert not User.objects.filter(username="new.user").exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("communities:person-invite"), {**form, "kind": "property_staff"})
    assert done.status_code == 302
    assert User.objects.get(username="new.user").roles.get().kind == RoleKind.PROPERTY_STAFF
    assert len(mailoutbox) == 1


def test_the_migration_turns_property_companies_contractor_roles_into_property_staff(tree, property_company):
    migration = importlib.import_module("communities.migrations.0014_property_staff_from_contractor_roles")
    on_property = f.user_with_role(RoleKind.CONTRACTOR, company=property_company).roles.get()
    on_contractor = f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_a"]).roles.get()
    secretary = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"]).roles.get()
    assert migration.contractor_roles_to_property_staff(apps, None) == 1
    kinds = dict(Role.objects.filter(pk__in=[on_property.pk, on_contractor.pk, secretary.pk]).values_list("pk", "kind"))
    assert kinds == {
        on_property.pk: RoleKind.PROPERTY_STAFF,
        on_contractor.pk: RoleKind.CONTRACTOR,
        secretary.pk: RoleKind.COMMUNITY_SECRETARY,
    }
    assert migration.contractor_roles_to_property_staff(apps, None) == 0  # a second run changes nothing
    migration.property_staff_to_contractor_roles(apps, None)
    assert Role.objects.get(pk=on_property.pk).kind == RoleKind.CONTRACTOR


def test_a_company_with_people_keeps_the_kind_their_roles_need(tree, actors, api_as, property_company):
    f.user_with_role(RoleKind.PROPERTY_STAFF, company=property_company)
    api = api_as(actors["district_official"])
    refused = etag_patch(api, f"/api/v1/companies/{property_company.pk}/", {"kind": "contractor"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "kind_has_members"
    property_company.refresh_from_db()
    assert property_company.kind == "property"
    # A company without people changes its kind; an EPC contractor may become a designer (its people keep their role).
    empty = f.CompanyFactory(name="空物业", kind="property")
    assert etag_patch(api, f"/api/v1/companies/{empty.pk}/", {"kind": "contractor"}).status_code == 200
    assert etag_patch(api, f"/api/v1/companies/{tree['company_a'].pk}/", {"kind": "designer"}).status_code == 200
    refused = etag_patch(api, f"/api/v1/companies/{tree['company_a'].pk}/", {"kind": "property"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "kind_has_members"
