"""The programme end to end on a 390 px phone (issue 17): a subdistrict official declares a compound; the district
official returns it with a reason; it is amended and approved into the library; the district official puts it in
this year's plan with a target split over two subdistricts; a project is created from it with an EPC award (its
planned funding is the declared split); a disbursement larger than the allocation is refused with a message and
nothing saved; the month's report — with the plan's target and the project's money in it — is submitted and is
then visible to a city official, who cannot see any other city's districts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.choices import RoleKind
from projects.models import FundingEntry
from reports.models import MonthlyReport
from tests import factories as f
from tests.browser.helpers import declaration_to_project, declaring_district, fits_a_phone, record_funding, sign_in


@pytest.fixture
def programme(transactional_db):
    province = f.ProvinceFactory(name="福建省")
    xiamen, fuzhou = f.CityFactory(province=province, name="厦门市"), f.CityFactory(province=province, name="福州市")
    siming, gulou = f.DistrictFactory(city=xiamen, name="思明区"), f.DistrictFactory(city=fuzhou, name="鼓楼区")
    return {
        **declaring_district(siming),
        "siming": siming,
        "gulou": gulou,
        "city": f.user_with_role(RoleKind.CITY_OFFICIAL, city=xiamen),
    }


@pytest.fixture
def slow_page(page):
    """The machine running the suite may be busy: give each step a generous minute."""
    page.context.set_default_timeout(60000)
    page.context.set_default_navigation_timeout(60000)
    return page


def test_from_declaration_to_the_city_reading_the_monthly_report(programme, slow_page, tmp_path):
    page = slow_page
    pdf = tmp_path / "测绘图.pdf"
    pdf.write_bytes(f.pdf_file().read())

    # Declare → return with a reason → amend → library → this year's plan with shares → project with EPC award.
    project = declaration_to_project(page, programme, pdf)
    planned = dict(project.funding.values_list("source", "amount"))
    assert planned == {"district_funds": Decimal("1000000.00"), "residents": Decimal("200000.00")}

    # Funding: allocate; a disbursement one fen above the allocation is refused on the form and nothing is saved.
    record_funding(page, project, "allocated", "300000.00", "思财建〔2026〕88号")
    page.wait_for_selector("[data-testid=funding-entries]")
    fits_a_phone(page)
    record_funding(page, project, "disbursed", "300000.01", "思建拨〔2026〕89号")
    form = page.locator("[data-testid=funding-form]")
    assert "¥300,000.00" in form.locator(".invalid-feedback").inner_text()
    assert page.input_value("#id_document_number") == "思建拨〔2026〕89号"  # the input is kept
    fits_a_phone(page)
    assert not FundingEntry.objects.filter(project=project, stage="disbursed").exists()
    page.fill("#id_amount", "300000.00")
    page.click("[data-testid=funding-form] button[type=submit]")
    page.wait_for_selector("[data-testid=funding-entries]")
    record_funding(page, project, "spent", "120000.50", "思建支〔2026〕90号")
    page.wait_for_selector("[data-testid=funding-entries]")
    assert FundingEntry.objects.filter(project=project).count() == 3

    # The month's report counts the plan's target and the project's money; the district official submits it.
    today = timezone.localdate()
    page.goto("/reports/")
    fits_a_phone(page)
    page.click(f"[data-testid=prepare-{programme['siming'].pk}]")
    page.wait_for_selector("[data-testid=submit-report]")
    fits_a_phone(page)
    assert page.locator("[data-testid=row-compounds_started] td").nth(3).inner_text() == "10"
    assert page.locator("[data-testid=row-compounds_finished] td").nth(3).inner_text() == "6"
    assert "120000.50" in page.locator("[data-testid=money-special_bonds]").inner_text()
    page.click("[data-testid=submit-report]")
    page.wait_for_selector("[data-testid=submitted]")
    report = MonthlyReport.objects.get()
    assert (report.district, report.year, report.month) == (programme["siming"], today.year, today.month)
    assert report.submitted_by == programme["district"]

    # The city official finds and opens it, and sees nothing of another city's district.
    sign_in(page, programme["city"])
    page.goto("/reports/")
    fits_a_phone(page)
    assert "鼓楼区" not in page.locator("[data-testid=report-table]").inner_text()
    page.locator(f"[data-testid=report-{report.pk}]").get_by_role("link", name="思明区").click()
    page.wait_for_selector("[data-testid=submitted]")
    fits_a_phone(page)
    assert "120000.50" in page.locator("[data-testid=money-special_bonds]").inner_text()
    assert page.locator("[data-testid=submit-report]").count() == 0  # the city reads; the district submits
    page.goto("/dashboard/")
    fits_a_phone(page)
    children = page.locator("[data-testid=children]").inner_text()
    assert "思明区" in children and "鼓楼区" not in children
    for url in (
        reverse("dashboard:place", args=["district", programme["gulou"].pk]),
        reverse("reports:month", args=[programme["gulou"].pk, today.year, today.month]),
    ):
        assert page.goto(url).status == 404, url
