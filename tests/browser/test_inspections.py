"""On a phone: an inspector files a district inspection with two findings, the contractor submits evidence for
both, and the inspector verifies one and sends the other back."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from communities.demo import DEMO_PASSWORD
from inspections.choices import IssueStatus
from inspections.models import Inspection, RectificationIssue
from projects.models import Project


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (160, 120, 90)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def switch_user(page, login, username):
    page.context.clear_cookies()
    login(username, DEMO_PASSWORD)


def test_inspection_two_findings_evidence_verify_and_send_back(demo_data, login, page, photo):
    project = Project.objects.get(compound__code="ZCA-ZCAXL")
    before = set(RectificationIssue.objects.values_list("pk", flat=True))

    # The inspector starts a tier-2 inspection on site and fails two items.
    login("inspector", DEMO_PASSWORD)
    page.goto("/inspections/")
    form = page.locator("[data-testid=start-inspection]")
    form.locator("select[name=project]").select_option(str(project.pk))
    form.locator("select[name=tier]").select_option("2")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=inspection-form]")
    inspection = Inspection.objects.filter(project=project, status="planned").latest("pk")
    items = {item.code: item for item in inspection.template.items.all()}
    findings = {"safety": ("沟槽临边防护缺失", "3号楼北侧"), "road": ("新铺路面出现裂缝", "主干道入口")}

    # First without the findings' text: the page explains and keeps every answer.
    for code, item in items.items():
        page.click(f"label[for={'fail' if code in findings else 'pass'}_{item.pk}]")
    page.click("[data-testid=inspection-form] button[type=submit]")
    assert "每个问题须填写描述、位置和严重程度" in page.locator("[data-testid=form-error]").inner_text()
    assert page.is_checked(f"#fail_{items['safety'].pk}") and page.is_checked(f"#pass_{items['pipes'].pk}")
    assert not RectificationIssue.objects.exclude(pk__in=before).exists()

    for code, (text, where) in findings.items():
        card = page.locator(f"[data-testid=item-{code}]")
        card.locator(f"textarea[name=finding_{items[code].pk}]").fill(text)
        card.locator(f"input[name=location_{items[code].pk}]").fill(where)
        card.locator(f"select[name=severity_{items[code].pk}]").select_option("major")
        card.locator(f"input[name=photos_{items[code].pk}]").set_input_files(photo)
    page.fill("textarea[name=summary]", "四不两直检查，发现两处问题")
    page.click("[data-testid=inspection-form] button[type=submit]")
    assert "检查已提交" in page.locator(".alert-success").inner_text()
    issues = {issue.description: issue for issue in RectificationIssue.objects.exclude(pk__in=before)}
    assert set(issues) == {"沟槽临边防护缺失", "新铺路面出现裂缝"}
    assert all(
        issue.status == IssueStatus.OPEN and issue.contractor_id == project.contractor_id for issue in issues.values()
    )

    # The contractor submits evidence for both, from its issue list.
    switch_user(page, login, "contractor")
    for description in issues:
        page.goto("/inspections/issues/?status=open")
        page.get_by_text(description).click()
        assert page.locator("[data-testid=issue-status]").inner_text() == "待整改"
        page.fill("#note", f"已整改：{description}")
        page.set_input_files("#photos", photo)
        # The photo is uploaded as soon as it is chosen: send once it is, and read the status from the answer (the
        # status line is on the page before the submit too).
        page.locator("[data-testid=rectify-form] input[name=photos_pending]").last.wait_for(state="attached")
        page.click("[data-testid=rectify-form] button[type=submit]")
        page.wait_for_selector(".alert-success")
        assert page.locator("[data-testid=issue-status]").inner_text() == "已提交整改"
        assert page.locator("[data-testid=verify-form]").count() == 0  # never its own verifier

    # The inspector verifies one and sends the other back with a reason.
    switch_user(page, login, "inspector")
    keep, back = issues["沟槽临边防护缺失"], issues["新铺路面出现裂缝"]
    page.goto(f"/inspections/issues/{keep.pk}/")
    page.locator("[data-testid=verify-form] button[value=close]").click()  # 销号 asks to confirm first
    page.locator("[data-testid=confirm-close] button[value=verify]").click()
    assert page.locator("[data-testid=issue-status]").inner_text() == "已核验销号"
    page.goto(f"/inspections/issues/{back.pk}/")
    page.locator("[data-testid=verify-form] button[value=send_back]").click()  # no reason: refused, kept
    assert "请说明仍存在的问题" in page.locator("[data-testid=form-error]").inner_text()
    page.fill("[data-testid=verify-form] textarea[name=note]", "裂缝未灌缝处理")
    page.locator("[data-testid=verify-form] button[value=send_back]").click()
    assert page.locator("[data-testid=issue-status]").inner_text() == "待整改"
    assert "裂缝未灌缝处理" in page.locator("main").inner_text()
    keep.refresh_from_db()
    back.refresh_from_db()
    assert keep.status == IssueStatus.CLOSED and back.status == IssueStatus.OPEN
