"""Steps the browser tests share: signing in as a user, the planning flow from declaration to project, recording
funding on a project, and the phone check (no sideways scrolling at 390 px)."""

from django.utils import timezone

from communities.choices import CompanyKind, RoleKind
from planning.models import Declaration, PlanItem
from projects.models import ProgrammeTarget, TargetShare
from tests import factories as f

PHONE_WIDTH = 390


def fits_a_phone(page) -> None:
    """The page on screen does not scroll sideways on a 390 px phone."""
    page.wait_for_load_state("load")
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.scrollingElement.scrollWidth")
    if width != PHONE_WIDTH or scroll > width:
        culprit = page.evaluate(
            """w => { const e = [...document.querySelectorAll('body *')].reverse()
                .find(e => e.getBoundingClientRect().right > w);
              return e ? `${e.tagName}#${e.id}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px` : ''; }""",
            width,
        )
        raise AssertionError(f"{page.url}: {scroll} px wide, {width} px screen; widest: {culprit}")


def sign_in(page, user) -> None:
    """Sign out whoever is signed in and sign in as ``user`` through the real form."""
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def declaring_district(district, **names) -> dict:
    """A district with two subdistricts, a compound in the first whose owners passed a willingness vote, the
    subdistrict and district officials, and an EPC contractor and a designer."""
    sub_a = f.SubdistrictFactory(district=district, name=names.get("sub_a", "筼筜街道"))
    sub_b = f.SubdistrictFactory(district=district, name=names.get("sub_b", "鹭江街道"))
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


def declaration_to_project(page, people, pdf):
    """The first half of the programme on a phone, checking each page fits it: the subdistrict official declares
    the compound (with a PDF attached); the district official returns it with a reason; it is amended and
    approved into the library; the district official puts it in this year's plan with targets split over the two
    subdistricts (a split above the district's target refused first) and creates its project with an EPC award.
    Returns the project."""
    compound = people["compound"]
    sign_in(page, people["official"])
    page.goto("/planning/declarations/")
    fits_a_phone(page)
    page.click("[data-testid=declare]")
    fits_a_phone(page)
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
    fits_a_phone(page)
    declaration = Declaration.objects.get(compound=compound)
    assert declaration.status == "submitted" and declaration.attachments.count() == 1

    sign_in(page, people["district"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    page.fill("#id_reason", "请补充居民意见汇总表")
    page.click("[data-testid=return]")
    assert "请补充居民意见汇总表" in page.locator("[data-testid=last-reason]").inner_text()

    sign_in(page, people["official"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    assert "请补充居民意见汇总表" in page.locator("[data-testid=last-reason]").inner_text()
    fits_a_phone(page)
    page.click("[data-testid=edit]")
    page.fill("#id_needs_summary", "雨污混流，电动车停放难（已附居民意见汇总表）")
    page.click("[data-testid=declaration-form] button[type=submit]")
    page.click("[data-testid=submit]")

    sign_in(page, people["district"])
    page.goto(f"/planning/declarations/{declaration.pk}/")
    page.click("[data-testid=approve]")
    assert page.locator("[data-testid=history] li").count() == 4
    page.goto("/planning/library/")
    assert compound.name in page.locator("[data-testid=declaration-table]").inner_text()
    fits_a_phone(page)

    year = timezone.localdate().year
    page.goto("/planning/plans/")
    fits_a_phone(page)
    page.fill("#id_year", str(year))
    page.click("[data-testid=plan-create] button[type=submit]")
    page.select_option("#id_declaration", str(declaration.pk))
    page.click("[data-testid=plan-item-add] button[type=submit]")
    assert compound.name in page.locator("[data-testid=batch]").first.inner_text()
    sub_a, sub_b = people["sub_a"].pk, people["sub_b"].pk
    for start_a, start_b in ((7, 5), (6, 4)):  # 7 + 5 > 10 is refused, nothing saved; 6 + 4 is kept
        page.fill("#id_to_start", "10")
        page.fill("#id_to_finish", "6")
        page.fill(f"#id_start_{sub_a}", str(start_a))
        page.fill(f"#id_finish_{sub_a}", "4")
        page.fill(f"#id_start_{sub_b}", str(start_b))
        page.fill(f"#id_finish_{sub_b}", "2")
        page.click("[data-testid=target-form] button[type=submit]")
        if start_a + start_b > 10:
            assert page.locator(".alert-danger").count() == 1
            assert not ProgrammeTarget.objects.filter(year=year).exists()
    page.wait_for_selector(".alert-success")
    fits_a_phone(page)
    assert TargetShare.objects.filter(target__year=year).count() == 2

    page.click("[data-testid=create-project]")
    fits_a_phone(page)
    page.select_option("#id_contractor", str(people["contractor"].pk))
    page.fill("#id_contract_number", "SM-EPC-2026-001")
    page.fill("#id_contract_amount", "1180000.50")
    page.fill("#id_awarded_on", timezone.localdate().isoformat())
    page.select_option("#id_designer", str(people["designer"].pk))
    page.click("[data-testid=award-form] button[type=submit]")
    page.wait_for_url("**/projects/*/")
    fits_a_phone(page)
    item = PlanItem.objects.select_related("project").get()
    assert item.project.contract_number == "SM-EPC-2026-001" and item.project.contractor == people["contractor"]
    assert str(item.project.contract_amount) == "1180000.50" and item.project.batch == year
    return item.project


def record_funding(page, project, stage, amount, number, source="special_bonds") -> None:
    """Open the project's funding form and submit one entry (the submit button is a thumb-sized tap target)."""
    page.goto(f"/projects/{project.pk}/")
    page.click("[data-testid=record-funding]")
    page.select_option("#id_stage", stage)
    page.select_option("#id_source", source)
    page.fill("#id_amount", amount)
    page.fill("#id_document_number", number)
    button = page.locator("[data-testid=funding-form] button[type=submit]")
    assert button.bounding_box()["height"] >= 44  # a thumb's tap target
    button.click()
