"""The secretary's meeting on a 390×844 phone in Chinese, from invitation to minutes: scheduled a week ahead (no
minutes due), its invitations listed, a photo kept as soon as it is chosen, residents signing in by QR code on a
second phone (the same unit refused the second time), names ticked on the roll, the minutes published and shown
on the compound's public page — with no sideways scrolling and no console error on any page."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from communities.demo import DEMO_PASSWORD
from consultations.models import Meeting, MeetingAttendance
from tests import factories as f
from tests.browser.helpers import fits_a_phone


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def _watch(page, problems):
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))


def _check(page, problems):
    page.wait_for_load_state("networkidle")
    fits_a_phone(page)
    assert problems == [], problems


def test_secretary_runs_a_meeting_from_invitation_to_published_minutes(
    demo_data, browser, live_server, login, page, tmp_path
):
    problems: list[str] = []
    _watch(page, problems)
    login("secretary_lianxiu", DEMO_PASSWORD)
    page.goto("/consultations/")
    page.click("[data-testid=schedule-meeting]")
    _check(page, problems)

    # Required choices start empty; the compound's buildings come in when it is chosen.
    assert page.locator("#id_kind").input_value() == ""
    page.select_option("#id_compound", label="菡凌蓉小区")
    building = page.locator("#field-buildings .check-row").filter(has=page.get_by_text("3号楼", exact=True))
    building.wait_for()
    page.wait_for_load_state("networkidle")  # htmx has swapped the compound's buildings in
    building.wait_for(state="visible")  # the swapped-in row, settled
    # A thumb's tap target, the label included: waited for, since htmx may settle the row again (it measured None
    # or 0 in the middle of a swap under load); never reaching 44 px fails the test.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#field-buildings .check-row')]
            .some(row => row.textContent.includes('3号楼') && row.getBoundingClientRect().height >= 44)"""
    )
    page.select_option("#id_kind", "tea_meeting")
    day = timezone.localdate() + timedelta(days=7)
    page.fill("#id_held_at", f"{day.isoformat()}T19:30")
    page.fill("#id_place", "菡凌蓉小区二楼活动室")
    building.locator("label").click()
    page.fill("#id_new_topics", "3号楼外墙渗水")
    page.click("[data-testid=meeting-form] button[type=submit]")
    page.wait_for_selector("[data-testid=meeting-upcoming]")
    _check(page, problems)
    meeting = Meeting.objects.get(place="菡凌蓉小区二楼活动室")
    assert meeting.status == "scheduled" and [b.number for b in meeting.buildings.all()] == ["3号楼"]
    # A week ahead: no minutes due, nothing to publish yet.
    assert page.locator("[data-testid=publish]").count() == 0
    assert "text-bg-danger" not in page.locator("[data-testid=meeting-status]").get_attribute("class")
    assert "text-bg-warning" not in page.locator("[data-testid=meeting-status]").get_attribute("class")

    page.click("[data-testid=invitations-link]")
    rows = page.locator("[data-testid=invitations] tbody tr")
    assert rows.count() == meeting.invitations.count() > 1
    assert "陈建国" in page.locator("[data-testid=invitations]").inner_text()  # the owner of three flats, once
    _check(page, problems)

    held = timezone.make_aware(datetime.combine(day, time(19, 30)))
    with time_machine.travel(held - timedelta(minutes=10), tick=True):
        page.context.clear_cookies()  # a week later: the 8-hour session is long over
        login("secretary_lianxiu", DEMO_PASSWORD)
        # At the meeting: a photo is kept as soon as it is chosen.
        page.goto(f"/consultations/meetings/{meeting.pk}/")
        photo = tmp_path / "meeting.jpg"
        photo.write_bytes(f.photo_file().read())
        page.set_input_files("[data-testid=photo-form] input[type=file]", str(photo))
        page.wait_for_selector("[data-testid=photos] img")
        assert meeting.photos.count() == 1
        _check(page, problems)

        page.click("[data-testid=sign-in-link]")
        _check(page, problems)
        sign_in_url = page.locator("[data-testid=sign-in-url]").inner_text().strip()
        assert sign_in_url.startswith(live_server.url) and meeting.sign_in_token in sign_in_url

        # A resident scans the QR code on their own phone: no login, their unit, once.
        phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
        phone.set_default_timeout(15000)
        resident = phone.new_page()
        _watch(resident, problems)
        resident.goto(sign_in_url)
        _check(resident, problems)
        assert resident.locator("#id_owner_unit").input_value() == ""  # chosen, never defaulted
        resident.select_option("#id_owner_unit", label="3号楼 2-302")
        resident.fill("#id_name", "张阿姨")
        resident.click("[data-testid=public-sign-in] button[type=submit]")
        resident.wait_for_selector("[data-testid=signed-in]")
        _check(resident, problems)
        resident.goto(sign_in_url)
        resident.select_option("#id_owner_unit", label="3号楼 2-302")
        resident.click("[data-testid=public-sign-in] button[type=submit]")
        error = resident.locator(".alert-danger")
        error.wait_for()
        assert "3号楼 2-302" in error.inner_text()  # the same unit twice: refused, saying which
        assert "138000" not in resident.content()  # owners' phones never appear
        phone.close()
        assert MeetingAttendance.objects.filter(meeting=meeting, channel="qr").count() == 1

        # The secretary ticks a name on the roll.
        page.reload()
        invitee = page.locator("[data-testid=invitee]", has_text="陈建国")
        invitee.locator("[data-testid=tick]").click()
        page.locator("[data-testid=invitee]", has_text="陈建国").locator("[data-testid=signed-in]").wait_for()
        assert page.locator("[data-testid=signed-in]").count() == 2  # 张阿姨's unit's owner is ticked too
        _check(page, problems)
        meeting.refresh_from_db()
        assert meeting.attendance == 2

    with time_machine.travel(held + timedelta(hours=2), tick=True):
        page.goto(f"/consultations/meetings/{meeting.pk}/")
        assert page.locator("[data-testid=publish]").count() == 1  # held: the minutes are due now
        page.fill("#id_decisions", "3号楼外墙渗水纳入改造方案。")
        page.fill("#id_minutes", "通报外墙渗水情况，业主一致同意纳入改造方案。")
        page.click("[data-testid=publish]")
        page.wait_for_selector("[data-testid=versions]")
        _check(page, problems)
        meeting.refresh_from_db()
        assert meeting.status == "published" and meeting.minutes_versions.count() == 1

        page.context.clear_cookies()  # the public page needs no login
        page.goto(f"/public/compounds/{meeting.compound.code}/")
        minutes = page.locator("[data-testid=public-minutes]").inner_text()
        assert "3号楼外墙渗水纳入改造方案。" in minutes and "业主一致同意纳入改造方案" in minutes
        assert "张阿姨" not in page.content() and "138000" not in page.content()
        _check(page, problems)
