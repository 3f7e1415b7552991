"""Field forms never lose work: a photo uploads when chosen and survives any validation error; the exact checklist
item to fix is marked; required choices start empty; a form sent twice (a double tap, a resend after a lost
connection, a draft sent again after a reload) files one record; an issue shows its photos per round, asks before
closing (销号), and puts the send-back reason on top."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communities.choices import InspectionTier
from consultations.models import Need
from inspections import services
from inspections.choices import IssueStatus
from inspections.models import ChecklistItem, ChecklistTemplate, Inspection, IssuePhoto, RectificationIssue
from projects.models import ProgressPhoto, ProgressReport
from renovation_portal import pending_photos
from renovation_portal.models import IdempotencyKey, PendingPhoto
from renovation_portal.tasks import purge_idempotency_keys
from tests import factories as f
from tests import photo_fixtures

project, issue, report_data = photo_fixtures.project, photo_fixtures.issue, photo_fixtures.report_data


@pytest.fixture
def inspection(project, actors):
    template = ChecklistTemplate.objects.create(name="二级巡检表", tier=InspectionTier.DISTRICT)
    for position, (code, text) in enumerate([("safety", "临边防护"), ("dust", "扬尘控制"), ("road", "路面")], 1):
        ChecklistItem.objects.create(template=template, position=position, code=code, text=text)
    return services.inspection_start(actor=actors["inspector"], project=project, tier=InspectionTier.DISTRICT)


def items(inspection):
    return {item.code: item for item in inspection.template.items.all()}


def upload(client, name="site.jpg"):
    response = client.post(reverse("pending-photo-upload"), {"photo": f.photo_file(name, size=(640, 480))})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def card(page: str, code: str) -> str:
    """The HTML of one checklist item's card."""
    start = page.index(f'data-testid="item-{code}"')
    end = page.find("checklist-item", start)
    return page[start : end if end != -1 else len(page)]


# --- the pending photo upload ---


def test_a_chosen_photo_uploads_at_once_and_only_its_uploader_sees_it(db, actors, client):
    client.force_login(actors["inspector"])
    photo_id = upload(client)
    photo = PendingPhoto.objects.get(pk=photo_id)
    assert photo.owner == actors["inspector"] and photo.image.name.endswith(".jpg")
    thumbnail = client.get(reverse("pending-photo", args=[photo_id]))
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    client.force_login(actors["contractor"])
    assert client.get(reverse("pending-photo", args=[photo_id])).status_code == 404
    client.logout()
    assert client.post(reverse("pending-photo-upload"), {"photo": f.photo_file()}).status_code == 302  # to log in
    assert PendingPhoto.objects.count() == 1


