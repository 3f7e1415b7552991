"""On a 390×844 phone in Chinese, two field journeys that must never lose work.

The inspector's day: home → the menu → his inspection → the checklist, a photo uploaded when chosen, the page
reloaded (answers and photo restored from the browser), one item left empty (marked and scrolled to, the photo
kept) → filed → the contractor finds the new issue in the inbox.

The contractor's answer: the notification → evidence with a photo → the inspector is told → sends it back with a
reason, which the contractor reads on top → resubmitted → closed after a confirmation.

Every page: no sideways scrolling and no console error."""

import io

import pytest
from django.core.management import call_command
from PIL import Image

from communities.demo import DEMO_PASSWORD
from communities.models import User
from inspections import services
from inspections.choices import InspectionStatus, IssueStatus, NotificationKind, Outcome, Severity
from inspections.models import Inspection, RectificationIssue
from projects.models import Project
from tests.browser.helpers import fits_a_phone


@pytest.fixture
def demo_data(transactional_db):
    call_command("load_demo", stdout=open("/dev/null", "w"))


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "现场.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (160, 120, 90)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.fixture
def watched(page):
    """The page, with its console errors and uncaught script errors collected."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    return page, problems


def check(page, problems):
    fits_a_phone(page)
    assert problems == []


def sign_in(page, login, username):
    page.context.clear_cookies()
    login(username, DEMO_PASSWORD)


def via_menu(page, path):
    """Open the menu (the collapsed navbar on a phone) and tap the entry for ``path``."""
    page.click(".navbar-toggler")
    page.locator("#portal-nav.show").wait_for()  # the menu has finished opening (Bootstrap's collapse transition)
    entry = page.locator(f"#portal-nav a.nav-link[href='{path}']")
    entry.wait_for(state="visible")
    assert entry.bounding_box()["height"] >= 44
    entry.click()
    page.wait_for_url(f"**{path}")


def open_notification(page, problems, kind, text):
    via_menu(page, "/notifications/")
    check(page, problems)
    item = page.locator(f"[data-testid=inbox] a[data-kind={kind}]", has_text=text).first
    assert item.bounding_box()["height"] >= 44
    item.click()
    page.wait_for_url("**/inspections/issues/*/")
    check(page, problems)


def in_view(locator) -> bool:
    return locator.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")


def test_the_inspectors_day(demo_data, login, watched, photo):
    page, problems = watched
    inspector = User.objects.get(username="inspector")
    inspection = (
        Inspection.objects.filter(status=InspectionStatus.PLANNED, group__members=inspector)
        .order_by("planned_date", "pk")
        .first()
    )
    items = list(inspection.template.items.all())
    assert len(items) >= 3 and all(item.kind == "pass_fail" for item in items)
    failed, empty = items[0], items[-1]

    sign_in(page, login, "inspector")
    check(page, problems)
    via_menu(page, "/inspections/")
    check(page, problems)
    page.click(f"[data-testid=due-inspections] a[href='/inspections/{inspection.pk}/']")
    page.wait_for_selector("[data-testid=inspection-form]")
    check(page, problems)

    # Tapping 不合格 opens the finding; the toggles are thumb-sized; the severity starts empty.
    finding = page.locator(f"[data-testid=finding-{failed.code}]")
    assert finding.get_attribute("open") is None
    fail = page.locator(f"label[for=fail_{failed.pk}]")
    assert fail.inner_text() == "不合格" and fail.bounding_box()["height"] >= 44
    fail.click()
    assert finding.get_attribute("open") is not None
    assert finding.locator("summary").bounding_box()["height"] >= 44
    assert finding.locator(f"select[name=severity_{failed.pk}]").input_value() == ""
    finding.locator(f"textarea[name=finding_{failed.pk}]").fill("沟槽临边未设防护栏")
    finding.locator(f"input[name=location_{failed.pk}]").fill("3号楼北侧")
    finding.locator(f"select[name=severity_{failed.pk}]").select_option(Severity.MAJOR)
    # The photo uploads the moment it is chosen.
    finding.locator(f"input[type=file][name=photos_{failed.pk}]").set_input_files(photo)
    kept = finding.locator(f"input[name=photos_{failed.pk}_pending]")
    kept.wait_for(state="attached")
    photo_id = kept.get_attribute("value")
    assert finding.locator(f"input[type=file][name=photos_{failed.pk}]").input_value() == ""  # not sent twice
    for item in items[1:-1]:
        page.click(f"label[for=pass_{item.pk}]")

    # A reload (or a lost connection): the answers and the photo come back from the browser.
    page.reload()
    page.wait_for_selector("[data-testid=draft-restored]")
    assert page.is_checked(f"#fail_{failed.pk}") and all(page.is_checked(f"#pass_{i.pk}") for i in items[1:-1])
    assert page.locator(f"textarea[name=finding_{failed.pk}]").input_value() == "沟槽临边未设防护栏"
    assert page.locator(f"input[name=photos_{failed.pk}_pending]").get_attribute("value") == photo_id
    page.wait_for_function(
        "n => document.querySelector(`[data-testid=photos-${n}] img`).naturalWidth > 0", arg=f"photos_{failed.pk}"
    )
    check(page, problems)

    # Filed with the last item left empty: that item is marked and scrolled to, the photo kept.
    page.click("[data-testid=inspection-form] button[type=submit]")
    page.wait_for_selector("[data-testid=form-error]")
    marked = page.locator(f"[data-testid=item-{empty.code}]")
    assert marked.get_attribute("data-invalid") is not None
    assert page.locator("[data-invalid]").count() == 1
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('[data-invalid]')")
    assert in_view(marked)
    assert page.locator(f"input[name=photos_{failed.pk}_pending]").get_attribute("value") == photo_id
    assert page.is_checked(f"#fail_{failed.pk}")
    assert not RectificationIssue.objects.filter(inspection=inspection).exists()
    check(page, problems)

    page.click(f"label[for=pass_{empty.pk}]")
    page.click("[data-testid=inspection-form] button[type=submit]")
    assert "检查已提交" in page.locator(".alert-success").inner_text()
    check(page, problems)
    issue = RectificationIssue.objects.get(inspection=inspection)
    assert issue.photos.get().kind == "finding"
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('portal-draft:')).length") == 0

    # The contractor is told, in the inbox, and the issue opens with the finding's photo.
    sign_in(page, login, "contractor")
    open_notification(page, problems, NotificationKind.ISSUE_ASSIGNED, "沟槽临边未设防护栏")
    assert page.url.endswith(f"/inspections/issues/{issue.pk}/")
    assert page.locator("[data-testid=issue-status]").inner_text() == "待整改"
    assert page.locator("[data-testid=photo-rounds] img").count() >= 1


def _answer(item, failed):
    return services.ResultInput(item=item, outcome=Outcome.FAIL if failed else Outcome.PASS)


def test_the_contractors_answer(demo_data, login, watched, photo):
    page, problems = watched
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

    def submit_evidence(note):
        form = page.locator("[data-testid=rectify-form]")
        form.locator("#note").fill(note)
        form.locator("input[type=file][name=photos]").set_input_files(photo)
        form.locator("input[name=photos_pending]").last.wait_for(state="attached")
        form.locator("button[type=submit]").click()
        page.wait_for_selector(".alert-success")
        assert page.locator("[data-testid=issue-status]").inner_text() == "已提交整改"
        check(page, problems)

    sign_in(page, login, "contractor")
    check(page, problems)
    open_notification(page, problems, NotificationKind.ISSUE_ASSIGNED, "消防通道被占用")
    submit_evidence("已清理通道")

    sign_in(page, login, "inspector")
    open_notification(page, problems, NotificationKind.EVIDENCE_SUBMITTED, "消防通道被占用")
    round_one = page.locator("[data-testid=round-1]")
    assert round_one.locator("img").count() >= 1  # the evidence beside the finding
    page.fill("[data-testid=verify-form] textarea[name=note]", "通道内仍有杂物")
    page.locator("[data-testid=verify-form] button[value=send_back]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=issue-status]").inner_text() == "待整改"
    check(page, problems)

    # The contractor reads the reason on top, above the form and the history, and answers again.
    sign_in(page, login, "contractor")
    open_notification(page, problems, NotificationKind.ISSUE_SENT_BACK, "消防通道被占用")
    reason = page.locator("[data-testid=sent-back-reason]")
    assert "通道内仍有杂物" in reason.inner_text()
    top = reason.bounding_box()["y"]
    assert top < page.locator("[data-testid=rectify-form]").bounding_box()["y"]
    assert top < page.locator("[data-testid=photo-rounds]").bounding_box()["y"]
    assert top < page.locator("[data-testid=history]").bounding_box()["y"]
    submit_evidence("杂物已全部清走")
    assert page.locator("[data-testid=sent-back-reason]").count() == 0

    # The inspector closes it (销号) — after confirming.
    sign_in(page, login, "inspector")
    open_notification(page, problems, NotificationKind.EVIDENCE_SUBMITTED, "消防通道被占用")
    rounds = page.locator("[data-testid=photo-rounds]")
    assert rounds.locator("[data-testid=round-2]").count() == 1 and rounds.locator("[data-testid=round-1]").count() == 1
    assert "通道内仍有杂物" in rounds.locator("[data-testid=round-1]").inner_text()
    page.locator("[data-testid=verify-form] button[value=close]").click()
    confirm = page.locator("[data-testid=confirm-close]")
    confirm.wait_for()
    check(page, problems)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED  # one tap closes nothing
    confirm.locator("button[value=verify]").click()
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=issue-status]").inner_text() == "已核验销号"
    check(page, problems)
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED and issue.events.filter(action="submitted").count() == 2
