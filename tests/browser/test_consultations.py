"""A secretary records a tea meeting with two topics on a phone and records a vote whose result appears on the
compound's public page; keeps the owners' roll unit by unit on a phone."""

import pytest
from django.core.management import call_command

from communities.demo import DEMO_PASSWORD
from communities.models import Compound
from consultations.models import Meeting, Owner, OwnerUnit, Vote


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_secretary_logs_tea_meeting_and_vote_result_is_public(demo_data, login, page):
    login("secretary_lianxiu", DEMO_PASSWORD)
    page.goto("/consultations/")
    page.click("[data-testid=schedule-meeting]")
    page.select_option("#id_compound", label="菡凌蓉小区")
    page.select_option("#id_kind", "tea_meeting")
    page.fill("#id_held_at", "2026-11-20T19:30")
    page.fill("#id_place", "菡凌蓉小区二楼活动室")
    page.fill("#id_new_topics", "3号楼1单元加装电梯\n垃圾分类点选址")
    page.click("[data-testid=meeting-form] button[type=submit]")
    page.wait_for_selector("[data-testid=agenda]")
    meeting = Meeting.objects.get(place="菡凌蓉小区二楼活动室")
    assert sorted(meeting.topics.values_list("title", flat=True)) == ["3号楼1单元加装电梯", "垃圾分类点选址"]

    page.get_by_role("link", name="3号楼1单元加装电梯").click()
    page.check("input[name=needs] >> nth=0")
    page.get_by_role("button", name="关联需求").click()
    page.click("[data-testid=advance]")
    page.fill("[data-testid=step-form] textarea[name=description]", "3号楼1单元加装电梯，费用按楼层分摊。")
    page.click("[data-testid=step-form] button[type=submit]")
    page.click("[data-testid=advance]")
    page.fill("[data-testid=step-form] textarea[name=research_notes]", "楼栋长入户征求意见，高层住户普遍支持。")
    page.click("[data-testid=step-form] button[type=submit]")
    page.click("[data-testid=advance]")
    form = page.locator("[data-testid=vote-form]")
    form.locator("#id_title").fill("3号楼1单元是否加装电梯")
    form.locator("#id_matter_type").select_option("rebuild")
    form.locator("#id_electorate").select_option("stairwell")
    form.locator("#id_building").select_option(label="3号楼")
    form.locator("#id_stairwell").fill("1")
    form.locator("button[type=submit]").click()

    page.click("[data-testid=open-vote]")
    assert "还需" in page.locator("[data-testid=still-needed]").inner_text()
    for n in range(9):  # 9 of the stairwell's 12 units vote for online; staff enter each with its receipt
        row = page.locator("[data-testid=ballots] tbody tr").filter(has=page.locator("form")).first
        row.locator("select[name=channel]").select_option("online")
        row.locator("input[name=confirmation_ref]").fill(f"WX-{n:04d}")
        row.locator("button[type=submit]").click()
        page.wait_for_load_state()
    page.click("[data-testid=close-vote]")
    assert "通过" in page.locator("[data-testid=vote-result]").inner_text()
    vote = Vote.objects.get(title="3号楼1单元是否加装电梯")
    assert vote.result == "passed" and vote.voters.count() == 12

    compound_code = vote.topic.compound.code
    page.context.clear_cookies()  # the public page needs no login
    page.goto(f"/public/compounds/{compound_code}/")
    decisions = page.locator("[data-testid=public-decisions]").inner_text()
    assert "3号楼1单元是否加装电梯" in decisions and "通过" in decisions
    assert "138000" not in page.content()  # owners' phones never appear


def test_secretary_adds_edits_and_retires_a_roll_unit_on_a_phone(demo_data, login, page):
    """The roll lists each owner with their units (陈建国 holds three flats of building 3); a unit is added,
    moved to another owner with a new area, and retired, and its history says so."""
    compound = Compound.objects.get(name="菡凌蓉小区")
    login("secretary_lianxiu", DEMO_PASSWORD)
    page.goto(f"/consultations/compounds/{compound.pk}/owners/")
    owners = page.locator("[data-testid=roll-owners]")
    assert "3号楼 1-101、3号楼 1-102、3号楼 2-101" in owners.locator("li", has_text="陈建国").inner_text()
    page.click("[data-testid=unit-add-link]")
    form = page.locator("[data-testid=unit-add]")
    form.locator("#id_unit-building").select_option(label="3号楼")
    form.locator("#id_unit-stairwell").fill("2")
    form.locator("#id_unit-unit").fill("2-701")
    form.locator("#id_unit-area").fill("88.5")
    form.locator("#id_unit-owner").select_option(label="陈建国")
    form.locator("button[type=submit]").click()
    assert "2-701" in page.locator(".alert-success").inner_text()
    assert "3号楼 2-701" in owners.locator("li", has_text="陈建国").inner_text()
    unit = OwnerUnit.objects.get(compound=compound, unit="2-701")

    page.goto(f"/consultations/roll-units/{unit.pk}/")
    edit = page.locator("[data-testid=unit-edit]")
    edit.locator("#id_area").fill("90")
    developer = Owner.objects.get(compound=compound, name="厦门菡凌置业有限公司")
    edit.locator("#id_owner").select_option(str(developer.pk))
    edit.locator("button[type=submit]").click()
    page.goto(f"/consultations/roll-units/{unit.pk}/")
    page.locator("[data-testid=unit-retire] input[name=note]").fill("录入错误")
    page.locator("[data-testid=unit-retire] button[type=submit]").click()
    assert "2-701" in page.locator(".alert-success").inner_text()
    unit.refresh_from_db()
    assert unit.retired_at is not None and unit.area == 90 and unit.owner.name == "厦门菡凌置业有限公司"
    page.goto(f"/consultations/roll-units/{unit.pk}/")
    history = page.locator("[data-testid=unit-history]").inner_text()
    assert "录入错误" in history and "88.50 → 90.00" in history
