"""Every demo role logs in through the browser and sees its Chinese home page."""

import pytest
from django.core.management import call_command

from communities.demo import DEMO_PASSWORD


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.mark.parametrize(
    "username,section",
    [
        ("district", "today-declarations_to_review"),
        ("subdistrict", "summary-dashboard"),
        ("secretary", "today-minutes_due"),
        ("contractor", "today-issues_to_rectify"),
        ("property", "today-patrols_due"),
        ("inspector", "today-inspections_due"),
    ],
)
def test_demo_role_logs_in_and_sees_home(username, section, demo_data, login, page):
    """Each role lands on its today list (今日待办)."""
    login(username, DEMO_PASSWORD)
    assert page.locator(f"[data-testid={section}]").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("nav a[href='/']").count() >= 1  # the brand and the home entry (首页)


def test_wrong_password_shows_message_in_browser(demo_data, page):
    page.goto("/login/")
    page.fill("#id_username", "district")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "请输入一个正确的" in page.locator("[data-testid=login-error]").inner_text()
