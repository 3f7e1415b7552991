"""The benchmark's floors (bench/floors.py) are only a fair yardstick if they return what the API lists return:
the same rows in the same order, with the same fields."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from rest_framework.test import APIClient

from bench.floors import FLOORS, floor
from communities.models import ApiToken, User

API = {
    "projects": "/api/v1/projects/",
    "issues": "/api/v1/issues/",
    "inspections": "/api/v1/inspections/",
    "compounds": "/api/v1/compounds/",
}


def _keys(value):
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_keys(item) for item in value[:1]]
    return None


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_a_floor_returns_the_api_lists_rows_and_fields(db, name):
    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=io.StringIO())
    user = User.objects.create(username="national", is_superuser=True, is_staff=True)
    _, key = ApiToken.issue(user=user, device_name="bench")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    api = client.get(API[name]).json()["results"]
    response = floor(RequestFactory().get(f"/bench-floor/{name}/", HTTP_AUTHORIZATION=f"Token {key}"), name)
    rows = json.loads(response.content)["results"]
    assert len(rows) == len(api) == 50
    assert [row["id"] for row in rows] == [row["id"] for row in api]
    assert [_keys(row) for row in rows] == [_keys(row) for row in api]
    assert floor(RequestFactory().get(f"/bench-floor/{name}/"), name).status_code == 401


def test_the_request_floor_answers_its_token_holder_only(db):
    user = User.objects.create(username="official")
    _, key = ApiToken.issue(user=user, device_name="bench")
    response = floor(RequestFactory().get("/bench-floor/hello/", HTTP_AUTHORIZATION=f"Token {key}"), "hello")
    assert response.status_code == 200 and json.loads(response.content) == {"user": user.pk}
    assert floor(RequestFactory().get("/bench-floor/hello/"), "hello").status_code == 401
