"""On a phone: the contractor learns of a new issue from the inbox (the count on the menu button), taps through to
the issue and submits evidence; the inspector is told and sends it back with a reason; the contractor is told why.
No page scrolls sideways at 390 px."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from communities.demo import DEMO_PASSWORD
from communities.models import User
from inspections import services
from inspections.choices import NotificationKind, Outcome, Severity
from inspections.models import RectificationIssue
from projects.models import Project


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "整改.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (90, 120, 160)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _open_from_inbox(page, kind):
    """The menu button shows the unread count; the inbox lists the event; tapping it opens the issue."""
    page.goto("/")
    assert int(page.locator("[data-testid=menu-badge]").inner_text()) >= 1
    page.goto("/notifications/")
    _no_sideways_scroll(page)
    item = page.locator(f"[data-testid=inbox] a[data-kind={kind}]").first
    box = item.bounding_box()
    assert box["height"] >= 44
    item.click()
    page.wait_for_url("**/inspections/issues/*/")
    _no_sideways_scroll(page)


def _answer(item, failed):
    if item.kind == "score":
        return services.ResultInput(item=item, score=item.max_score)
    return services.ResultInput(item=item, outcome=Outcome.FAIL if failed else Outcome.PASS)


def test_contractor_and_inspector_are_told_of_each_step(demo_data, login, page, photo):
    project = Project.objects.get(compound__code="ZCA-ZCAXL")
    inspector = User.objects.get(username="inspector")
    inspection = services.inspection_start(actor=inspector, project=project, tier=2)
    items = list(inspection.template.items.all())
    services.inspection_file(
        actor=inspector,
        inspection=inspection,
        results=[_answer(item, failed=item == items[0]) for item in items],
        findings=[
            services.FindingInput(
                item=items[0], description="消防通道被占用", location="5号楼", severity=Severity.MAJOR
            )
        ],
    )
    issue = RectificationIssue.objects.get(inspection=inspection)

    login("contractor", DEMO_PASSWORD)
    _open_from_inbox(page, NotificationKind.ISSUE_ASSIGNED)
    assert page.url.endswith(f"/inspections/issues/{issue.pk}/")
    page.fill("#note", "已清理通道")
    page.set_input_files("#photos", photo)
    page.locator("[data-testid=rectify-form] input[name=photos_pending]").last.wait_for(state="attached")
    page.click("[data-testid=rectify-form] button[type=submit]")
    page.wait_for_selector(".alert-success")  # the answer (the status line is on the page before the submit too)

    page.context.clear_cookies()
    login("inspector", DEMO_PASSWORD)
    _open_from_inbox(page, NotificationKind.EVIDENCE_SUBMITTED)
    page.fill("[data-testid=verify-form] textarea[name=note]", "通道内仍有杂物")
    page.locator("[data-testid=verify-form] button[value=send_back]").click()
    page.wait_for_selector(".alert-success")

    page.context.clear_cookies()
    login("contractor", DEMO_PASSWORD)
    page.goto("/notifications/")
    sent_back = page.locator(f"[data-testid=inbox] a[data-kind={NotificationKind.ISSUE_SENT_BACK}]").first
    assert "通道内仍有杂物" in sent_back.inner_text()  # the reason, in the inbox itself
    sent_back.click()
    assert page.url.endswith(f"/inspections/issues/{issue.pk}/")
