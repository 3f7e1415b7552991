"""Uploads cannot exhaust the server or leak where a photo was taken: decompression bombs are refused from the
image header before anything is decoded, on every upload path; stored and served photos carry no EXIF (the
capture time and position are kept as fields); and an oversized request body is answered 413 unread."""

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFile
from PIL.ExifTags import GPS, IFD, Base

from consultations.forms import BallotForm
from consultations.models import Meeting, MeetingPhoto
from inspections.models import ChecklistTemplate, IssuePhoto, RectificationIssue
from projects.models import ProgressPhoto, ProgressReport
from renovation_portal import uploads
from tests import factories as f
from tests import photo_fixtures

# The shared fixtures (a project under construction and an open issue on it) and the report body.
project, issue, report_data = photo_fixtures.project, photo_fixtures.issue, photo_fixtures.report_data


def bomb(name="bomb.png") -> SimpleUploadedFile:
    """8000 × 6000 = 48 megapixels, a few kilobytes: a 1-bit PNG of one colour compresses to almost nothing."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buffer, format="PNG")
    assert len(buffer.getvalue()) < 100_000
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def decoded(monkeypatch):
    """The sizes of every image whose pixels are decoded (Pillow decodes in ImageFile.load)."""
    sizes = []
    original = ImageFile.ImageFile.load

    def load(self):
        sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


def never_decoded_a_bomb(sizes) -> bool:
    return all(width * height <= settings.MAX_IMAGE_PIXELS for width, height in sizes)


# --- decompression bombs ---


def test_pillow_refuses_bombs_at_the_portal_limit_too():
    assert settings.MAX_IMAGE_PIXELS == 40_000_000 and Image.MAX_IMAGE_PIXELS == settings.MAX_IMAGE_PIXELS


def test_a_bomb_is_refused_from_its_header_by_the_shared_checks(decoded):
    with pytest.raises(ValidationError) as refused:
        uploads.validate_photo(bomb())
    assert refused.value.code == "photo_too_many_pixels" and "40" in refused.value.messages[0]
    from rest_framework.exceptions import ValidationError as APIValidationError

    with pytest.raises(APIValidationError):
        uploads.PhotoField().run_validation(bomb())
    form = BallotForm({"voter": 1, "choice": "for", "paper": True}, {"scan": bomb("scan.png")})
    assert not form.is_valid() and "40" in form.errors["scan"][0]
    assert decoded == []
    uploads.validate_photo(f.photo_file(size=(8000, 5000), image_format="PNG"))  # exactly 40 MP passes


def test_bombs_are_refused_before_decoding_on_the_api_upload_paths(project, issue, actors, api_as, tree, decoded):
    contractor = api_as(actors["contractor"])
    response = contractor.post(
        "/api/v1/progress-reports/", report_data(project, [bomb(), bomb(), bomb()]), format="multipart"
    )
    assert response.status_code == 400, response.content
    error = response.json()["errors"][0]
    assert error["attr"] == "photos" and "40" in error["detail"]
    assert not ProgressReport.objects.exists()

    response = contractor.post(
        f"/api/v1/issues/{issue.pk}/submit/", {"note": "已整改", "photos": [bomb()]}, format="multipart"
    )
    assert response.status_code == 400 and "40" in response.json()["errors"][0]["detail"]
    issue.refresh_from_db()
    assert issue.status == "open" and not IssuePhoto.objects.exists()

    response = api_as(actors["community_secretary"]).post(
        "/api/v1/meetings/",
        {
            "compound": tree["compound_a"].pk,
            "kind": "tea_meeting",
            "held_at": (timezone.now() - timedelta(days=1)).isoformat(),
            "place": "党群服务中心",
            "attendance": 10,
            "photos": [bomb()],
        },
        format="multipart",
    )
    assert response.status_code == 400 and "40" in response.json()["errors"][0]["detail"]
    assert not Meeting.objects.exists()
    assert never_decoded_a_bomb(decoded)


def test_a_bomb_is_a_form_error_on_the_web_report_page(project, actors, client, decoded):
    client.force_login(actors["contractor"])
    response = client.post(
        reverse("projects:report-create", args=[project.pk]), {**report_data(project, [bomb()]), "manpower": 3}
    )
    assert response.status_code == 200 and "40" in response.context["form"].errors["photos"][0]
    assert not ProgressReport.objects.exists() and never_decoded_a_bomb(decoded)


def test_a_bomb_among_inspection_findings_files_nothing(project, actors, decoded):
    from inspections import services
    from inspections.models import ChecklistItem, InspectionResult
    from renovation_portal.errors import DomainError

    template = ChecklistTemplate.objects.create(name="二级巡检表", tier=2)
    item = ChecklistItem.objects.create(template=template, position=1, code="safety", text="临边防护")
    inspection = services.inspection_start(actor=actors["inspector"], project=project, tier=2)
    findings = [
        services.FindingInput(
            item=item, description="无防护", location="3号楼", severity="serious", photos=[f.photo_file(), bomb()]
        )
    ]
    with pytest.raises(DomainError) as refused:
        services.inspection_file(
            actor=actors["inspector"],
            inspection=inspection,
            findings=findings,
            results=[services.ResultInput(item=item, outcome="fail")],
        )
    assert refused.value.code == "photo_too_many_pixels" and refused.value.field == "photos"
    assert not RectificationIssue.objects.exists() and not InspectionResult.objects.exists()
    assert never_decoded_a_bomb(decoded)


# --- EXIF ---


def gps_jpeg(name="site.jpg") -> SimpleUploadedFile:
    """A 64×48 JPEG turned by EXIF orientation 6 (shown 48×64), with capture time, camera and GPS position."""
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model], exif[Base.Orientation] = "Phone", "X-1 serial 1234", 6
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2026:11:20 09:30:00"
    exif.get_ifd(IFD.GPSInfo).update(
        {
            GPS.GPSLatitudeRef: "N",
            GPS.GPSLatitude: (24.0, 28.0, 48.0),
            GPS.GPSLongitudeRef: "E",
            GPS.GPSLongitude: (118.0, 5.0, 24.0),
        }
    )
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 200)).save(buffer, format="JPEG", exif=exif)
    served = Image.open(io.BytesIO(buffer.getvalue()))
    assert served.getexif().get_ifd(IFD.GPSInfo)  # the test photo does carry a position
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def assert_clean(content: bytes, size=(48, 64)):
    image = Image.open(io.BytesIO(content))
    exif = image.getexif()
    assert not exif.get_ifd(IFD.GPSInfo) and Base.Make not in exif and Base.Model not in exif
    assert "exif" not in image.info and "xmp" not in image.info and b"Exif" not in content
    assert image.size == size  # turned upright, so no orientation tag is needed


def test_served_progress_photos_carry_no_exif_and_the_camera_data_is_kept_as_fields(project, actors, api_as):
    api = api_as(actors["contractor"])
    response = api.post("/api/v1/progress-reports/", report_data(project, [gps_jpeg()]), format="multipart")
    assert response.status_code == 201, response.json()
    photo = response.json()["photos"][0]
    assert photo["latitude"] == "24.480000" and photo["longitude"] == "118.090000"
    assert photo["taken_at"].startswith("2026-11-20T09:30:00")
    image = api.get(photo["url"])
    assert image.status_code == 200
    assert_clean(b"".join(image.streaming_content))
    assert_clean(b"".join(api.get(photo["thumbnail_url"]).streaming_content))
    stored = ProgressPhoto.objects.get()
    with stored.image.open("rb") as file:
        assert_clean(file.read())


def test_issue_and_meeting_photos_are_stored_without_exif(issue, actors, api_as, tree):
    api_as(actors["contractor"]).post(
        f"/api/v1/issues/{issue.pk}/submit/", {"note": "已整改", "photos": [gps_jpeg()]}, format="multipart"
    )
    photo = IssuePhoto.objects.get()
    assert (photo.latitude, photo.longitude) == (Decimal("24.480000"), Decimal("118.090000"))
    assert photo.taken_at == timezone.make_aware(datetime(2026, 11, 20, 9, 30))
    with photo.image.open("rb") as file:
        assert_clean(file.read())
    response = api_as(actors["community_secretary"]).post(
        "/api/v1/meetings/",
        {
            "compound": tree["compound_a"].pk,
            "kind": "tea_meeting",
            "held_at": (timezone.now() - timedelta(days=1)).isoformat(),
            "place": "党群服务中心",
            "attendance": 10,
            "photos": [gps_jpeg()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    with MeetingPhoto.objects.get().image.open("rb") as file:
        assert_clean(file.read())


def test_a_photo_that_cannot_be_decoded_is_refused_and_files_nothing(project, actors, api_as):
    whole = gps_jpeg().read()
    truncated = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2], content_type="image/jpeg")
    response = api_as(actors["contractor"]).post(
        "/api/v1/progress-reports/", report_data(project, [truncated]), format="multipart"
    )
    assert response.status_code == 400 and not ProgressReport.objects.exists()


# --- request size ---


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_oversized_request_is_413_before_its_body_is_read(actors, client, settings):
    client.force_login(actors["contractor"])
    assert settings.MAX_REQUEST_BYTES < 31 * 1024 * 1024  # the tester's 31 MB upload is refused unread
    too_big = {
        "CONTENT_LENGTH": str(31 * 1024 * 1024),
        "wsgi.input": UnreadableBody(),
        "CONTENT_TYPE": "multipart/form-data; boundary=x",
    }
    response = client.generic("POST", "/api/v1/progress-reports/", **too_big)
    assert response.status_code == 413
    assert response.json() == {
        "type": "client_error",
        "errors": [{"code": "request_too_large", "detail": response.json()["errors"][0]["detail"], "attr": None}],
    }
    assert "30.0\xa0MB" in response.json()["errors"][0]["detail"]
    response = client.generic("POST", reverse("projects:report-create", args=[1]), **too_big)
    assert response.status_code == 413 and response["Content-Type"].startswith("text/plain")
    assert "30.0\xa0MB" in response.content.decode()
    settings.MAX_REQUEST_BYTES = 2 * 1024 * 1024  # the limit is a setting
    response = client.generic("POST", "/api/v1/progress-reports/", **{**too_big, "CONTENT_LENGTH": str(3 << 20)})
    assert response.status_code == 413 and "2.0\xa0MB" in response.json()["errors"][0]["detail"]


def test_a_request_within_the_limit_goes_through(actors, client, settings):
    settings.MAX_REQUEST_BYTES = 1000
    client.force_login(actors["contractor"])
    response = client.post("/api/v1/progress-reports/", "{}", content_type="application/json")
    assert response.status_code == 400 and response.json()["type"] == "validation_error"


def test_photos_stored_before_the_fix_are_stripped_by_the_command(project, actors):
    from django.core.management import call_command

    report = ProgressReport.objects.create(
        project=project,
        report_date=timezone.localdate(),
        work_done="x",
        percent_complete=1,
        created_by=actors["contractor"],
    )
    old = ProgressPhoto.objects.create(report=report, image=gps_jpeg(), thumbnail=gps_jpeg("thumb.jpg"))
    with old.image.open("rb") as file:
        assert Image.open(file).getexif().get_ifd(IFD.GPSInfo)  # as uploads were stored until now
    out = io.StringIO()
    call_command("strip_photo_metadata", stdout=out)
    assert out.getvalue().startswith("1 photo(s)")
    old.refresh_from_db()
    with old.image.open("rb") as file:
        assert_clean(file.read())
    assert (old.latitude, old.longitude) == (Decimal("24.480000"), Decimal("118.090000")) and old.taken_at
    call_command("strip_photo_metadata", stdout=out)
    assert out.getvalue().endswith("0 photo(s) stripped of metadata.\n")