def test_a_file_that_is_no_photo_is_refused_with_a_reason(db, actors, client):
    client.force_login(actors["inspector"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("pending-photo-upload"), {"photo": SimpleUploadedFile("x.jpg", b"<html>", content_type="image/jpeg")}
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "photo_invalid"
    assert client.post(reverse("pending-photo-upload"), {}).json()["errors"][0]["code"] == "required"
    assert not PendingPhoto.objects.exists()


def test_unsent_photos_are_purged_after_two_days_files_and_all(db, actors, django_capture_on_commit_callbacks):
    photo = pending_photos.pending_photo_create(actor=actors["inspector"], upload=f.photo_file())
    storage, names = photo.image.storage, [photo.image.name, photo.thumbnail.name]
    assert pending_photos.purge_old() == 0
    PendingPhoto.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(hours=49))
    with django_capture_on_commit_callbacks(execute=True):
        assert purge_idempotency_keys() == 1  # the daily purge takes them with the old keys
    assert not PendingPhoto.objects.exists()
    assert not any(storage.exists(name) for name in names)  # the files went once the deletion committed


# --- the checklist ---


def test_an_item_left_empty_is_marked_and_the_photo_is_kept(inspection, actors, client):
    client.force_login(actors["inspector"])
    by_code = items(inspection)
    url = reverse("inspections:inspection-detail", args=[inspection.pk])
    page = client.get(url).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    safety, dust, road = by_code["safety"], by_code["dust"], by_code["road"]
    data = {
        "idempotency_key": key,
        f"outcome_{safety.pk}": "fail",
        f"finding_{safety.pk}": "沟槽临边未设防护栏",
        f"location_{safety.pk}": "3号楼北侧",
        f"severity_{safety.pk}": "major",
        f"photos_{safety.pk}": f.photo_file("finding.jpg"),  # sent with the form (no script)
        f"outcome_{road.pk}": "pass",
        # dust: left empty
    }
    response = client.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-invalid aria-invalid="true"' in card(page, "dust") and 'data-testid="item-error"' in card(page, "dust")
    for code in ("safety", "road"):
        assert "data-invalid" not in card(page, code)
    assert 'href="#item-dust"' in page  # the message links to the item
    photo = PendingPhoto.objects.get()
    assert f'name="photos_{safety.pk}_pending" value="{photo.pk}"' in card(page, "safety")  # kept, by id
    assert 'value="沟槽临边未设防护栏"' in page or "沟槽临边未设防护栏</textarea>" in page
    assert f'value="{key}"' in page  # the same form key
    assert not RectificationIssue.objects.exists() and not IdempotencyKey.objects.exists()

    # Answered, with the kept photo referred to by id: filed with the photo, the pending copy gone.
    del data[f"photos_{safety.pk}"]
    data.update({f"outcome_{dust.pk}": "pass", f"photos_{safety.pk}_pending": photo.pk})
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    issue = RectificationIssue.objects.get()
    assert issue.photos.get().kind == "finding" and issue.photos.get().round == 0
    assert not PendingPhoto.objects.exists()


def test_each_problem_marks_its_own_item(inspection, actors, client):
    client.force_login(actors["inspector"])
    by_code = items(inspection)
    url = reverse("inspections:inspection-detail", args=[inspection.pk])
    response = client.post(
        url,
        {
            f"outcome_{by_code['safety'].pk}": "fail",  # no finding text
            f"outcome_{by_code['road'].pk}": "pass",
        },
    )
    page = response.content.decode()
    assert "data-invalid" in card(page, "safety") and "data-invalid" in card(page, "dust")
    assert "data-invalid" not in card(page, "road")
    assert 'class="form-control mt-2 is-invalid" name="finding_' in card(page, "safety")
    assert " open>" in card(page, "safety")  # its finding is open


def test_a_photo_chosen_in_the_browser_is_filed_with_the_finding(inspection, actors, client):
    client.force_login(actors["inspector"])
    photo_id = upload(client)
    by_code = items(inspection)
    safety = by_code["safety"]
    response = client.post(
        reverse("inspections:inspection-detail", args=[inspection.pk]),
        {
            **{f"outcome_{item.pk}": "pass" for item in by_code.values()},
            f"outcome_{safety.pk}": "fail",
            f"finding_{safety.pk}": "临边防护缺失",
            f"location_{safety.pk}": "1号楼",
            f"severity_{safety.pk}": "minor",
            f"photos_{safety.pk}_pending": photo_id,
        },
    )
    assert response.status_code == 302
    photo = RectificationIssue.objects.get().photos.get()
    with photo.image.open("rb") as file:
        assert file.read()[:3] == b"\xff\xd8\xff"
    assert not PendingPhoto.objects.exists()


def test_another_users_pending_photo_cannot_be_used(inspection, actors, client):
    client.force_login(actors["contractor"])
    theirs = upload(client)
    client.force_login(actors["inspector"])
    safety = items(inspection)["safety"]
    response = client.post(
        reverse("inspections:inspection-detail", args=[inspection.pk]),
        {f"outcome_{safety.pk}": "fail", f"photos_{safety.pk}_pending": theirs},
    )
    assert response.status_code == 200 and f'value="{theirs}"' not in response.content.decode()
    assert PendingPhoto.objects.get().owner == actors["contractor"]


def test_a_checklist_sent_twice_is_filed_once_and_the_repeat_goes_to_it(inspection, actors, client):
    client.force_login(actors["inspector"])
    by_code = items(inspection)
    safety = by_code["safety"]
    url = reverse("inspections:inspection-detail", args=[inspection.pk])
    data = {
        "idempotency_key": "a" * 32,
        **{f"outcome_{item.pk}": "pass" for item in by_code.values()},
        f"outcome_{safety.pk}": "fail",
        f"finding_{safety.pk}": "临边防护缺失",
        f"location_{safety.pk}": "1号楼",
        f"severity_{safety.pk}": "minor",
    }
    first = client.post(url, data)
    second = client.post(url, {**data, f"photos_{safety.pk}": f.photo_file()})
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"] == url
    assert RectificationIssue.objects.count() == 1 and not PendingPhoto.objects.exists()  # the repeat stored nothing
    assert client.session["sent_forms"][0] == "a" * 32  # the browser drops its draft
    inspection.refresh_from_db()
    assert inspection.status == "filed"


def test_the_severity_and_the_start_forms_choices_start_empty(inspection, actors, client):
    client.force_login(actors["inspector"])
    page = client.get(reverse("inspections:inspection-detail", args=[inspection.pk])).content.decode()
    severity = re.search(r'<select class="form-select mt-2" name="severity_\d+"[^>]*><option value="">', page)
    assert severity and " selected" not in card(page, "safety")
    page = client.get(reverse("inspections:my-inspections")).content.decode()
    assert re.search(r'name="project"[^>]*><option value="">', page) and re.search(
        r'name="tier"[^>]*><option value="">', page
    )
    response = client.post(reverse("inspections:inspection-start"), {"project": "", "tier": ""})
    assert response.status_code == 302 and Inspection.objects.count() == 1


# --- rectification issues ---


def test_evidence_photo_kept_after_an_error_and_sent_once(issue, actors, client):
    client.force_login(actors["contractor"])
    url = reverse("inspections:issue-detail", args=[issue.pk])
    response = client.post(url, {"action": "submit", "idempotency_key": "k1", "note": "", "photos": f.photo_file()})
    assert response.status_code == 200
    photo = PendingPhoto.objects.get()
    assert f'name="photos_pending" value="{photo.pk}"' in response.content.decode()
    data = {"action": "submit", "idempotency_key": "k1", "note": "已灌缝", "photos_pending": photo.pk}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data)["Location"] == url  # the double tap: no "only an open issue" error
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED and issue.events.filter(action="submitted").count() == 1
    assert IssuePhoto.objects.get().round == 1 and not PendingPhoto.objects.exists()


