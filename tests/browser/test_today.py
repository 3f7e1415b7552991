"""An inspector's morning on a 390 × 844 phone: his home is today's list (今日待办) with today's inspection of his
own group — not another group's round — and one tap opens its checklist; the list's count is on the menu, no
page scrolls sideways and the console stays clean."""

import pytest
from django.utils import timezone

from communities.choices import InspectionTier, RoleKind
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, InspectionGroup
from tests import factories as f
from tests.browser.helpers import fits_a_phone, sign_in


@pytest.fixture
def morning(transactional_db):
    district = f.DistrictFactory(name="思明区")
    community = f.CommunityFactory(subdistrict=f.SubdistrictFactory(district=district), name="屿后西社区")
    mine = f.ProjectFactory(compound=f.CompoundFactory(community=community, name="屿后南里小区"))
    theirs = f.ProjectFactory(compound=f.CompoundFactory(community=community, name="嘉美花园"))
    template = ChecklistTemplate.objects.create(name="区级检查表", tier=InspectionTier.DISTRICT)
    ChecklistItem.objects.create(template=template, position=1, code="safety", text="临边防护")
    inspector = f.user_with_role(RoleKind.INSPECTOR, district=district)
    group = InspectionGroup.objects.create(name="第一检查组", tier=InspectionTier.DISTRICT, district=district)
    group.members.add(inspector)
    other = InspectionGroup.objects.create(name="第二检查组", tier=InspectionTier.DISTRICT, district=district)
    today = timezone.localdate()
    return {
        "inspector": inspector,
        "mine": Inspection.objects.create(
            project=mine, tier=2, group=group, template=template, planned_date=today, week=today, unannounced=True
        ),
        "theirs": Inspection.objects.create(
            project=theirs, tier=2, group=other, template=template, planned_date=today, week=today, unannounced=True
        ),
    }


@pytest.fixture
def watched(page):
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems


def test_inspector_taps_todays_inspection_of_his_group_and_lands_on_its_checklist(morning, watched):
    page, problems = watched
    sign_in(page, morning["inspector"])
    fits_a_phone(page)
    today = page.locator("[data-testid=today-inspections_due]")
    assert today.locator("[data-testid=section-count]").inner_text() == "1"
    items = today.locator("[data-testid=today-item]")
    assert items.count() == 1 and "屿后南里小区" in items.first.inner_text()
    assert "嘉美花园" not in page.locator("main").inner_text()  # another group's round
    assert page.locator("[data-testid=menu-badge]").inner_text() == "1"
    box = items.first.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 390  # a whole-width tap target

    items.first.click()
    page.wait_for_url(f"**/inspections/{morning['mine'].pk}/")
    assert page.locator("[data-testid=inspection-form]").is_visible()
    fits_a_phone(page)
    assert problems == []
