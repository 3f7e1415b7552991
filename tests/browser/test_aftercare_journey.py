"""Issue 19's journey, after handover, on a 390 × 844 phone in Chinese, each step through the web pages as the role
that does it, on the demo data:

the district official reads the dashboard's governance row and property coverage, then accepts the completion of a
project in 竣工验收 whose compound has no managed property service yet; the community secretary finds its aftercare
opened (warranties from today), records the menu-style property service the residents chose and makes it the
responsible party; she patrols with the environment standard and files a finding for the property service and a
warranty defect for the contractor, each of whom is told in the inbox and rectifies with a photo, and she closes
both; she adds the community room and the culture corridor the renovation left, holds an activity with sign-ups,
records the quarter's income and publishes it (the public page shows it); back on the dashboard the figures the
journey touched changed by exactly its amounts and the others did not.

Every page: no sideways scrolling, no console error, no failed request."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aftercare.models import AftercareRecord, LedgerQuarter, Patrol, Space
from aftercare.services import quarter_of
from communities.choices import CompanyKind, PropertyMode, RoleKind
from communities.demo import DEMO_PASSWORD
from communities.models import Company, User
from inspections.choices import NotificationKind
from inspections.models import ChecklistTemplate
from projects.choices import ProjectStatus
from projects.hooks import completion_blockers
from projects.models import Project
from tests import factories as f
from tests.browser.test_field_forms import check, open_notification, photo, sign_in, via_menu  # noqa: F401 (fixture)
from tests.browser.test_phone_polish import assert_fits_a_phone, demo_data, watched  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

GOVERNANCE = ("branches", "groups", "committees", "property", "problems", "space", "culture")
ROOM_M2, CULTURE_M2 = Decimal("62.5"), Decimal("24")
WASTE = "2号楼西侧垃圾分类投放点满溢，周末两天未清运"
DRAIN = "改造新铺的雨水管在3号楼前堵塞，雨后路面积水"


def dashboard_figures(page, problems) -> dict:
    """The district dashboard's governance row and property coverage card, as the official reads them."""
    assert_fits_a_phone(page, problems, "/dashboard/")
    assert page.get_by_test_id("dashboard-title").inner_text().startswith("思明区")
    assert "物业覆盖" in page.get_by_test_id("coverage").inner_text()
    figures = {name: Decimal(page.get_by_test_id(f"fig-gov-{name}").inner_text()) for name in GOVERNANCE}
    figures["introduced"] = int(page.get_by_test_id("fig-coverage-introduced").inner_text())
    figures["percent"] = page.get_by_test_id("fig-coverage-percent").inner_text()
    for mode in PropertyMode.values:  # the last column: the period's end
        figures[mode] = int(page.locator(f"[data-testid=coverage-{mode}] td").last.inner_text())
    return figures


def managed(figures) -> int:
    return sum(figures[mode] for mode in (PropertyMode.MENU, PropertyMode.PROFESSIONAL, PropertyMode.SHARED))


