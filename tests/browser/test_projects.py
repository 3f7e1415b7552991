"""A contractor files a progress report with a photo from the phone form and sees the progress change."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from communities.demo import DEMO_PASSWORD
from projects.models import Project


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_contractor_files_report_with_photo_and_progress_changes(demo_data, login, page, tmp_path):
    project = Project.objects.get(compound__code="ZCA-ZCAXL")
    assert project.progress_percent == 60
    photo = tmp_path / "现场.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 90)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())

    login("contractor", DEMO_PASSWORD)
    # The project owes its weekly report: on the contractor's today list, one tap from the report form.
    page.locator("[data-testid=today-projects_needing_action]").get_by_text(project.name).click()
    page.wait_for_selector("[data-testid=report-form]")
    page.fill("#id_percent_complete", "75")
    page.fill("#id_work_done", "燃气管道沿雨污管网沟槽同步敷设")
    page.fill("#id_manpower", "26")
    page.fill("#id_weather", "晴")
    item = project.scope_items.get(name="燃气管道更新")
    page.fill(f"#id_qty_{item.pk}", "0.2")
    page.set_input_files("#id_photos", str(photo))
    page.click("[data-testid=report-form] button[type=submit]")

    page.wait_for_selector("[data-testid=progress-percent]")
    assert page.locator("[data-testid=progress-percent]").inner_text() == "75%"
    assert "进度报告已提交" in page.locator(".alert-success").inner_text()
    thumbnail = page.locator("[data-testid=reports] img").first
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    item.refresh_from_db()
    assert str(item.completed_quantity) == "0.20"


def test_report_form_shows_errors_and_keeps_the_input(demo_data, login, page, tmp_path):
    project = Project.objects.get(compound__code="ZCA-ZCAXL")
    bad = tmp_path / "not-a-photo.jpg"
    bad.write_text("this is not an image")
    login("contractor", DEMO_PASSWORD)
    page.goto(f"/projects/{project.pk}/reports/new/")
    page.fill("#id_percent_complete", "70")
    page.fill("#id_work_done", "道路铺设")
    page.set_input_files("#id_photos", str(bad))
    page.click("[data-testid=report-form] button[type=submit]")
    assert "不是有效的图片" in page.locator("[data-testid=report-form]").inner_text()
    assert page.input_value("#id_work_done") == "道路铺设"
    project.refresh_from_db()
    assert project.progress_percent == 60
