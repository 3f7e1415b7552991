"""Residents in the loop from the plate's QR code: a report with a photo and no sign-in (rate-limited per address and
per compound, refused input keeps what was typed), the tracking page (never the reporter's name or phone), the
secretary told at once and deciding what is published, and the satisfaction survey after handover (one answer per
household code) with its figure on the dashboard."""

import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from communities.choices import RoleKind
from consultations import services
from consultations.choices import Channel, ProblemStatus
from consultations.choices import NotificationKind as CK
from consultations.models import ResidentProblem, Survey, SurveyCode, SurveyResponse
from dashboards import figures
from notifications.models import Notification
from projects.choices import ProjectStatus
from projects.models import Project
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.notifications.conftest import with_email
from tests.test_photo_formats_and_full_size import heic

pytestmark = pytest.mark.django_db

NAME, PHONE = "王小明", "13912345678"


def report_url(compound, building=None):
    url = reverse("public-problem-report", args=[compound.code])
    return f"{url}?building={building.pk}" if building else url


def post_report(client, compound, building=None, **extra):
    data = {"description": "3号楼单元门门禁坏了", "raised_by_name": NAME, "raised_by_phone": PHONE, **extra}
    if building is not None:
        data["building"] = getattr(building, "pk", building)
    return client.post(report_url(compound), data)


def report(tree, **extra) -> ResidentProblem:
    return services.problem_report_from_plate(
        compound=tree["compound_a"],
        building=tree["building_a"],
        description="楼道灯不亮",
        raised_by_name=NAME,
        raised_by_phone=PHONE,
        **extra,
    )


def handed_over(tree, compound="compound_a", units=3):
    Project.objects.filter(compound=tree[compound]).update(status=ProjectStatus.HANDED_OVER)
    building = tree["building_a" if compound == "compound_a" else "building_b"]
    for index in range(units):
        f_unit(tree[compound], building, f"1-{index + 1}01")


def f_unit(compound, building, label):
    from consultations.models import OwnerUnit

    return OwnerUnit.objects.create(compound=compound, building=building, unit=label, owner_name="业主", area=80)


# --- the report from the plate ---


def test_the_plate_and_the_public_page_lead_to_the_report_with_the_building_chosen(tree, client):
    compound, building = tree["compound_a"], tree["building_a"]
    plate = client.get(reverse("building-plate", args=[compound.code, building.pk])).content.decode()
    assert f"{report_url(compound)}?building={building.pk}" in plate.replace("&amp;", "&")
    assert f"?building={building.pk}" in plate  # the QR code's address names the building too
    public = client.get(reverse("public-compound", args=[compound.code]) + f"?building={building.pk}")
    assert f'{report_url(compound)}?building={building.pk}"' in public.content.decode()
    page = client.get(report_url(compound, building))
    assert page.status_code == 200
    assert re.search(rf'<option value="{building.pk}" selected>', page.content.decode())


def test_a_resident_reports_without_signing_in_and_gets_a_tracking_code(tree, client):
    response = post_report(client, tree["compound_a"], tree["building_a"])
    problem = ResidentProblem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("public-problem", args=[problem.tracking_code]) + "?new=1"
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", problem.tracking_code)
    assert (problem.channel, problem.created_by, problem.building) == (Channel.PLATE_QR, None, tree["building_a"])
    assert (problem.raised_by_name, problem.raised_by_phone, problem.status) == (NAME, PHONE, ProblemStatus.OPEN)
    page = client.get(response["Location"]).content.decode()
    assert problem.tracking_code in page and "3号楼单元门门禁坏了" in page


def test_tracking_codes_differ_and_an_unknown_code_is_a_404(tree, client):
    codes = {report(tree).tracking_code for _ in range(5)}
    assert len(codes) == 5
    assert client.get(reverse("public-problem", args=["ZZZZZZZZ"])).status_code == 404


def test_a_heic_photo_is_stored_as_jpeg_without_its_metadata(tree, client):
    response = post_report(client, tree["compound_a"], photo=heic())
    assert response.status_code == 302
    problem = ResidentProblem.objects.get()
    with problem.photo.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert problem.photo.name.endswith(".jpg") and problem.thumbnail


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"description": "  "}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"raised_by_phone": "call me"}, "raised_by_phone"),
        ({"building": "999999"}, "building"),
        ({"building": "abc"}, "building"),
    ],
)
def test_bad_input_is_refused_with_what_was_typed_kept(tree, client, extra, field):
    response = post_report(client, tree["compound_a"], **extra)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="report-errors"' in html
    error = response.context["form"].errors[field][0]
    assert error in html  # said next to the field
    assert NAME in html  # the typed name is still in its field
    assert not ResidentProblem.objects.exists()


