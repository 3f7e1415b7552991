"""A resident on a phone (390×844, Chinese) scans the building plate, reports a problem with a photo, gets a
tracking code; the secretary answers and publishes; the tracking page and the public page show the answer — never
the resident's name or phone. No page scrolls sideways; no console error."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from communities.demo import DEMO_PASSWORD
from communities.models import Compound
from consultations.models import ResidentProblem
from tests.browser.helpers import fits_a_phone


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_a_resident_reports_from_the_plate_and_reads_the_published_answer(demo_data, login, page, tmp_path):
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    photo = tmp_path / "door.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 80, 40)).save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    compound = Compound.objects.get(code="LX-HLR")
    building = compound.buildings.get(number="3号楼")

    # The resident scans the plate: the public page of the compound, then the report with the building chosen.
    page.goto(f"/public/compounds/{compound.code}/buildings/{building.pk}/plate/")
    fits_a_phone(page)
    page.click("[data-testid=plate-report]")
    fits_a_phone(page)
    assert page.locator("#id_building").input_value() == str(building.pk)
    page.fill("#id_raised_by_name", "王小明")
    page.fill("#id_raised_by_phone", "13912345678")
    page.click("[data-testid=report-submit]")  # nothing described yet: refused, the name kept
    assert page.locator("[data-testid=report-errors]").is_visible()
    assert page.locator("#id_raised_by_name").input_value() == "王小明"
    fits_a_phone(page)
    page.fill("#id_description", "3号楼单元门的门禁坏了，老人进出不便")
    page.set_input_files("#id_photo", str(photo))
    page.click("[data-testid=report-submit]")
    code = page.locator("[data-testid=tracking-code]").inner_text().strip()
    assert len(code) == 8
    assert page.locator("[data-testid=status]").is_visible()
    fits_a_phone(page)
    tracking = page.url.split("?")[0]
    problem = ResidentProblem.objects.get(tracking_code=code)
    assert problem.photo and problem.building == building

    # The secretary answers and publishes.
    login("secretary_lianxiu", DEMO_PASSWORD)
    page.goto("/consultations/problems/")
    fits_a_phone(page)
    page.get_by_role("link", name="3号楼单元门的门禁坏了").first.click()
    fits_a_phone(page)
    assert "13912345678" in page.content()  # the secretary may call back
    page.fill("#id_answer", "已报物业维修，门禁明天修好。")
    page.check("#id_published")
    page.click("[data-testid=answer-form] button[type=submit]")
    assert page.locator("[data-testid=publish-state]").inner_text().strip() != ""
    problem.refresh_from_db()
    assert problem.published_at is not None and problem.answer.startswith("已报物业维修")

    # The resident, signed out, follows the tracking page and the public page.
    page.context.clear_cookies()
    page.goto(tracking)
    assert "已报物业维修" in page.locator("[data-testid=answer]").inner_text()
    fits_a_phone(page)
    html = page.content()
    assert "王小明" not in html and "13912345678" not in html
    page.goto(f"/public/compounds/{compound.code}/")
    problems = page.locator("[data-testid=public-problems]").inner_text()
    assert "3号楼单元门的门禁坏了" in problems and "已报物业维修" in problems
    assert "王小明" not in page.content() and "13912345678" not in page.content()
    fits_a_phone(page)
    assert errors == []
