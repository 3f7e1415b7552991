"""A district official drills from the district down to one compound and downloads an XLSX export.

With ``DASHBOARD_SCREENSHOT=<path>`` the test also saves the district dashboard as the README's screenshot.
"""

import io
import os

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from communities.demo import DEMO_PASSWORD
from communities.models import Compound


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_drill_from_district_to_compound_and_download_xlsx(demo_data, login, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    login("district", DEMO_PASSWORD)
    page.goto("/dashboard/")
    assert page.locator("[data-testid=dashboard-title]").inner_text().startswith("思明区")
    assert page.locator("[data-testid=fig-projects]").inner_text() == "45"
    page.wait_for_selector("#chart-status svg")  # ECharts drew the chart (served from static/, no CDN)
    if os.environ.get("DASHBOARD_SCREENSHOT"):
        page.screenshot(path=os.environ["DASHBOARD_SCREENSHOT"], full_page=True)

    page.locator("[data-testid=children]").get_by_role("link", name="筼筜街道").click()
    assert page.locator("[data-testid=dashboard-title]").inner_text().startswith("筼筜街道")
    compound = Compound.objects.get(code="ZCA-ZCAXL")
    community = compound.community.name
    if page.locator("[data-testid=children]").get_by_role("link", name=community).count() == 0:
        # 曾厝垵 lies in another subdistrict: go back up and take its own path.
        page.locator("[data-testid=crumbs]").get_by_role("link", name="思明区").click()
        page.locator("[data-testid=children]").get_by_role("link", name=compound.community.subdistrict.name).click()
    page.locator("[data-testid=children]").get_by_role("link", name=community).click()
    assert page.locator("[data-testid=dashboard-title]").inner_text().startswith(community)
    page.locator("[data-testid=children]").get_by_role("link", name=compound.name).click()
    assert page.locator("[data-testid=dashboard-title]").inner_text().startswith(compound.name)
    assert page.locator("[data-testid=children]").count() == 0  # a compound is the last level
    crumbs = page.locator("[data-testid=crumbs]").inner_text()
    assert "思明区" in crumbs and community in crumbs

    with page.expect_download() as download_info:
        page.click("[data-testid=export-xlsx]")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(open(download.path(), "rb").read()), read_only=True)
    summary = {row[0:2]: (row[2:] or (None,))[0] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert summary[("改造项目", "合计")] == 1 and summary[("整改问题", "合计")] == 4

    page.click("[data-testid=fig-issues-overdue]")  # every figure links to the list it counts
    assert page.locator("[data-testid=issue-count]").inner_text().startswith("1")