def test_a_building_of_another_compound_is_refused(tree, client):
    response = post_report(client, tree["compound_a"], building=tree["building_b"])
    assert response.status_code == 200 and response.context["form"].errors["building"]
    assert not ResidentProblem.objects.exists()


def test_a_file_that_is_no_photo_is_refused_and_the_page_says_to_choose_it_again(tree, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("a.jpg", b"not an image at all", content_type="image/jpeg")
    response = post_report(client, tree["compound_a"], photo=fake)
    html = response.content.decode()
    assert response.status_code == 200 and response.context["form"].errors["photo"]
    assert 'data-testid="report-photo-again"' in html and "3号楼单元门门禁坏了" in html
    assert not ResidentProblem.objects.exists()


def test_a_photo_over_the_size_limit_is_refused(tree, settings, monkeypatch):
    from renovation_portal import uploads

    monkeypatch.setattr(uploads, "MAX_PHOTO_BYTES", 100)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buffer, format="JPEG")
    from django.core.files.uploadedfile import SimpleUploadedFile

    with pytest.raises(DomainError) as refused:
        report(tree, photo=SimpleUploadedFile("big.jpg", buffer.getvalue(), content_type="image/jpeg"))
    assert refused.value.field == "photo"
    assert not ResidentProblem.objects.exists()


def test_the_honeypot_refuses_a_robot(tree, client):
    response = post_report(client, tree["compound_a"], website="http://spam.example")
    assert response.status_code == 200 and response.context["form"].errors["website"]
    assert not ResidentProblem.objects.exists()


def test_reports_are_limited_per_address_with_a_clear_page_and_the_text_kept(tree, client, settings):
    settings.PUBLIC_REPORT_RATE = "2/hour"
    for _ in range(2):
        assert post_report(client, tree["compound_a"]).status_code == 302
    response = post_report(client, tree["compound_a"], description="第三条：路灯不亮")
    html = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert 'data-testid="report-throttled"' in html and "第三条：路灯不亮" in html
    assert ResidentProblem.objects.count() == 2
    other = Client(REMOTE_ADDR="10.0.0.9")  # another address still may
    assert post_report(other, tree["compound_a"]).status_code == 302


def test_reports_are_limited_per_compound_whatever_the_address(tree, settings):
    settings.PUBLIC_REPORT_COMPOUND_RATE = "3/hour"
    for index in range(3):
        assert post_report(Client(REMOTE_ADDR=f"10.0.1.{index}"), tree["compound_a"]).status_code == 302
    assert post_report(Client(REMOTE_ADDR="10.0.1.99"), tree["compound_a"]).status_code == 429
    assert post_report(Client(REMOTE_ADDR="10.0.1.99"), tree["compound_b"]).status_code == 302  # another compound
    assert ResidentProblem.objects.filter(compound=tree["compound_a"]).count() == 3


# --- the secretary is told, answers and publishes ---


def test_the_secretary_is_told_once_at_once_and_by_email_after_the_commit(
    tree, actors, django_capture_on_commit_callbacks
):
    secretary = with_email(actors["community_secretary"])
    with_email(actors["subdistrict_official"])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post_report(Client(), tree["compound_a"], tree["building_a"])
    assert response.status_code == 302 and len(callbacks) == 1
    problem = ResidentProblem.objects.get()
    note = Notification.objects.get(kind=CK.PROBLEM_REPORTED)
    assert note.recipient == secretary and note.url == reverse("consultations:problem-detail", args=[problem.pk])
    assert [message.to for message in mail.outbox] == [[secretary.email]]
    assert note.emailed_at is not None
    # Delivering again (a retried task, the sweep) sends nothing twice; so does publishing or answering.
    from notifications.services import deliver_pending

    deliver_pending()
    with django_capture_on_commit_callbacks(execute=True):
        services.problem_publish(actor=secretary, problem=problem, published=True)
        services.problem_publish(actor=secretary, problem=problem, published=True)
    assert Notification.objects.filter(kind=CK.PROBLEM_REPORTED).count() == 1 and len(mail.outbox) == 1