def test_after_handover_long_term_management(demo_data, login, watched, photo):  # noqa: F811 (fixtures)
    page, problems = watched
    today = timezone.localdate()
    contractor = User.objects.get(username="contractor").roles.get().company
    # A project waiting for its completion acceptance, by the demo contractor, on a compound that manages itself.
    project = (
        Project.objects.filter(
            status=ProjectStatus.COMPLETION_ACCEPTANCE,
            contractor=contractor,
            compound__property_service__mode=PropertyMode.SELF_MANAGED,
            compound__aftercare__isnull=True,
        )
        .select_related("compound__community")
        .order_by("pk")
        .first()
    )
    assert project is not None and completion_blockers(project) == []
    compound = project.compound
    property_company = Company.objects.filter(kind=CompanyKind.PROPERTY).order_by("pk").first()
    secretary = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=compound.community)
    property_user = f.user_with_role(RoleKind.PROPERTY_STAFF, company=property_company)  # the property company's staff
    for user in (secretary, property_user):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])

    # The district official reads the dashboard, then accepts the completion.
    sign_in(page, login, "district")
    check(page, problems)
    before = dashboard_figures(page, problems)
    assert before[PropertyMode.SELF_MANAGED] >= 1
    assert_fits_a_phone(page, problems, f"/projects/{project.pk}/")
    assert "竣工验收" in page.locator("main").inner_text()
    accept = reverse("projects:project-transition", args=[project.pk, "accept_completion"])
    page.locator(f"[data-testid=transitions] form[action='{accept}'] button").click()
    page.wait_for_selector(".alert-success")
    check(page, problems)
    assert "已完成：验收通过并移交" in page.locator(".alert-success").inner_text()
    assert "移交长效管理" in page.locator("main").inner_text()
    record = AftercareRecord.objects.get(compound=compound)
    assert record.opened_on == today and record.responsible_kind == "self_management"

    # The secretary finds the compound's aftercare opened, with its warranties running from today.
    sign_in(page, login, secretary.username)
    check(page, problems)
    assert_fits_a_phone(page, problems, "/aftercare/")
    page.get_by_test_id("aftercare-records").get_by_text(compound.name).click()
    page.wait_for_url(f"**/aftercare/{record.pk}/")
    check(page, problems)
    assert project.name in page.locator("main").inner_text()
    assert "居民自管小组" in page.get_by_test_id("responsible").inner_text()
    warranties = page.get_by_test_id("warranties").locator("li")
    assert warranties.count() == 7
    assert warranties.filter(has_text="保修期内").count() == 7
    assert today.isoformat() in warranties.first.inner_text()

    # The residents chose a menu-style property service: the secretary records it on the compound's page …
    assert_fits_a_phone(page, problems, reverse("communities:compound-detail", args=[compound.pk]))
    page.locator(f"a[href='{reverse('communities:governance', args=[compound.pk, 'property-service'])}']").click()
    form = page.get_by_test_id("governance-form")
    form.wait_for()
    check(page, problems)
    form.locator("select[name=mode]").select_option(PropertyMode.MENU)
    form.locator("select[name=company]").select_option(str(property_company.pk))
    form.locator("input[name=contact_name]").fill("陈经理")
    form.locator("input[name=contact_phone]").fill("0592-5550123")
    form.locator("input[name=contract_starts_on]").fill(today.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**{reverse('communities:compound-detail', args=[compound.pk])}")
    check(page, problems)
    assert "已保存" in page.locator(".alert-success").inner_text()
    assert property_company.name in page.get_by_test_id("governance").inner_text()

    # … and makes it the party responsible for the aftercare.
    assert_fits_a_phone(page, problems, f"/aftercare/{record.pk}/")
    responsible = page.get_by_test_id("responsible")
    responsible.locator("summary").click()
    responsible.locator("select[name=responsible_kind]").select_option("property_service")
    responsible.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    check(page, problems)
    assert "已保存" in page.locator(".alert-success").inner_text()
    assert property_company.name in page.get_by_test_id("responsible").inner_text()
    assert "物业服务" in page.get_by_test_id("responsible").inner_text()

    # The secretary patrols it on the phone with the district's environment standard: the waste point is the
    # property service's to put right, the blocked new drain a warranty defect for the renovation's contractor.
    via_menu(page, "/aftercare/patrols/")
    check(page, problems)
    page.get_by_test_id("patrol-records").get_by_text(compound.name).click()
    page.wait_for_selector("[data-testid=standards]")
    check(page, problems)
    page.get_by_test_id("standards").get_by_text("思明区环境卫生标准").click()
    page.wait_for_selector("[data-testid=patrol-form]")
    check(page, problems)
    standard = ChecklistTemplate.objects.filter(name="思明区环境卫生标准").order_by("-version").first()
    items = {item.code: item for item in standard.items.all()}
    fails = {
        "env-waste": (WASTE, "2号楼西侧垃圾投放点", "minor", "property", ""),
        "env-drains": (DRAIN, "3号楼前新铺雨水井", "major", "contractor", "pipes"),
    }
    for code, item in items.items():
        page.click(f"label[for={'fail' if code in fails else 'pass'}_{item.pk}]")
    for code, (text, where, severity, responsible, category) in fails.items():
        card, pk = page.get_by_test_id(f"item-{code}"), items[code].pk
        assert card.locator("details.finding").get_attribute("open") is not None  # 不合格 opened the finding
        card.locator(f"textarea[name=finding_{pk}]").fill(text)
        card.locator(f"input[name=location_{pk}]").fill(where)
        card.locator(f"select[name=severity_{pk}]").select_option(severity)
        card.locator(f"select[name=responsible_{pk}]").select_option(responsible)
        if category:
            card.locator(f"select[name=category_{pk}]").select_option(category)
        card.locator(f"input[type=file][name=photos_{pk}]").set_input_files(photo)
        card.locator(f"input[name=photos_{pk}_pending]").wait_for(state="attached")  # uploaded when chosen
    check(page, problems)
    page.click("[data-testid=patrol-form] button[type=submit]")
    page.wait_for_selector("[data-testid=patrol-findings]")
    check(page, problems)
    findings = page.get_by_test_id("patrol-findings")
    for text, answers in ((WASTE, property_company.name), (DRAIN, contractor.name)):
        line = findings.locator("a", has_text=text[:20])
        assert "待整改" in line.inner_text() and answers in line.inner_text()
    patrol = Patrol.objects.get(record=record)
    issues = {finding.responsible: finding.issue for finding in patrol.findings.select_related("issue")}
    assert issues["property"].property_company == property_company
    assert issues["contractor"].contractor == contractor and issues["contractor"].warranty_category == "pipes"

    # Each is told in its inbox and rectifies with a photo: the property service, then the contractor.
    for user, text in ((property_user.username, WASTE), ("contractor", DRAIN)):
        sign_in(page, login, user)
        check(page, problems)
        open_notification(page, problems, NotificationKind.ISSUE_ASSIGNED, text)
        assert page.locator("h1").inner_text() == text
        assert page.get_by_test_id("issue-status").inner_text() == "待整改"
        form = page.get_by_test_id("rectify-form")
        form.locator("#note").fill(f"已整改：{text[:12]}")
        form.locator("input[type=file][name=photos]").set_input_files(photo)
        form.locator("input[name=photos_pending]").last.wait_for(state="attached")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".alert-success")
        assert page.get_by_test_id("issue-status").inner_text() == "已提交整改"
        assert page.get_by_test_id("verify-form").count() == 0  # never its own verifier
        check(page, problems)

    # The secretary is told of both answers and closes (销号) each after confirming.
    sign_in(page, login, secretary.username)
    for text in (WASTE, DRAIN):
        open_notification(page, problems, NotificationKind.EVIDENCE_SUBMITTED, text)
        assert page.get_by_test_id("photo-rounds").locator("img").count() >= 2  # the finding's and the answer's
        page.locator("[data-testid=verify-form] button[value=close]").click()
        confirm = page.get_by_test_id("confirm-close")
        confirm.wait_for()
        confirm.locator("button[value=verify]").click()
        page.wait_for_selector(".alert-success")
        assert page.get_by_test_id("issue-status").inner_text() == "已核验销号"
        check(page, problems)
    assert all(issue.events.filter(action="closed").exists() for issue in issues.values())

    # The spaces the renovation left: a community room and a culture corridor, opened today.
    assert_fits_a_phone(page, problems, f"/aftercare/{record.pk}/spaces/")
    for name, kind, area in (("开元议事厅", "community_room", ROOM_M2), ("开元近邻文化长廊", "culture", CULTURE_M2)):
        form = page.get_by_test_id("space-form")
        form.locator("input[name=name]").fill(name)
        form.locator("select[name=kind]").select_option(kind)
        form.locator("input[name=area]").fill(str(area))
        form.locator("input[name=opened_on]").fill(today.isoformat())
        form.get_by_test_id("add-space").click()
        page.wait_for_selector(".alert-success")
        check(page, problems)
        assert "场地已登记" in page.locator(".alert-success").inner_text()
        assert name in page.locator("[data-testid=space]", has_text=name).inner_text()
    room = Space.objects.get(record=record, name="开元议事厅")
    assert page.locator("[data-testid=space]", has_text="开元议事厅").get_by_text("社区活动室").count() == 1

    # An activity in the new room: planned with places, residents sign up, it is held.
    form = page.get_by_test_id("activity-form")
    form.locator("select[name=space]").select_option(str(room.pk))
    form.locator("input[name=title]").fill("议事厅启用：楼道微更新议事会")
    form.locator("input[name=held_on]").fill(today.isoformat())
    form.locator("select[name=organiser_kind]").select_option("party_branch")
    form.locator("input[name=capacity]").fill("30")
    form.get_by_test_id("add-activity").click()
    page.wait_for_url("**/aftercare/activities/*/")
    check(page, problems)
    assert "活动已新增" in page.locator(".alert-success").inner_text()
    for count in ("12", "6"):
        page.get_by_test_id("signup-form").locator("input[name=count]").fill(count)
        page.get_by_test_id("signup-form").locator("button[type=submit]").click()
        page.wait_for_selector(".alert-success")
        check(page, problems)
    assert "18 / 30" in page.get_by_test_id("activity-counts").inner_text()
    page.get_by_test_id("attendance-form").locator("input[name=attendance]").fill("16")
    page.get_by_test_id("attendance-form").locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    check(page, problems)
    assert "16" in page.get_by_test_id("activity-counts").locator(".col-4").nth(1).inner_text()
    assert page.get_by_test_id("signup-form").count() == 0  # held: no more sign-ups

    # The income ledger: the temporary parking income of the last finished quarter, recorded and published.
    year, quarter, starts, _ends = quarter_of(quarter_of(today)[2] - timedelta(days=1))
    assert_fits_a_phone(page, problems, f"/aftercare/{record.pk}/ledger/")
    form = page.get_by_test_id("ledger-form")
    form.locator("select[name=kind]").select_option("parking")
    form.locator("input[name=entry_date]").fill((starts + timedelta(days=20)).isoformat())
    form.locator("input[name=amount]").fill("1680")
    form.locator("input[name=purpose]").fill("施工期间临时停车收费")
    form.locator("input[name=decision]").fill("业委会决定：临时停车收益纳入小区公共收益，按季公示")
    form.locator("input[name=decided_on]").fill(starts.isoformat())
    form.get_by_test_id("record-entry").click()
    page.wait_for_url(f"**/aftercare/{record.pk}/ledger/")
    check(page, problems)
    assert "已登记" in page.locator(".alert-success").inner_text()
    assert "施工期间临时停车收费" in page.get_by_test_id("ledger-entries").inner_text()
    quarter_form = page.get_by_test_id("quarter-form")
    assert quarter_form.locator("input[name=year]").input_value() == str(year)
    assert quarter_form.locator("select[name=quarter]").input_value() == str(quarter)
    quarter_form.get_by_test_id("publish-quarter").click()
    page.wait_for_selector(".alert-success")
    check(page, problems)
    assert f"{year}年第{quarter}季度已向居民公示" in page.locator(".alert-success").inner_text()
    assert f"{year} Q{quarter}" in page.get_by_test_id("quarters").inner_text()
    assert LedgerQuarter.objects.get(record=record).income_total == Decimal("1680")

    # The public page (no sign-in): the published quarter, the new spaces and the activity held.
    page.context.clear_cookies()
    assert_fits_a_phone(page, problems, f"/public/compounds/{compound.code}/")
    public = page.get_by_test_id("public-aftercare")
    assert "小区公共收益" in public.inner_text()
    published = page.get_by_test_id("public-quarter")
    assert published.count() == 1
    assert f"{year} Q{quarter}" in published.inner_text()
    assert "收入 · 停车位\t1680.00" in published.inner_text() and "结余\t1680.00" in published.inner_text()
    assert "开元议事厅" in public.inner_text() and "开元近邻文化长廊" in public.inner_text()
    assert "议事厅启用：楼道微更新议事会" in public.inner_text()

    # Back on the dashboard: exactly what the journey added, nothing else.
    sign_in(page, login, "district")
    after = dashboard_figures(page, problems)
    assert after["property"] == before["property"] + 1  # newly under property management
    assert after["introduced"] == before["introduced"] + 1
    assert after["space"] == before["space"] + ROOM_M2  # community service space (m²): the room only
    assert after["culture"] == before["culture"] + 1
    for name in ("branches", "groups", "committees", "problems"):
        assert after[name] == before[name], name
    assert after[PropertyMode.SELF_MANAGED] == before[PropertyMode.SELF_MANAGED] - 1
    assert after[PropertyMode.MENU] == before[PropertyMode.MENU] + 1
    assert managed(after) == managed(before) + 1
    compounds = sum(after[mode] for mode in PropertyMode.values)
    assert compounds == sum(before[mode] for mode in PropertyMode.values)
    assert after["percent"] == f"{round(100 * managed(after) / compounds, 1)}%"
    assert after["percent"] != before["percent"]