def test_closing_asks_to_confirm_first(issue, actors, client):
    services.issue_submit_rectification(actor=actors["contractor"], issue=issue, note="已整改", photos=[f.photo_file()])
    client.force_login(actors["inspector"])
    url = reverse("inspections:issue-detail", args=[issue.pk])
    response = client.post(url, {"action": "close", "note": "复查合格"})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="confirm-close"' in page
    assert 'name="note" value="复查合格"' in page and 'name="action" value="verify"' in page
    issue.refresh_from_db()
    assert issue.status == IssueStatus.SUBMITTED  # not closed by the first tap
    assert client.post(url, {"action": "verify", "note": "复查合格", "idempotency_key": "c1"}).status_code == 302
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED
    client.force_login(actors["contractor"])
    assert client.post(url, {"action": "close"}).status_code == 403


def test_rounds_of_evidence_side_by_side_and_the_send_back_reason_on_top(issue, actors, client):
    contractor, inspector = actors["contractor"], actors["inspector"]
    IssuePhoto.objects.create(issue=issue, kind="finding", image=f.photo_file("before.jpg"))
    services.issue_submit_rectification(actor=contractor, issue=issue, note="第一次整改", photos=[f.photo_file()])
    services.issue_send_back(actor=inspector, issue=issue, note="裂缝仍在")
    client.force_login(contractor)
    page = client.get(reverse("inspections:issue-detail", args=[issue.pk])).content.decode()
    reason = page.index('data-testid="sent-back-reason"')
    assert "裂缝仍在" in page[reason : page.index("</div>", page.index("</div>", reason) + 1)]
    assert reason < page.index('data-testid="rectify-form"') < page.index('data-testid="history"')
    services.issue_submit_rectification(
        actor=contractor, issue=issue, note="第二次整改", photos=[f.photo_file(), f.photo_file()]
    )
    assert list(IssuePhoto.objects.filter(kind="evidence").values_list("round", flat=True)) == [1, 2, 2]
    client.force_login(inspector)
    page = client.get(reverse("inspections:issue-detail", args=[issue.pk])).content.decode()
    assert 'data-testid="sent-back-reason"' not in page
    second, first = page.index('data-testid="round-2"'), page.index('data-testid="round-1"')
    assert second < first  # the newest round on top
    assert page[second:first].count("/inspections/issue-photos/") == 2 * 2 + 2  # before (1) + after (2), thumb+full
    assert "裂缝仍在" in page[first:]  # the first round ends with its reason
    history = page[page.index('data-testid="history"') :]
    assert history.index("第二次整改") < history.index("裂缝仍在") < history.index("第一次整改")  # newest first


