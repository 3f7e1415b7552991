"""Web foundation: login, home pages per role, language, health check."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from communities.models import BoardContact, Building, BuildingLead, Compound, Role, User
from projects.models import (
    FundingEntry,
    PlanConfirmation,
    PlanVersion,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ReportQuantity,
    ScopeItem,
)
from tests import factories as f

PROJECT_MODELS = (
    Project,
    PlanVersion,
    PlanConfirmation,
    ScopeItem,
    ProgressReport,
    ReportQuantity,
    ProjectEvent,
    ProjectFunding,
    FundingEntry,
)

pytestmark = pytest.mark.django_db


def test_wrong_password_gets_a_clear_chinese_message(tree, actors, client):
    response = client.post(reverse("login"), {"username": actors["inspector"].username, "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_then_home(tree, actors, client):
    response = client.post(
        reverse("login"), {"username": actors["district_official"].username, "password": f.PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "筼筜街道" in response.content.decode()


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "role,section",
    [
        ("district_official", 'data-testid="summary-dashboard"'),
        ("subdistrict_official", 'data-testid="summary-dashboard"'),
        ("community_secretary", 'data-testid="summary-my_compounds"'),
        ("contractor", 'data-testid="today-projects_needing_action"'),
        ("inspector", 'data-testid="today-empty"'),
    ],
)
def test_each_role_has_its_home_page_in_chinese(role, section, tree, actors, client):
    client.force_login(actors[role])
    page = client.get(reverse("home")).content.decode()
    assert section in page
    assert '<html lang="zh-hans">' in page
    assert "首页" in page


def test_subdistrict_home_counts_only_its_subtree(tree, actors, client):
    client.force_login(actors["subdistrict_official"])
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="total-compounds">1<' in page
    assert "厦禾社区" not in page


def test_contractor_home_lists_company_projects_only(tree, actors, client):
    client.force_login(actors["contractor"])
    page = client.get(reverse("home")).content.decode()
    assert "屿后南里小区改造项目" in page and "嘉美花园改造项目" not in page


def test_english_is_available(tree, actors, client):
    client.force_login(actors["district_official"])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in page and "Home" in page


def test_no_cdn_links_in_pages(tree, actors, client):
    client.force_login(actors["district_official"])
    for url in (reverse("home"), reverse("communities:compound-list"), reverse("login")):
        page = client.get(url).content.decode()
        assert "//cdn" not in page and "https://" not in page.split("<body")[0]


def test_compound_edit_with_bad_input_shows_error_and_saves_nothing(tree, actors, client):
    client.force_login(actors["community_secretary"])
    response = client.post(
        reverse("communities:compound-edit", args=[tree["compound_a"].pk]),
        {
            "address": "不应保存",
            "household_count": "很多",
            "resident_count": 500,
            "floor_area": "1",
            "property_mode": "menu",
        },
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    tree["compound_a"].refresh_from_db()
    assert tree["compound_a"].address == ""


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "engine": "postgresql"}
    assert body["broker"]["ok"] is True and body["broker"]["mode"] == "redis"


def test_healthz_reports_broken_broker_as_503(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


def test_load_demo_twice_changes_nothing(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))

    def snapshot():
        return {
            model.__name__: sorted(map(repr, model.objects.values()))
            for model in (Compound, Building, BuildingLead, BoardContact, Role, User, *PROJECT_MODELS)
        }

    first = snapshot()
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert snapshot() == first
    assert Compound.objects.filter(
        name="菡凌蓉小区",
        year_built=1989,
        building_count=35,
        household_count=800,
        resident_count=2450,
        is_synthetic=False,
    ).exists()
    assert Compound.objects.filter(is_synthetic=True).count() == 40
    assert Project.objects.get(compound__name="菡凌蓉小区").status == "handed_over"
    assert Project.objects.filter(status="construction").exists()
    # 菡凌蓉小区 is handed over: every source allocated, paid out and spent in full (to the fen).
    hlr = Project.objects.get(compound__name="菡凌蓉小区")
    planned = sum(hlr.funding.values_list("amount", flat=True))
    assert planned == hlr.budget
    assert sum(hlr.funding_entries.filter(stage="spent").values_list("amount", flat=True)) == planned
    assert set(Role.objects.values_list("kind", flat=True)) == {
        "province_official",
        "city_official",
        "district_official",
        "subdistrict_official",
        "community_secretary",
        "contractor",
        "inspector",
        "property_staff",
    }


def test_pages_are_chinese_even_for_an_english_browser(tree, actors, client):
    client.force_login(actors["district_official"])
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="zh-hans">' in page


def test_api_errors_follow_accept_language(api):
    response = api.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["errors"][0]["detail"] == "Authentication credentials were not provided."


def test_check_services_stops_with_instructions_when_redis_is_down(settings, capsys):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(SystemExit) as exit_info:
        call_command("check_services")
    assert exit_info.value.code == 1
    assert "docker compose up -d db redis" in capsys.readouterr().err


def test_check_services_passes_with_real_services(capsys):
    call_command("check_services")
    assert "reachable" in capsys.readouterr().out
