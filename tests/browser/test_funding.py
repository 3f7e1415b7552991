"""On a phone, a district official records an allocation and a disbursement; one larger than the allocation is
refused with a message on the form and nothing is saved."""

import pytest
from django.core.management import call_command

from communities.demo import DEMO_PASSWORD
from projects.models import FundingEntry, Project
from tests.browser.helpers import record_funding


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


def test_disbursement_beyond_the_allocation_is_refused_on_the_phone_form(demo_data, login, page):
    project = Project.objects.filter(status="planning").order_by("pk").first()
    login("district", DEMO_PASSWORD)
    record_funding(page, project, "allocated", "100.10", "思财建〔2026〕88号")
    page.wait_for_selector("[data-testid=funding-entries]")
    assert "思财建〔2026〕88号" in page.locator("[data-testid=funding-entries]").inner_text()

    record_funding(page, project, "disbursed", "100.11", "思建拨〔2026〕89号")
    form = page.locator("[data-testid=funding-form]")
    assert "¥100.10" in form.locator(".invalid-feedback").inner_text()
    assert page.input_value("#id_document_number") == "思建拨〔2026〕89号"  # the input is kept
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling on a phone
    assert not FundingEntry.objects.filter(project=project, stage="disbursed").exists()

    page.fill("#id_amount", "100.10")
    page.click("[data-testid=funding-form] button[type=submit]")
    page.wait_for_selector("[data-testid=funding-entries]")
    assert (
        FundingEntry.objects.get(project=project, stage="disbursed").amount
        == project.funding_entries.get(stage="allocated").amount
    )
