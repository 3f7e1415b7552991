"""This week's unannounced-round counts (tier-2 planned vs done) are for the district's officials only: a
subdistrict official's and a community secretary's dashboard — web page, API JSON, CSV and XLSX export, weekly
report — hold no figure of the secret plan, while the district official's do."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from communities.choices import InspectionTier, RoleKind
from inspections import services as inspection_services
from inspections.models import ChecklistTemplate, InspectionGroup
from projects.choices import ProjectStatus
from projects.models import Project
from tests import factories as f

pytestmark = pytest.mark.django_db
ROUND_WORDS = ("暗访", "unannounced", "Unannounced")


@pytest.fixture
def planned_round(tree):
    """This week's round: both compounds' projects are under construction, so each gets a planned visit."""
    Project.objects.update(status=ProjectStatus.CONSTRUCTION)
    ChecklistTemplate.objects.create(name="区级巡检表", tier=InspectionTier.DISTRICT)
    InspectionGroup.objects.create(name="第一组", tier=InspectionTier.DISTRICT, district=tree["district"])
    planned = inspection_services.plan_weekly_round(week=timezone.localdate())
    assert len(planned) == 2
    return planned


def _places(tree, role):
    """The dashboards each viewer opens: their own top place and a compound below it."""
    top = {
        "district_official": ("district", tree["district"].pk),
        "subdistrict_official": ("subdistrict", tree["sub_a"].pk),
        "community_secretary": ("community", tree["comm_a"].pk),
    }[role]
    return [top, ("compound", tree["compound_a"].pk)]


def _export_rows(response) -> list[list[str]]:
    if response["Content-Type"].startswith("text/csv"):
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [[str(cell) for cell in row] for sheet in workbook for row in sheet.iter_rows(values_only=True)]


def _round_rows(rows):
    return [row for row in rows if any(word in cell for cell in row for word in ROUND_WORDS)]


@pytest.mark.parametrize("role", ["subdistrict_official", "community_secretary"])
def test_subdistrict_official_and_secretary_see_no_unannounced_round_figures(role, tree, actors, planned_round, client):
    client.force_login(actors[role])
    for level, pk in _places(tree, role):
        api = client.get(reverse("api:dashboard", args=[level, pk]))
        assert api.status_code == 200
        assert "rounds" not in api.json()["inspections"], level
        page = client.get(reverse("dashboard:place", args=[level, pk]))
        assert page.status_code == 200 and "rounds" not in page.context["board"].inspections
        assert not any(word in page.content.decode() for word in ROUND_WORDS), level
        weekly = client.get(reverse("dashboard:weekly", args=[level, pk]))
        assert weekly.status_code == 200
        assert not any(word in weekly.content.decode() for word in ROUND_WORDS), level
        for fmt in ("csv", "xlsx"):
            export = client.get(reverse("dashboard:place", args=[level, pk]), {"export": fmt})
            assert export.status_code == 200
            assert _round_rows(_export_rows(export)) == [], (level, fmt)


def test_district_official_sees_the_round_figures_everywhere(tree, actors, planned_round, client):
    client.force_login(actors["district_official"])
    for level, pk, planned in (("district", tree["district"].pk, 2), ("compound", tree["compound_a"].pk, 1)):
        rounds = client.get(reverse("api:dashboard", args=[level, pk])).json()["inspections"]["rounds"]
        assert (rounds["planned"], rounds["done"]) == (planned, 0)
        page = client.get(reverse("dashboard:place", args=[level, pk]))
        assert page.context["board"].inspections["rounds"]["planned"] == planned
        assert any(word in page.content.decode() for word in ROUND_WORDS)
        weekly = client.get(reverse("dashboard:weekly", args=[level, pk])).content.decode()
        assert any(word in weekly for word in ROUND_WORDS)
        for fmt in ("csv", "xlsx"):
            rows = _round_rows(_export_rows(client.get(reverse("dashboard:place", args=[level, pk]), {"export": fmt})))
            assert [row[-1] for row in rows] == [str(planned), "0"], (level, fmt)


def test_cached_figures_of_the_district_official_never_reach_the_subdistrict(
    tree, actors, planned_round, client, settings
):
    settings.DASHBOARD_CACHE_SECONDS = 60
    pk = tree["compound_a"].pk
    client.force_login(actors["district_official"])
    assert "rounds" in client.get(reverse("api:dashboard", args=["compound", pk])).json()["inspections"]
    assert "rounds" in client.get(reverse("dashboard:place", args=["compound", pk])).context["board"].inspections
    client.force_login(actors["subdistrict_official"])
    assert "rounds" not in client.get(reverse("api:dashboard", args=["compound", pk])).json()["inspections"]
    assert "rounds" not in client.get(reverse("dashboard:place", args=["compound", pk])).context["board"].inspections


def test_subdistrict_official_who_also_inspects_at_tier1_sees_no_rounds(tree, actors, planned_round, client):
    official = actors["subdistrict_official"]
    f.RoleFactory(user=official, kind=RoleKind.INSPECTOR, subdistrict=tree["sub_a"], tier=InspectionTier.SITE)
    client.force_login(official)
    assert (
        "rounds"
        not in client.get(reverse("api:dashboard", args=["subdistrict", tree["sub_a"].pk])).json()["inspections"]
    )
