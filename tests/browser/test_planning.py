"""From declaration to project on a phone: a subdistrict official declares a compound; the district official
returns it with a reason; it is amended and approved into the library; the district official puts it in this
year's plan with a target split over two subdistricts; a project is created from it with an EPC award."""

import pytest
from django.utils import timezone

from communities.choices import CompanyKind, RoleKind
from planning.models import Declaration, PlanItem
from projects.models import ProgrammeTarget, TargetShare
from tests import factories as f


@pytest.fixture
def people(transactional_db):
    district = f.DistrictFactory(name="思明区")
    sub_a = f.SubdistrictFactory(district=district, name="筼筜街道")
    sub_b = f.SubdistrictFactory(district=district, name="鹭江街道")
    compound = f.CompoundFactory(
        community=f.CommunityFactory(subdistrict=sub_a, name="屿后西社区"), name="屿后南里小区"
    )
    official = f.user_with_role(RoleKind.SUBDISTRICT_OFFICIAL, subdistrict=sub_a)
    return {
        "compound": compound,
        "sub_a": sub_a,
        "sub_b": sub_b,
        "official": official,
        "district": f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district),
        "vote": f.willingness_vote(compound, official),
        "contractor": f.CompanyFactory(name="甲建设公司", kind=CompanyKind.CONTRACTOR),
        "designer": f.CompanyFactory(name="乙设计院", kind=CompanyKind.DESIGNER),
    }


def _login(page, user):
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def test_declaration_to_project(people, page, tmp_path):
    compound = people["compound"]
    pdf = tmp_path / "测绘图.pdf"
    pdf.write_bytes(f.pdf_file().read())

    _login(page, people["official"])
    page.goto("/planning/declarations/")
    page.click("[data-testid=declare]")
    page.select_option("#id_compound", str(compound.pk))
    page.select_option("#id_vote", str(people["vote"].pk))
    page.fill("#id_needs_summary", "雨污混流，电动车停放难")
    page.fill("#id_households_affected", "320")
    page.select_option("#id_item_0_class", "basic")
    page.select_option("#id_item_0_category", "pipe_rain_sewage")
    page.fill("#id_item_0_description", "雨污分流")
    page.fill("#id_item_0_quantity", "1.2")
    page.fill("#id_item_0_cost", "1200000")
    page.fill("#id_funding_district_funds", "1000000")
    page.fill("#id_funding_residents", "200000")
    page.click("[data-testid=declaration-form] button[type=submit]")
    page.set_input_files("#id_file", str(pdf))
    page.locator("form[enctype] button[type=submit]").click()
    page.click("[data-testid=submit]")
    assert page.locator("[data-testid=declaration-status]").inner_text().strip() != ""
    declaration = Declaration.objects.get(compound=compound)
    assert declaration.status == "submitted" and declaration.attachments.count() == 1

    _login(page, people["district"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    page.fill("#id_reason", "请补充居民意见汇总表")
    page.click("[data-testid=return]")
    assert "请补充居民意见汇总表" in page.locator("[data-testid=last-reason]").inner_text()

    _login(page, people["official"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    assert "请补充居民意见汇总表" in page.locator("[data-testid=last-reason]").inner_text()
    page.click("[data-testid=edit]")
    page.fill("#id_needs_summary", "雨污混流，电动车停放难（已附居民意见汇总表）")
    page.click("[data-testid=declaration-form] button[type=submit]")
    page.click("[data-testid=submit]")

    _login(page, people["district"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    page.click("[data-testid=approve]")
    assert page.locator("[data-testid=history] li").count() == 4
    page.goto("/planning/library/")
    assert compound.name in page.locator("[data-testid=declaration-table]").inner_text()

    year = timezone.localdate().year
    page.goto("/planning/plans/")
    page.fill("#id_year", str(year))
    page.click("[data-testid=plan-create] button[type=submit]")
    page.select_option("#id_declaration", str(declaration.pk))
    page.click("[data-testid=plan-item-add] button[type=submit]")
    assert compound.name in page.locator("[data-testid=batch]").first.inner_text()
    page.fill("#id_to_start", "10")
    page.fill("#id_to_finish", "6")
    page.fill(f"#id_start_{people['sub_a'].pk}", "7")
    page.fill(f"#id_finish_{people['sub_a'].pk}", "4")
    page.fill(f"#id_start_{people['sub_b'].pk}", "5")
    page.fill(f"#id_finish_{people['sub_b'].pk}", "2")
    page.click("[data-testid=target-form] button[type=submit]")
    assert page.locator(".alert-danger").count() == 1  # 7 + 5 > 10: refused, nothing saved
    assert not ProgrammeTarget.objects.filter(year=year).exists()
    page.fill("#id_to_start", "10")
    page.fill("#id_to_finish", "6")
    page.fill(f"#id_start_{people['sub_a'].pk}", "6")
    page.fill(f"#id_finish_{people['sub_a'].pk}", "4")
    page.fill(f"#id_start_{people['sub_b'].pk}", "4")
    page.fill(f"#id_finish_{people['sub_b'].pk}", "2")
    page.click("[data-testid=target-form] button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert TargetShare.objects.filter(target__year=year).count() == 2

    page.click("[data-testid=create-project]")
    page.select_option("#id_contractor", str(people["contractor"].pk))
    page.fill("#id_contract_number", "SM-EPC-2026-001")
    page.fill("#id_contract_amount", "1180000.50")
    page.fill("#id_awarded_on", timezone.localdate().isoformat())
    page.select_option("#id_designer", str(people["designer"].pk))
    page.click("[data-testid=award-form] button[type=submit]")
    page.wait_for_url("**/projects/*/")
    item = PlanItem.objects.select_related("project").get()
    assert item.project.contract_number == "SM-EPC-2026-001" and item.project.contractor == people["contractor"]
    assert str(item.project.contract_amount) == "1180000.50" and item.project.batch == year
