"""Query budgets (not timings): on generated data, every list endpoint of the API costs the same number of
queries for a page of 5 rows and a page of 50, and every detail endpoint the same for any record."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from communities.models import User
from inspections.models import Inspection, RectificationIssue
from projects.models import Project

LIST_BUDGET = 8
DETAIL_BUDGET = 10


@pytest.fixture
def generated(db):
    out = io.StringIO()
    call_command("generate_data", scale="district", districts=1, compounds_per_community=1, stdout=out)
    return out.getvalue()


def test_generator_builds_realistic_proportions_within_the_constraints(generated):
    projects = Project.objects.count()
    assert projects == 60  # one compound per community: 10 subdistricts × 6 communities
    assert set(Project.objects.values_list("status", flat=True)) >= {"handed_over", "construction", "planning"}
    assert set(Project.objects.values_list("batch", flat=True)) <= {2023, 2024, 2025}
    filed = Inspection.objects.filter(status="filed").count()
    assert {1, 2} <= set(Inspection.objects.values_list("tier", flat=True))
    issues = RectificationIssue.objects.count()
    assert 2 <= issues / Inspection.objects.filter(status="filed", project__actual_start__isnull=False).count() <= 5
    assert filed and set(RectificationIssue.objects.values_list("status", flat=True)) == {"open", "submitted", "closed"}
    assert "rectification issues" in generated and "done" in generated


def _count(client, path):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return len(queries), response.json()


def test_every_list_and_detail_costs_a_fixed_number_of_queries(generated, api):
    admin = User.objects.create(username="budget", is_superuser=True, is_staff=True)
    api.force_authenticate(admin)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    lists = sorted(
        path
        for path, ops in schema["paths"].items()
        if "get" in ops
        and "{" not in path
        and path.startswith("/api/v1/")
        and "page_size" in {p["name"] for p in ops["get"].get("parameters", [])}
    )
    assert len(lists) >= 20
    checked_details = 0
    required = {"/api/v1/sync/deletions/": "since=2000-01-01T00:00:00Z&"}
    for path in lists:
        prefix = f"{path}?{required.get(path, '')}"
        api.get(prefix)  # warm per-process caches
        small, body = _count(api, f"{prefix}page_size=5")
        large, body_large = _count(api, f"{prefix}page_size=50")
        assert small == large <= LIST_BUDGET, (path, small, large)
        rows = body_large["results"]
        detail = f"{path}{{id}}/"
        if detail in schema["paths"] and "get" in schema["paths"][detail] and len(rows) >= 2 and "id" in rows[0]:
            first, _ = _count(api, f"{path}{rows[0]['id']}/")
            last, _ = _count(api, f"{path}{rows[-1]['id']}/")
            assert first == last <= DETAIL_BUDGET, (detail, first, last)
            checked_details += 1
    assert checked_details >= 10