def test_a_refused_report_tells_nobody(tree, actors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        services.problem_report_from_plate(compound=tree["compound_a"], description=" ")
    assert not Notification.objects.exists()


def test_without_a_secretary_the_subdistrict_officials_are_told(tree, actors):
    actors["community_secretary"].roles.all().delete()
    report(tree)
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {actors["subdistrict_official"].pk}


def test_the_answer_shows_only_once_published_and_never_the_reporters_name_or_phone(tree, actors, client):
    problem = report(tree)
    secretary = actors["community_secretary"]
    staff = Client()
    staff.force_login(secretary)
    detail = reverse("consultations:problem-detail", args=[problem.pk])
    assert staff.post(detail, {"answer": "已报修，明天更换灯泡。"}).status_code == 302
    tracking = reverse("public-problem", args=[problem.tracking_code])
    public = reverse("public-compound", args=[tree["compound_a"].code])
    page = client.get(tracking).content.decode()
    assert "已报修" not in page and 'data-testid="answer"' not in page  # answered, not yet published
    assert "楼道灯不亮" not in client.get(public).content.decode()
    assert staff.post(detail, {"answer": "已报修，明天更换灯泡。", "published": "on"}).status_code == 302
    page = client.get(tracking).content.decode()
    listing = client.get(public).content.decode()
    assert "已报修" in page and "楼道灯不亮" in listing and "已报修" in listing
    for html in (page, listing):
        assert NAME not in html and PHONE not in html and PHONE[-4:] not in html
    assert staff.post(reverse("consultations:problem-publish", args=[problem.pk])).status_code == 302  # off again
    assert "楼道灯不亮" not in client.get(public).content.decode()
    assert "已报修" not in client.get(tracking).content.decode()


def test_a_resolved_problem_can_still_be_published(tree, actors):
    problem = report(tree)
    secretary = actors["community_secretary"]
    services.problem_answer(actor=secretary, problem=problem, answer="已修复", resolved=True)
    staff = Client()
    staff.force_login(secretary)
    response = staff.post(reverse("consultations:problem-publish", args=[problem.pk]), {"published": "on"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.published_at is not None and problem.status == ProblemStatus.RESOLVED


def test_the_secretary_sees_the_photo_and_the_reporter(tree, actors, client):
    problem = services.problem_report_from_plate(
        compound=tree["compound_a"], description="墙皮脱落", raised_by_phone=PHONE, photo=f.photo_file()
    )
    client.force_login(actors["community_secretary"])
    html = client.get(reverse("consultations:problem-detail", args=[problem.pk])).content.decode()
    assert PHONE in html and reverse("consultations:problem-photo", args=[problem.pk]) in html
    photo = client.get(reverse("consultations:problem-photo-full", args=[problem.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"


# --- who may see and do what (web and API) ---

STAFF_MATRIX = {
    # role: (sees the problem, may publish)
    "community_secretary": (True, True),
    "subdistrict_official": (True, True),
    "district_official": (True, True),
    "city_official": (True, False),
    "contractor": (False, False),
    "inspector": (False, False),
    "outsider": (False, False),
}


def _actor(role, tree, actors):
    if role == "city_official":
        return f.user_with_role(RoleKind.CITY_OFFICIAL, city=tree["district"].city)
    return actors[role]


@pytest.mark.parametrize("role", STAFF_MATRIX)
def test_problem_scope_matrix_web(role, tree, actors, client):
    sees, manages = STAFF_MATRIX[role]
    problem = report(tree, photo=f.photo_file())
    client.force_login(_actor(role, tree, actors))
    assert client.get(reverse("consultations:problem-detail", args=[problem.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("consultations:problem-photo", args=[problem.pk])).status_code == (200 if sees else 404)
    answer = client.post(reverse("consultations:problem-detail", args=[problem.pk]), {"answer": "好"})
    assert answer.status_code == (302 if manages else 403 if sees else 404)
    publish = client.post(reverse("consultations:problem-publish", args=[problem.pk]), {"published": "on"})
    assert publish.status_code == (302 if manages else 403 if sees else 404)
    problem.refresh_from_db()
    assert (problem.published_at is not None) == manages


@pytest.mark.parametrize("role", STAFF_MATRIX)
def test_problem_scope_matrix_api(role, tree, actors, api_as):
    sees, manages = STAFF_MATRIX[role]
    problem = report(tree)
    api = api_as(_actor(role, tree, actors))
    listed = api.get("/api/v1/resident-problems/").json()["results"]
    assert [row["id"] for row in listed] == ([problem.pk] if sees else [])
    response = api.post(f"/api/v1/resident-problems/{problem.pk}/publish/", {"published": True}, format="json")
    assert response.status_code == (200 if manages else 403 if sees else 404)
    if manages:
        body = response.json()
        assert body["published_at"] and body["tracking_code"] == problem.tracking_code
        assert body["channel"] == Channel.PLATE_QR and body["has_photo"] is False


def test_api_publish_refuses_a_body_without_its_boolean(tree, actors, api_as):
    problem = report(tree)
    response = api_as(actors["community_secretary"]).post(
        f"/api/v1/resident-problems/{problem.pk}/publish/", {"published": "maybe"}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "published"


# --- the satisfaction survey ---


def test_the_survey_opens_only_after_handover_with_the_roll_entered(tree, actors):
    secretary = actors["community_secretary"]
    with pytest.raises(DomainError) as refused:
        services.survey_open(actor=secretary, compound=tree["compound_a"])
    assert refused.value.code == "not_handed_over"
    Project.objects.filter(compound=tree["compound_a"]).update(status=ProjectStatus.HANDED_OVER)
    with pytest.raises(DomainError) as refused:
        services.survey_open(actor=secretary, compound=tree["compound_a"])
    assert refused.value.code == "no_units"
    handed_over(tree, units=3)
    survey = services.survey_open(actor=secretary, compound=tree["compound_a"])
    codes = list(survey.codes.values_list("code", flat=True))
    assert len(codes) == 3 == len(set(codes))
    assert all(re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}", code) for code in codes)
    with pytest.raises(DomainError) as refused:
        services.survey_open(actor=secretary, compound=tree["compound_a"])
    assert refused.value.code == "survey_open"


def test_a_household_answers_once_and_a_used_code_is_refused_clearly(tree, actors, client):
    handed_over(tree)
    survey = services.survey_open(actor=actors["community_secretary"], compound=tree["compound_a"])
    code = survey.codes.first().code
    entry = client.get(reverse("public-survey"), {"code": code.lower()[:4] + "-" + code.lower()[4:]})
    assert entry.status_code == 302 and entry["Location"] == reverse("public-survey-answer", args=[code])
    url = reverse("public-survey-answer", args=[code])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"overall": "9", "comment": "很好"})
    assert (
        bad.status_code == 200
        and bad.context["form"].errors["overall"]
        and "很好" in bad.content.decode()
        and not SurveyResponse.objects.exists()
    )
    done = client.post(url, {"overall": "4", "quality": "5", "site_conduct": "3", "comment": "很好"})
    assert done.status_code == 200 and 'data-testid="survey-done"' in done.content.decode()
    answer = SurveyResponse.objects.get()
    assert (answer.overall, answer.quality, answer.site_conduct, answer.communication) == (4, 5, 3, None)
    again = client.post(url, {"overall": "1"})
    assert again.status_code == 200
    assert 'data-testid="survey-refused"' in again.content.decode() and SurveyResponse.objects.count() == 1
    assert 'data-testid="survey-form"' not in again.content.decode()
    with pytest.raises(DomainError) as refused:
        services.survey_answer(code=code, overall=1)
    assert refused.value.code == "code_used"
    assert client.get(reverse("public-survey-answer", args=["ZZZZZZZZ"])).status_code == 404


def test_a_closed_survey_takes_no_answer(tree, actors, client):
    handed_over(tree)
    survey = services.survey_open(actor=actors["community_secretary"], compound=tree["compound_a"])
    services.survey_close(actor=actors["community_secretary"], survey=survey)
    response = client.post(reverse("public-survey-answer", args=[survey.codes.first().code]), {"overall": "5"})
    assert response.status_code == 200 and 'data-testid="survey-refused"' in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_slips_print_one_code_and_qr_per_household_not_yet_answered(tree, actors, client):
    handed_over(tree, units=4)
    survey = services.survey_open(actor=actors["community_secretary"], compound=tree["compound_a"])
    used = survey.codes.first()
    services.survey_answer(code=used.code, overall=5)
    client.force_login(actors["community_secretary"])
    html = client.get(reverse("consultations:survey-slips", args=[survey.pk])).content.decode()
    assert html.count('data-testid="survey-slip"') == 3 and used.code not in html
    assert html.count("data:image/svg+xml") == 3


SURVEY_MATRIX = {
    # role: (sees, manages)
    "community_secretary": (True, True),
    "subdistrict_official": (True, True),
    "district_official": (True, True),
    "city_official": (True, False),
    "contractor": (False, False),
    "inspector": (False, False),
    "outsider": (False, False),
}


@pytest.mark.parametrize("role", SURVEY_MATRIX)
def test_survey_scope_matrix(role, tree, actors, client, api_as):
    sees, manages = SURVEY_MATRIX[role]
    handed_over(tree)
    user = _actor(role, tree, actors)
    survey = services.survey_open(actor=actors["community_secretary"], compound=tree["compound_a"])
    client.force_login(user)
    assert client.get(reverse("consultations:survey-detail", args=[survey.pk])).status_code == (200 if sees else 404)
    assert client.get(reverse("consultations:survey-slips", args=[survey.pk])).status_code == (
        200 if manages else 403 if sees else 404
    )
    api = api_as(user)
    assert [row["id"] for row in api.get("/api/v1/surveys/").json()["results"]] == ([survey.pk] if sees else [])
    close = api.post(f"/api/v1/surveys/{survey.pk}/close/")
    assert close.status_code == (200 if manages else 403 if sees else 404)
    survey.refresh_from_db()
    assert (survey.closed_at is not None) == manages


def test_api_opens_a_survey_and_documents_its_refusals(tree, actors, api_as):
    api = api_as(actors["community_secretary"])
    refused = api.post("/api/v1/surveys/", {"compound": tree["compound_a"].pk}, format="json")
    assert refused.status_code == 400 and refused.json()["errors"][0]["code"] == "not_handed_over"
    foreign = api.post("/api/v1/surveys/", {"compound": tree["compound_b"].pk}, format="json")
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["code"] == "not_found"
    handed_over(tree, units=2)
    created = api.post("/api/v1/surveys/", {"compound": tree["compound_a"].pk}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["codes"], body["responses"], body["response_rate"]) == (2, 0, 0)
    services.survey_answer(code=SurveyCode.objects.first().code, overall=4, quality=2)
    body = api.get(f"/api/v1/surveys/{body['id']}/").json()
    assert (body["responses"], body["response_rate"], body["averages"]["overall"]) == (1, 50, 4.0)
    assert body["averages"]["quality"] == 2.0 and body["averages"]["communication"] is None
    again = api.post("/api/v1/surveys/", {"compound": tree["compound_a"].pk}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "survey_open"
    unknown = api.post("/api/v1/surveys/", {"compound": tree["compound_a"].pk, "extra": 1}, format="json")
    assert unknown.status_code == 400


def test_the_dashboard_satisfaction_matches_a_hand_count(tree, actors):
    """compound_a: 4 codes, answers 5, 4 and 2 → 3 of 4 (75 %), average 11 / 3 = 3.67. compound_b: 2 codes, one
    answer 1 → district: 4 of 6 (67 %), average 12 / 4 = 3.0."""
    handed_over(tree, units=4)
    handed_over(tree, "compound_b", units=2)
    a = services.survey_open(actor=actors["district_official"], compound=tree["compound_a"])
    b = services.survey_open(actor=actors["district_official"], compound=tree["compound_b"])
    for code, score in zip(a.codes.order_by("pk"), (5, 4, 2), strict=False):
        services.survey_answer(code=code.code, overall=score)
    services.survey_answer(code=b.codes.first().code, overall=1)

    def satisfaction(level, place):
        return figures.build(level, place, user=actors["district_official"], show_rounds=False).consultation[
            "satisfaction"
        ]

    assert satisfaction("compound", tree["compound_a"]) == {
        "codes": 4,
        "responses": 3,
        "average": 3.67,
        "response_rate": 75,
    }
    assert satisfaction("district", tree["district"]) == {
        "codes": 6,
        "responses": 4,
        "average": 3.0,
        "response_rate": 67,
    }
    assert satisfaction("subdistrict", tree["sub_b"])["responses"] == 1
    with CaptureQueriesContext(connection) as queries:
        figures.satisfaction("district", tree["district"])
    assert len(queries) == 1


def test_the_public_page_costs_the_same_queries_with_more_published_problems(tree, actors, client):
    url = reverse("public-compound", args=[tree["compound_a"].code])
    secretary = actors["community_secretary"]

    def publish(count):
        for _ in range(count):
            problem = report(tree)
            services.problem_answer(actor=secretary, problem=problem, answer="已处理")
            services.problem_publish(actor=secretary, problem=problem, published=True)

    publish(1)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    publish(5)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert len(many) == len(few) and html.count('data-testid="public-problem"') == 6


def test_the_survey_list_costs_the_same_queries_with_more_surveys(tree, actors, client):
    handed_over(tree)
    handed_over(tree, "compound_b")
    official = actors["district_official"]
    client.force_login(official)
    services.survey_open(actor=official, compound=tree["compound_a"])
    client.get(reverse("consultations:survey-list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("consultations:survey-list"))
    services.survey_open(actor=official, compound=tree["compound_b"])
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("consultations:survey-list")).content.decode()
    assert len(many) == len(few) and html.count("consultations/surveys/") >= 2
    assert Survey.objects.count() == 2 and timezone.now()
