"""Review: a number typed with digits Python's ``str.isdigit`` takes but ``int`` refuses ("²", "①") is bad input —
a form error, an ignored value or a 4xx — never a 500, on the national overview's ``?year=``, the checklist form's
scores and the field forms' pending photo ids (the patrol form's too)."""

import pytest
from django.urls import reverse

from communities.models import User
from inspections.models import Inspection, InspectionResult
from renovation_portal import pending_photos
from tests import test_forms_never_lose_work as field_forms
from tests.aftercare import conftest as aftercare_fixtures
from tests.aftercare import test_property_staff as property_staff_fixtures

pytestmark = pytest.mark.django_db

record = aftercare_fixtures.record
environment, other_record, people = (
    property_staff_fixtures.environment,
    property_staff_fixtures.other_record,
    property_staff_fixtures.people,
)
inspection, items, project = field_forms.inspection, field_forms.items, field_forms.project

NOT_INTS = ["²", "①", "٣²", "1²"]


@pytest.mark.parametrize("year", NOT_INTS)
def test_a_year_that_is_no_number_falls_back_to_the_default_on_every_board(db, client, year):
    client.force_login(User.objects.create(username="review_admin", is_superuser=True, is_staff=True))
    for url in ("/dashboard/nation/", "/dashboard/nation/weekly/", "/api/v1/dashboard/nation/"):
        response = client.get(url, {"year": year})
        assert response.status_code == 200, (url, response.status_code)
    assert client.get("/dashboard/nation/", {"year": year, "export": "csv"}).status_code == 200


def test_pending_photo_ids_that_are_no_numbers_are_ignored():
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    data.setlist("photos_pending", ["²", "7", "①", " 8 ", "7"])
    assert pending_photos.posted_ids(data, "photos") == [7, 8]


def test_a_checklist_score_or_photo_that_is_no_number_is_no_500(inspection, actors, client):
    client.force_login(actors["inspector"])
    by_code = items(inspection)
    url = reverse("inspections:inspection-detail", args=[inspection.pk])
    data = {f"outcome_{item.pk}": "pass" for item in by_code.values()}
    data[f"score_{by_code['road'].pk}"] = "²"
    data[f"photos_{by_code['safety'].pk}_pending"] = "①"
    response = client.post(url, {**data, "idempotency_key": "review-1"})
    assert response.status_code in (200, 302)
    inspection.refresh_from_db()
    assert InspectionResult.objects.get(inspection=inspection, item=by_code["road"]).score is None
    assert Inspection.objects.filter(pk=inspection.pk).exists()


def test_a_patrol_photo_id_that_is_no_number_is_no_500(people, record, environment, client):
    client.force_login(people["community_secretary"])
    url = reverse("aftercare:patrol-new", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200
    first = environment.items.order_by("position").first()
    response = client.post(
        url,
        {"standard": environment.pk, f"outcome_{first.pk}": "fail", f"photos_{first.pk}_pending": "²"},
    )
    assert response.status_code in (200, 302)


@pytest.mark.parametrize("value", NOT_INTS)
def test_an_id_to_remove_that_is_no_number_is_a_400_not_a_500(db, value):
    """The remove actions' ``?user=`` / ``?member=`` (a hooked leader, an inspection group's member, a task force's
    member): "²" passes ``isdigit`` but not ``int``; ``isdecimal`` is what ``int`` takes."""
    from rest_framework.test import APIClient

    from communities.models import TaskForce
    from inspections.models import InspectionGroup
    from tests import factories as f

    admin = User.objects.create(username="review_admin", is_superuser=True, is_staff=True)
    api = APIClient()
    api.force_authenticate(admin)
    project = f.ProjectFactory()
    district = project.compound.community.subdistrict.district
    group = InspectionGroup.objects.create(name="第一检查组", tier=2, district=district)
    task_force = TaskForce.objects.create(level="district", name="区专班", district=district)
    for url, param in (
        (f"/api/v1/projects/{project.pk}/liaisons/", "user"),
        (f"/api/v1/inspection-groups/{group.pk}/members/", "user"),
        (f"/api/v1/task-forces/{task_force.pk}/members/", "member"),
    ):
        response = api.delete(f"{url}?{param}={value}")
        assert response.status_code == 400, (url, response.status_code, response.content)
