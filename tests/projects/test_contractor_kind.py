"""A project's contractor is an EPC contractor: a design, supervision or property company is refused with a clear
error in the service, the web form, the admin and the API, and nothing is written."""

import pytest
from django.urls import reverse

from communities.choices import CompanyKind
from projects import services
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(db):
    return f.CompanyFactory(name="某设计院", kind=CompanyKind.DESIGNER)


def test_service_refuses_a_design_company_as_contractor(project, designer, actors):
    before = project.contractor_id
    with pytest.raises(DomainError) as refused:
        services.project_update(actor=actors["district_official"], project=project, contractor=designer)
    assert refused.value.code == "not_a_contractor" and refused.value.field == "contractor"
    assert "某设计院" in str(refused.value.message)
    assert Project.objects.get(pk=project.pk).contractor_id == before


def test_service_refuses_a_new_project_with_a_design_company(tree, designer, actors):
    count = Project.objects.count()
    with pytest.raises(DomainError) as refused:
        services.project_create(
            actor=actors["district_official"], compound=tree["compound_a"], name="二期", batch=2025, contractor=designer
        )
    assert refused.value.code == "not_a_contractor"
    assert Project.objects.count() == count


def test_service_accepts_an_epc_contractor(project, actors):
    other = f.CompanyFactory(name="另一施工单位", kind=CompanyKind.CONTRACTOR)
    updated = services.project_update(actor=actors["district_official"], project=project, contractor=other)
    assert updated.contractor_id == other.pk


def test_api_refuses_a_design_company_with_a_400_on_the_contractor_field(project, designer, actors, api_as):
    before = project.contractor_id
    response = etag_patch(
        api_as(actors["district_official"]), f"/api/v1/projects/{project.pk}/", {"contractor": designer.pk}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["code"] == "not_a_contractor" and body["errors"][0]["attr"] == "contractor"
    assert Project.objects.get(pk=project.pk).contractor_id == before


def test_web_form_refuses_a_design_company(project, designer, actors, client):
    client.force_login(actors["district_official"])
    form = {
        "name": project.name,
        "batch": project.batch,
        "contractor": designer.pk,
        "budget": "100",
        "engineering_coordinator": "",
        "engineering_coordinator_phone": "",
        "masses_coordinator": "",
        "planned_start": "",
        "planned_finish": "",
        "version": project.version,
    }
    response = client.post(reverse("projects:project-edit", args=[project.pk]), form)
    assert response.status_code == 200
    assert "contractor" in response.context["form"].errors
    assert Project.objects.get(pk=project.pk).contractor_id != designer.pk


def test_admin_offers_only_epc_contractors(project, designer, client):
    admin = f.UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get(reverse("admin:projects_project_change", args=[project.pk]))
    assert page.status_code == 200
    choices = {c.pk for c in page.context["adminform"].form.fields["contractor"].queryset}
    assert project.contractor_id in choices and designer.pk not in choices
