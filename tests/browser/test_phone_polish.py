"""On a 390 px phone, the pages every role starts from show no console error (the CSP included), request nothing
that fails (the favicon included), and do not scroll sideways, dashboards included; a photo thumbnail opens the
full-size photo and closes again."""

import pytest
from django.core.management import call_command

from communities.demo import DEMO_PASSWORD
from inspections import services as inspection_services
from inspections.choices import IssueStatus
from inspections.models import RectificationIssue
from tests import factories as f


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def watched(page):
    """The page, with its console errors and failed requests collected."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )
    return page, problems


def assert_fits_a_phone(page, problems, path):
    page.goto(path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    assert width == 390 and scroll <= width, f"{path}: {scroll} px wide"
    assert problems == [], f"{path}: {problems}"


def test_start_pages_on_a_phone_have_no_console_error_and_no_sideways_scroll(demo_data, login, watched):
    page, problems = watched
    assert page.request.get("/favicon.ico").ok  # redirected to the static icon
    for user, paths in {
        "district": ["/", "/dashboard/", "/audit/", "/projects/"],
        "secretary": ["/", "/consultations/"],
        "contractor": ["/", "/inspections/issues/"],
        "inspector": ["/", "/inspections/"],
    }.items():
        page.context.clear_cookies()
        login(user, DEMO_PASSWORD)
        for path in paths:
            assert_fits_a_phone(page, problems, path)
        if user == "district":
            page.goto("/dashboard/")
            page.wait_for_selector("#chart-status svg")  # the portal's ECharts build draws the charts
            page.wait_for_selector("#chart-tiers svg")
            assert problems == []
    page.context.clear_cookies()
    assert_fits_a_phone(page, problems, "/public/compounds/XH-JMHY/")


def test_a_thumbnail_opens_the_full_photo_on_a_phone(demo_data, login, watched):
    page, problems = watched
    issue = RectificationIssue.objects.filter(status=IssueStatus.OPEN).select_related("contractor").first()
    contractor = f.user_with_role("contractor", company=issue.contractor)
    inspection_services.issue_submit_rectification(
        actor=contractor, issue=issue, note="已整改", photos=[f.photo_file(size=(1200, 900))]
    )
    login("district", DEMO_PASSWORD)
    assert_fits_a_phone(page, problems, f"/inspections/issues/{issue.pk}/")
    photo = issue.photos.get()
    lightbox = page.locator(f"#issue-photo-{photo.pk}-full")
    assert not lightbox.is_visible()
    page.locator(f"#issue-photo-{photo.pk} a.photo-thumb").click()
    assert lightbox.is_visible()
    page.wait_for_function(
        "id => document.querySelector(`#${id} img`).naturalWidth === 1200", arg=f"issue-photo-{photo.pk}-full"
    )
    box = lightbox.locator("img").bounding_box()
    assert box["width"] <= 390  # scaled to the screen
    lightbox.click()
    assert not lightbox.is_visible()
    assert problems == []
