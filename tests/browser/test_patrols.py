"""On a 390 × 844 phone: a community's staff member patrols a handed-over compound with the environment standard and
files a finding for the property service and a warranty defect for the contractor; each is told in its inbox,
rectifies with a photo, and the community verifies and closes both — no page scrolls sideways, no console error."""

import io

import pytest
from PIL import Image

from aftercare.models import AftercareRecord, Patrol
from communities.choices import CompanyKind, RoleKind
from inspections.choices import IssueStatus, NotificationKind
from inspections.services import checklist_seed_aftercare_standards
from notifications.models import Notification
from projects.choices import ProjectStatus
from projects.models import Project
from projects.services import project_accept_completion
from tests import factories as f
from tests.browser.helpers import fits_a_phone, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def handed_over(transactional_db):
    district = f.DistrictFactory(name="思明区")
    community = f.CommunityFactory(subdistrict=f.SubdistrictFactory(district=district), name="厦禾社区")
    compound = f.CompoundFactory(community=community, name="嘉美花园")
    contractor = f.CompanyFactory(name="甲建设公司", kind=CompanyKind.CONTRACTOR)
    property_company = f.CompanyFactory(name="近邻物业", kind=CompanyKind.PROPERTY)
    f.PropertyServiceFactory(compound=compound, mode="menu", company=property_company)
    project = f.ProjectFactory(compound=compound, contractor=contractor)
    official = f.user_with_role(RoleKind.DISTRICT_OFFICIAL, district=district)
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.COMPLETION_ACCEPTANCE, progress_percent=100)
    project.refresh_from_db()
    project_accept_completion(actor=official, project=project)
    checklist_seed_aftercare_standards(actor=official, district=district)
    return {
        "record": AftercareRecord.objects.get(compound=compound),
        "staff": f.user_with_role(RoleKind.INSPECTOR, community=community, tier=1),
        "secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=community),
        "property": f.user_with_role(RoleKind.PROPERTY_STAFF, company=property_company),
        "contractor": f.user_with_role(RoleKind.CONTRACTOR, company=contractor),
    }


@pytest.fixture
def watched(page):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda response: response.status >= 400 and problems.append(f"{response.status} {response.url}")
    )
    return page, problems


def _clean(page, problems):
    fits_a_phone(page)
    assert problems == [], f"{page.url}: {problems}"


def test_patrol_finding_for_property_and_warranty_defect_for_contractor_rectified_and_closed(
    handed_over, watched, photo
):
    page, problems = watched
    record = handed_over["record"]

    # The community's staff member patrols with the environment standard.
    sign_in(page, handed_over["staff"])
    page.goto("/aftercare/patrols/")
    _clean(page, problems)
    page.get_by_test_id("patrol-records").get_by_text("嘉美花园").click()
    _clean(page, problems)
    page.get_by_test_id("standards").get_by_text("环境卫生标准").click()
    page.wait_for_selector("[data-testid=patrol-form]")
    _clean(page, problems)
    template = Patrol._meta.get_field("template").related_model.objects.get(name="思明区环境卫生标准")
    items = {item.code: item for item in template.items.all()}
    fails = {
        "env-waste": ("3号楼东侧垃圾点满溢", "3号楼东侧", "property", ""),
        "env-drains": ("新铺雨水管堵塞积水", "5号楼前雨水井", "contractor", "pipes"),
    }
    for code, item in items.items():
        page.click(f"label[for={'fail' if code in fails else 'pass'}_{item.pk}]")
    for code, (text, where, responsible, category) in fails.items():
        card = page.get_by_test_id(f"item-{code}")
        assert card.locator("details.finding").get_attribute("open") is not None  # 不合格 opened the finding
        card.locator(f"textarea[name=finding_{items[code].pk}]").fill(text)
        card.locator(f"input[name=location_{items[code].pk}]").fill(where)
        card.locator(f"select[name=severity_{items[code].pk}]").select_option("major")
        card.locator(f"select[name=responsible_{items[code].pk}]").select_option(responsible)
        if category:
            card.locator(f"select[name=category_{items[code].pk}]").select_option(category)
        card.locator(f"input[name=photos_{items[code].pk}]").set_input_files(photo)
    fits_a_phone(page)
    page.click("[data-testid=patrol-form] button[type=submit]")
    page.wait_for_selector("[data-testid=patrol-findings]")
    _clean(page, problems)
    patrol = Patrol.objects.get(record=record)
    findings = {finding.responsible: finding.issue for finding in patrol.findings.select_related("issue")}
    assert findings["property"].property_company_id == record.property_service.company_id
    assert findings["contractor"].contractor_id == record.project.contractor_id
    assert findings["contractor"].warranty_category == "pipes"

    # Each is told once, and rectifies from the link in its inbox.
    for who, responsible in (("property", "property"), ("contractor", "contractor")):
        user, issue = handed_over[who], findings[responsible]
        assert Notification.objects.filter(recipient=user, kind=NotificationKind.ISSUE_ASSIGNED).count() == 1
        sign_in(page, user)
        page.goto("/notifications/")
        _clean(page, problems)
        assert issue.description in page.locator("main").inner_text()
        page.goto(f"/inspections/issues/{issue.pk}/")
        _clean(page, problems)
        page.fill("#note", f"已整改：{issue.description}")
        page.set_input_files("#photos", photo)
        # The photo is uploaded as soon as it is chosen; send the form once it is (as test_aftercare_journey does),
        # and wait for the answer: the status line is on the page before the submit too.
        page.locator("[data-testid=rectify-form] input[name=photos_pending]").last.wait_for(state="attached")
        page.click("[data-testid=rectify-form] button[type=submit]")
        page.wait_for_selector(".alert-success")
        _clean(page, problems)
        assert page.locator("[data-testid=verify-form]").count() == 0  # never its own verifier
        issue.refresh_from_db()
        assert issue.status == IssueStatus.SUBMITTED

    # The community verifies and closes (销号) both.
    sign_in(page, handed_over["secretary"])
    for issue in findings.values():
        page.goto(f"/inspections/issues/{issue.pk}/")
        _clean(page, problems)
        page.locator("[data-testid=verify-form] button[value=close]").click()
        page.locator("[data-testid=confirm-close] button[value=verify]").click()
        page.wait_for_selector("[data-testid=issue-status]")
        _clean(page, problems)
        issue.refresh_from_db()
        assert issue.status == IssueStatus.CLOSED
    for who in ("property", "contractor"):
        assert Notification.objects.filter(recipient=handed_over[who], kind=NotificationKind.ISSUE_CLOSED).count() == 1
