"""iPhone photos (HEIC) are accepted on every upload path and stored and served as JPEG, after the same safety
checks as any photo; every thumbnail opens its full-size photo, to the same people only."""

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from PIL.ExifTags import IFD, Base

from communities.choices import RoleKind
from consultations import services as consultation_services
from consultations.forms import BallotForm
from inspections import services as inspection_services
from inspections.models import IssuePhoto
from projects.models import ProgressPhoto, ProgressReport
from renovation_portal import uploads
from tests import factories as f
from tests import photo_fixtures

# The shared fixtures (a project under construction and an open issue on it) and the report body.
project, issue, report_data = photo_fixtures.project, photo_fixtures.issue, photo_fixtures.report_data


def heic(name="IMG_0001.HEIC", size=(640, 480), mode="RGB", exif=None) -> SimpleUploadedFile:
    """A real HEIC file, written with pillow-heif as an iPhone would send it."""
    buffer = io.BytesIO()
    colour = {"RGBA": (200, 120, 40, 128), "L": 0}.get(mode, (200, 120, 40))
    options = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new(mode, size, colour).save(buffer, format="HEIF", quality=60, **options)
    content = buffer.getvalue()
    assert content[4:12] in (b"ftypheic", b"ftypmif1", b"ftypheix")  # an ISO-BMFF HEIF container, not a JPEG
    return SimpleUploadedFile(name, content, content_type="image/heic")


def assert_jpeg(content: bytes, size=None):
    image = Image.open(io.BytesIO(content))
    assert content[:3] == b"\xff\xd8\xff" and image.format == "JPEG"
    if size:
        assert image.size == size
    exif = image.getexif()
    assert not exif.get_ifd(IFD.GPSInfo) and Base.Make not in exif


# --- HEIC ---


def test_a_heic_photo_is_accepted_by_the_api_and_served_as_jpeg(project, actors, api_as):
    exif = Image.Exif()
    exif[Base.Make], exif[Base.Model] = "Apple", "iPhone 15"
    api = api_as(actors["contractor"])
    response = api.post("/api/v1/progress-reports/", report_data(project, [heic(exif=exif)]), format="multipart")
    assert response.status_code == 201, response.content
    photo = response.json()["photos"][0]
    served = api.get(photo["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert_jpeg(b"".join(served.streaming_content), size=(640, 480))
    thumbnail = api.get(photo["thumbnail_url"])
    assert thumbnail["Content-Type"] == "image/jpeg"
    assert_jpeg(b"".join(thumbnail.streaming_content), size=(320, 240))
    stored = ProgressPhoto.objects.get()
    assert stored.image.name.endswith(".jpg")


def test_a_heic_photo_with_transparency_is_stored_as_jpeg_from_the_web_form(project, actors, client):
    client.force_login(actors["contractor"])
    response = client.post(
        reverse("projects:report-create", args=[project.pk]),
        {**report_data(project, [heic("IMG_0002.heic", mode="RGBA")]), "manpower": 3},
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    photo = ProgressReport.objects.get().photos.get()
    with photo.image.open("rb") as file:
        assert_jpeg(file.read(), size=(640, 480))
    page = client.get(reverse("projects:project-detail", args=[project.pk])).content.decode()
    assert reverse("projects:photo", args=[photo.pk]) in page  # the thumbnail opens the full photo


def test_heic_evidence_and_meeting_photos_are_stored_as_jpeg(issue, actors, api_as, tree):
    response = api_as(actors["contractor"]).post(
        f"/api/v1/issues/{issue.pk}/submit/", {"note": "已整改", "photos": [heic()]}, format="multipart"
    )
    assert response.status_code == 200, response.content
    with IssuePhoto.objects.get().image.open("rb") as file:
        assert_jpeg(file.read())
    meeting = consultation_services.meeting_log(
        actor=actors["community_secretary"],
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=1),
        place="党群服务中心",
        attendance=12,
        photos=[heic()],
    )
    with meeting.photos.get().image.open("rb") as file:
        assert_jpeg(file.read())


def test_a_heic_bomb_is_refused_from_its_header_like_any_photo(project, actors, api_as):
    bomb = heic("bomb.heic", size=(8000, 6000), mode="L")
    with pytest.raises(ValidationError) as refused:
        uploads.validate_photo(bomb)
    assert refused.value.code == "photo_too_many_pixels"
    response = api_as(actors["contractor"]).post(
        "/api/v1/progress-reports/",
        report_data(project, [heic("bomb.heic", size=(8000, 6000), mode="L")]),
        format="multipart",
    )
    assert response.status_code == 400 and "40" in response.json()["errors"][0]["detail"]
    assert not ProgressReport.objects.exists()


def test_a_file_named_heic_that_is_no_image_is_refused(project, actors, api_as):
    fake = SimpleUploadedFile("IMG_0003.HEIC", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200, content_type="image/heic")
    response = api_as(actors["contractor"]).post(
        "/api/v1/progress-reports/", report_data(project, [fake]), format="multipart"
    )
    assert response.status_code == 400 and not ProgressReport.objects.exists()


def test_the_shared_form_and_api_photo_fields_take_heic():
    form = BallotForm({"voter": 1, "choice": "for", "channel": "paper"}, {"scan": heic("scan.heic")})
    form.is_valid()
    assert "scan" not in form.errors
    assert uploads.PhotoField().run_validation(heic()).name.lower().endswith(".heic")


def test_photo_pickers_offer_heic(project, actors, client):
    client.force_login(actors["contractor"])
    page = client.get(reverse("projects:report-create", args=[project.pk])).content.decode()
    assert 'accept="image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif"' in page


# --- full size ---


@pytest.fixture
def issue_photo(issue, actors):
    inspection_services.issue_submit_rectification(
        actor=actors["contractor"], issue=issue, note="已灌缝", photos=[f.photo_file(size=(640, 480))]
    )
    return issue.photos.get()


def test_issue_photo_thumbnails_open_the_full_photo_to_people_in_scope_only(issue_photo, actors, client, tree):
    thumb = reverse("inspections:issue-photo", args=[issue_photo.pk])
    full = reverse("inspections:issue-photo-full", args=[issue_photo.pk])
    client.force_login(actors["inspector"])
    assert Image.open(io.BytesIO(b"".join(client.get(thumb).streaming_content))).size == (320, 240)
    response = client.get(full)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (640, 480)
    page = client.get(reverse("inspections:issue-detail", args=[issue_photo.issue.pk])).content.decode()
    assert f'src="{thumb}"' in page and f'src="{full}"' in page and f'href="#issue-photo-{issue_photo.pk}-full"' in page
    for user in (actors["outsider"], f.user_with_role(RoleKind.CONTRACTOR, company=tree["company_b"])):
        client.force_login(user)
        assert client.get(full).status_code == 404
    client.logout()
    assert client.get(full).status_code == 302


def test_meeting_photo_thumbnails_open_the_full_photo_to_people_in_scope_only(actors, client, tree):
    meeting = consultation_services.meeting_log(
        actor=actors["community_secretary"],
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=1),
        place="党群服务中心",
        attendance=12,
        photos=[f.photo_file(size=(640, 480))],
    )
    photo = meeting.photos.get()
    full = reverse("consultations:meeting-photo-full", args=[photo.pk])
    client.force_login(actors["community_secretary"])
    response = client.get(full)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (640, 480)
    page = client.get(reverse("consultations:meeting-detail", args=[meeting.pk])).content.decode()
    assert f'src="{full}"' in page
    client.force_login(f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"]))
    assert client.get(full).status_code == 404