# --- progress reports and needs ---


def test_a_report_keeps_its_photo_after_an_error(project, actors, client):
    client.force_login(actors["contractor"])
    url = reverse("projects:report-create", args=[project.pk])
    response = client.post(url, {**report_data(project, [f.photo_file()]), "work_done": "", "manpower": 3})
    assert response.status_code == 200 and "work_done" in response.context["form"].errors
    photo = PendingPhoto.objects.get()
    assert f'name="photos_pending" value="{photo.pk}"' in response.content.decode()
    data = {**report_data(project, []), "manpower": 3, "photos_pending": photo.pk, "idempotency_key": "r1"}
    del data["photos"]
    assert client.post(url, data).status_code == 302
    assert ProgressReport.objects.get().photos.count() == 1 and not PendingPhoto.objects.exists()


def test_a_report_sent_twice_is_filed_once(project, actors, client):
    client.force_login(actors["contractor"])
    url = reverse("projects:report-create", args=[project.pk])
    data = {**report_data(project, []), "manpower": 3, "idempotency_key": "twice"}
    del data["photos"]
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert ProgressReport.objects.count() == 1
    data["idempotency_key"] = "another"  # a new form: a new report
    client.post(url, data)
    assert ProgressReport.objects.count() == 2


def test_the_form_key_is_kept_per_user(project, actors, client):
    """The same key from another user is another form."""
    other = f.user_with_role("contractor", company=project.contractor)
    url = reverse("projects:report-create", args=[project.pk])
    data = {**report_data(project, []), "manpower": 3, "idempotency_key": "same"}
    del data["photos"]
    for user in (actors["contractor"], other):
        client.force_login(user)
        assert client.post(url, data).status_code == 302
    assert ProgressReport.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sends_racing_file_one_report(project, actors):
    url = reverse("projects:report-create", args=[project.pk])
    data = {**report_data(project, []), "manpower": 3, "idempotency_key": "race"}
    del data["photos"]
    barrier, answers = threading.Barrier(2), []

    def send():
        client = Client()
        client.force_login(actors["contractor"])
        barrier.wait()
        answers.append(client.post(url, data))
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [302, 302]
    assert ProgressReport.objects.count() == 1 and not ProgressPhoto.objects.exists()


def test_a_needs_category_and_channel_start_empty(tree, actors, client):
    client.force_login(actors["community_secretary"])
    url = reverse("consultations:need-create")
    page = client.get(url).content.decode()
    for name in ("category", "channel"):
        select = re.search(rf'<select name="{name}"[^>]*>\s*<option value="" selected>', page)
        assert select, name
    response = client.post(url, {"compound": tree["compound_a"].pk, "content": "楼道扶手松动"})
    assert response.status_code == 200 and {"category", "channel"} <= set(response.context["form"].errors)
    assert not Need.objects.exists()
