"""Reports upward: a district official submits the month's report; a city official logs in, finds it and opens it,
and gets a 404 for another city's district (its dashboard and its month), on a 390 px phone."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.choices import RoleKind
from projects.choices import ProjectStatus
from reports.models import MonthlyReport
from tests import factories as f


@pytest.fixture
def two_cities(transactional_db):
    today = timezone.localdate()
    province = f.ProvinceFactory(name="福建省")
    xiamen, fuzhou = f.CityFactory(province=province, name="厦门市"), f.CityFactory(province=province, name="福州市")
    siming, gulou = f.DistrictFactory(city=xiamen, name="思明区"), f.DistrictFactory(city=fuzhou, name="鼓楼区")
    community = f.CommunityFactory(subdistrict=f.SubdistrictFactory(district=siming))
    compound = f.CompoundFactory(community=community, building_count=6, household_count=210)
    f.ProjectFactory(
        compound=compound, status=ProjectStatus.CONSTRUCTION, actual_start=date(today.year, today.month, 1)
    )
    return {
        "siming": siming,
        "gulou": gulou,
        "official": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=siming),
        "city": f.user_with_role(RoleKind.CITY_OFFICIAL, city=xiamen),
        "today": today,
    }


def test_district_submits_and_only_its_city_sees_it(two_cities, login, page):
    login(two_cities["official"].username, f.PASSWORD)
    page.goto("/reports/")
    page.click(f"[data-testid=prepare-{two_cities['siming'].pk}]")
    assert page.locator("[data-testid=compounds_started-month]").inner_text() == "1"
    assert page.locator("[data-testid=households_started-month]").inner_text() == "210"
    page.click("[data-testid=submit-report]")
    page.wait_for_selector("[data-testid=submitted]")
    report = MonthlyReport.objects.get()
    assert (report.version, report.submitted_by) == (1, two_cities["official"])

    page.context.clear_cookies()
    login(two_cities["city"].username, f.PASSWORD)
    page.goto("/reports/")
    page.locator(f"[data-testid=report-{report.pk}]").get_by_role("link", name="思明区").click()
    page.wait_for_selector("[data-testid=submitted]")
    assert page.locator("[data-testid=households_started-ytd]").inner_text() == "210"
    assert page.locator("[data-testid=submit-report]").count() == 0  # the city reads; the district submits
    # The city's own dashboard lists its district; another city's district is not there.
    page.goto("/dashboard/")
    assert "思明区" in page.locator("[data-testid=children]").inner_text()
    today = two_cities["today"]
    for url in (
        reverse("dashboard:place", args=["district", two_cities["gulou"].pk]),
        reverse("reports:month", args=[two_cities["gulou"].pk, today.year, today.month]),
    ):
        response = page.goto(url)
        assert response.status == 404, url
