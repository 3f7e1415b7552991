"""Aftercare on a 390 px phone: the community secretary of 嘉美花园 (demo) goes through the aftercare pages without
sideways scrolling or console errors, records the charging points' income in the ledger form, adds sign-ups to an
activity and finds the published quarter on the public page."""

import pytest
from django.core.management import call_command

from aftercare.models import AftercareRecord, LedgerEntry
from communities.demo import DEMO_PASSWORD
from tests.browser.test_phone_polish import assert_fits_a_phone

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def watched(page):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )
    return page, problems


def test_secretary_keeps_jiamei_gardens_aftercare_on_a_phone(demo_data, login, watched):
    page, problems = watched
    record = AftercareRecord.objects.get(compound__code="XH-JMHY")
    activity = record.spaces.get(name="儿童游乐场").activities.get()
    login("secretary", DEMO_PASSWORD)
    base = f"/aftercare/{record.pk}/"
    for path in ["/aftercare/", base, f"{base}service-form/", f"{base}ledger/", f"{base}spaces/",
                 f"/aftercare/activities/{activity.pk}/"]:  # fmt: skip
        assert_fits_a_phone(page, problems, path)

    page.goto(f"{base}ledger/")
    form = page.get_by_test_id("ledger-form")
    form.locator("select[name=kind]").select_option("charging")
    form.locator("input[name=amount]").fill("300")
    form.locator("input[name=purpose]").fill("充电桩临时分成")
    form.locator("input[name=decision]").fill("业委会同意")
    form.locator("input[name=decided_on]").fill(record.opened_on.isoformat())
    form.get_by_test_id("record-entry").click()
    page.wait_for_url(f"**{base}ledger/")
    assert LedgerEntry.objects.filter(record=record, purpose="充电桩临时分成").exists()
    # a bad amount is refused on the form, nothing written
    form = page.get_by_test_id("ledger-form")
    form.locator("select[name=kind]").select_option("parking")
    form.locator("input[name=amount]").fill("0")
    form.locator("input[name=purpose]").fill("临停")
    form.locator("input[name=decision]").fill("业委会同意")
    form.locator("input[name=decided_on]").fill(record.opened_on.isoformat())
    problems.clear()
    form.get_by_test_id("record-entry").click()
    page.wait_for_selector(".invalid-feedback")
    problems.clear()  # the refused form answers 400, as it should
    assert not LedgerEntry.objects.filter(record=record, purpose="临停").exists()

    page.goto(f"/aftercare/activities/{activity.pk}/")
    page.get_by_test_id("signup-form").locator("input[name=count]").fill("3")
    page.get_by_test_id("signup-form").locator("button").click()
    page.wait_for_url(f"**/aftercare/activities/{activity.pk}/")
    activity.refresh_from_db()
    assert activity.signups == 14

    page.context.clear_cookies()
    assert_fits_a_phone(page, problems, "/public/compounds/XH-JMHY/")
    assert page.get_by_test_id("public-quarter").count() == 1
    assert "第一次近邻茶话会" in page.get_by_test_id("public-aftercare").inner_text()
    assert_fits_a_phone(page, problems, "/public/compounds/XH-JMHY/service-form/")
