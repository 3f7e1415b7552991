"""Meetings from invitation to minutes: scheduled (no minutes due before the date), the buildings' leads and
owners invited, sign-in on the roll or by QR code (once per unit, only while the meeting is on), draft and
published minutes with corrections as versions, the minutes reminder counted from the meeting's date, the
events told to those concerned, and who may read or run a meeting (web and API)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities import services as community_services
from communities.choices import RoleKind
from consultations import selectors, services, sweeps
from consultations.choices import MeetingStatus, NotificationKind, SignInChannel
from consultations.models import Meeting, MeetingAttendance, MeetingInvitation, MinutesVersion, Owner, OwnerUnit
from notifications.models import Notification
from renovation_portal.errors import DomainError
from tests import factories as f
from tests.conftest import etag_patch

pytestmark = pytest.mark.django_db

# A Tuesday evening at 19:30 in Xiamen; the meeting is a week later.
NOW = timezone.make_aware(datetime(2026, 11, 17, 10, 0))
NEXT_WEEK = timezone.make_aware(datetime(2026, 11, 24, 19, 30))


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def secretary(actors):
    return actors["community_secretary"]


@pytest.fixture
def roll(tree, secretary):
    """Building 1 (with its lead 徐林, who has a portal account by the same phone) and building 2 of compound a;
    陈建国 owns two flats of building 1, 王芳 one; 李强 owns one flat of building 2."""
    compound = tree["compound_a"]
    b1, b2 = tree["building_a"], f.BuildingFactory(compound=compound, number="2号楼")
    lead = community_services.building_lead_record(
        actor=secretary, building=b1, name="徐林", phone="13911112222", chosen_by="appointed"
    )
    lead_user = f.UserFactory(phone="13911112222")
    units = {}
    for name, phone, building, labels in (
        ("陈建国", "13800001111", b1, ["1-101", "1-102"]),
        ("王芳", "13800002222", b1, ["1-201"]),
        ("李强", "13800003333", b2, ["1-101"]),
    ):
        owner = Owner.objects.create(compound=compound, name=name, phone=phone)
        for label in labels:
            units[(building.number, label)] = OwnerUnit.objects.create(
                compound=compound,
                building=building,
                unit=label,
                owner=owner,
                owner_name=name,
                owner_phone=phone,
                area=Decimal("80.00"),
            )
    return {"b1": b1, "b2": b2, "lead": lead, "lead_user": lead_user, "units": units}


def _schedule(tree, secretary, roll=None, **extra):
    kwargs = {
        "actor": secretary,
        "compound": tree["compound_a"],
        "kind": "tea_meeting",
        "held_at": NEXT_WEEK,
        "place": "党群服务站",
        "buildings": [roll["b1"]] if roll else [],
    }
    return services.meeting_schedule(**{**kwargs, **extra})


# --- scheduling and invitations ---


def test_a_meeting_scheduled_a_week_ahead_owes_no_minutes_and_invites_the_buildings_people(tree, secretary, roll):
    meeting = _schedule(tree, secretary, roll, new_topic_titles=["加装电梯"])
    assert meeting.status == MeetingStatus.SCHEDULED and meeting.sign_in_token
    assert not meeting.minutes_due and not meeting.minutes_overdue and meeting.is_upcoming
    assert list(selectors.meetings_minutes_due(secretary)) == []
    assert list(selectors.meetings_to_come(secretary)) == [meeting]
    invited = {(i.kind, i.name, i.units) for i in meeting.invitations.all()}
    assert invited == {
        ("building_lead", "徐林", ""),
        ("owner", "陈建国", "1号楼 1-101、1号楼 1-102"),  # one owner of two flats: one invitation
        ("owner", "王芳", "1号楼 1-201"),
    }  # 李强 lives in building 2, not called
    assert meeting.invitations.get(kind="building_lead").user == roll["lead_user"]
    assert [t.title for t in meeting.topics.all()] == ["加装电梯"]


def test_the_whole_compound_invites_every_building(tree, secretary, roll):
    meeting = _schedule(tree, secretary, roll, buildings=[])
    assert sorted(meeting.invitations.values_list("name", flat=True)) == sorted(["徐林", "陈建国", "王芳", "李强"])


def test_scheduling_tells_staff_and_invitees_with_an_account_at_once(tree, secretary, roll):
    colleague = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    meeting = _schedule(tree, secretary, roll)
    rows = {n.recipient_id: n for n in Notification.objects.filter(kind=NotificationKind.MEETING_SCHEDULED)}
    assert set(rows) == {colleague.pk, roll["lead_user"].pk}  # not the secretary who scheduled it
    assert rows[colleague.pk].url == reverse("consultations:meeting-detail", args=[meeting.pk])
    # The building lead has no role over the compound: the link is the public page they can open.
    assert rows[roll["lead_user"].pk].url == reverse("public-compound", args=[tree["compound_a"].code])


def test_moving_and_cancelling_a_meeting_tell_those_concerned_once(tree, secretary, roll):
    colleague = f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_a"])
    meeting = _schedule(tree, secretary, roll)
    services.meeting_update(actor=secretary, meeting=meeting, held_at=NEXT_WEEK + timedelta(days=1))
    services.meeting_update(actor=secretary, meeting=meeting, place="党群服务站")  # unchanged: no news
    moved = Notification.objects.filter(kind=NotificationKind.MEETING_MOVED)
    assert set(moved.values_list("recipient_id", flat=True)) == {colleague.pk, roll["lead_user"].pk}
    services.meeting_cancel(actor=secretary, meeting=meeting, reason="台风")
    cancelled = Notification.objects.filter(kind=NotificationKind.MEETING_CANCELLED)
    assert cancelled.count() == 2 and set(cancelled.values_list("body", flat=True)) == {"台风"}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CANCELLED and not meeting.minutes_due
    for call in (
        lambda: services.meeting_update(actor=secretary, meeting=meeting, place="x"),
        lambda: services.meeting_cancel(actor=secretary, meeting=meeting),
        lambda: services.meeting_record(actor=secretary, meeting=meeting, minutes="x"),
    ):
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == "meeting_cancelled"
    assert not selectors.meetings_minutes_overdue(NEXT_WEEK + timedelta(days=10)).exists()


def test_changing_the_buildings_changes_the_invitations_but_keeps_who_signed_in(tree, secretary, roll, _clock):
    meeting = _schedule(tree, secretary, roll)
    _clock.move_to(NEXT_WEEK)
    wang = meeting.invitations.get(name="王芳")
    services.meeting_sign_in(actor=secretary, meeting=meeting, invitation=wang)
    services.meeting_update(actor=secretary, meeting=meeting, buildings=[roll["b2"]])
    names = set(meeting.invitations.values_list("name", flat=True))
    assert names == {"李强", "王芳"}  # building 2's owner added; 王芳 signed in, so kept; the others withdrawn


def test_bad_schedules_are_refused_with_their_field(tree, secretary, roll):
    foreign = tree["building_b"]
    cases = [
        ({"held_at": NOW + timedelta(days=90)}, "bad_date", "held_at"),
        ({"place": "  "}, "bad_place", "place"),
        ({"buildings": [foreign]}, "foreign_building", "buildings"),
        ({"kind": "party"}, "bad_kind", "kind"),
        ({"new_topic_titles": ["长" * 121]}, "bad_topic_title", "new_topic_titles"),
    ]
    for extra, code, field in cases:
        with pytest.raises(DomainError) as refused:
            _schedule(tree, secretary, roll, **extra)
        assert (refused.value.code, refused.value.field) == (code, field)
    assert not Meeting.objects.exists()


# --- sign-in ---


def test_staff_tick_invitees_once_and_the_head_count_follows(tree, secretary, roll, _clock):
    meeting = _schedule(tree, secretary, roll)
    chen = meeting.invitations.get(name="陈建国")
    with pytest.raises(DomainError) as early:
        services.meeting_sign_in(actor=secretary, meeting=meeting, invitation=chen)
    assert early.value.code == "sign_in_not_open"
    _clock.move_to(NEXT_WEEK - timedelta(minutes=30))
    services.meeting_sign_in(actor=secretary, meeting=meeting, invitation=chen)
    with pytest.raises(DomainError) as twice:
        services.meeting_sign_in(actor=secretary, meeting=meeting, invitation=chen)
    assert twice.value.code == "already_signed_in" and "陈建国" in twice.value.message
    # A flat of the same owner, scanned or ticked: the owner is already in.
    with pytest.raises(DomainError) as same_owner:
        services.meeting_sign_in(actor=secretary, meeting=meeting, owner_unit=roll["units"][("1号楼", "1-102")])
    assert same_owner.value.code == "already_signed_in"
    services.meeting_sign_in(actor=secretary, meeting=meeting, owner_unit=roll["units"][("2号楼", "1-101")])
    services.meeting_record(actor=secretary, meeting=meeting, guests=3)
    meeting.refresh_from_db()
    assert meeting.attendance == 5  # two signed in, three others present
    attendance = meeting.attendances.get(invitation=chen)
    services.meeting_sign_out(actor=secretary, meeting=meeting, attendance=attendance)
    meeting.refresh_from_db()
    assert meeting.attendance == 4
    with pytest.raises(DomainError) as cancel:
        services.meeting_cancel(actor=secretary, meeting=meeting)
    assert cancel.value.code == "has_sign_ins"
    with pytest.raises(DomainError) as later:
        services.meeting_update(actor=secretary, meeting=meeting, held_at=NEXT_WEEK + timedelta(days=2))
    assert later.value.code == "has_sign_ins"


def _sign_in_url(meeting):
    return reverse("meeting-public-sign-in", args=[meeting.sign_in_token])


def test_residents_sign_in_by_qr_once_per_unit_only_while_the_meeting_is_on(tree, secretary, roll, client, _clock):
    meeting = _schedule(tree, secretary, roll)
    url = _sign_in_url(meeting)
    unit = roll["units"][("1号楼", "1-201")]
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="sign-in-closed"' in page.content.decode()
    refused = client.post(url, {"owner_unit": unit.pk})
    assert refused.status_code == 200 and 'data-testid="sign-in-closed"' in refused.content.decode()
    assert not MeetingAttendance.objects.exists()

    _clock.move_to(NEXT_WEEK - timedelta(minutes=59))  # opens an hour before
    form = client.get(url).content.decode()
    assert "1号楼 1-201" in form and "王芳" not in form and "13800002222" not in form  # units, never names
    done = client.post(url, {"owner_unit": unit.pk, "name": "王芳女儿"})
    assert done.status_code == 200 and 'data-testid="signed-in"' in done.content.decode()
    attendance = MeetingAttendance.objects.get()
    assert (attendance.channel, attendance.unit_label, attendance.name) == (SignInChannel.QR, "1号楼 1-201", "王芳女儿")
    assert attendance.invitation == meeting.invitations.get(name="王芳")  # ticked on the roll too

    again = client.post(url, {"owner_unit": unit.pk})
    assert again.status_code == 200 and 'class="alert alert-danger"' in again.content.decode()
    assert 'data-testid="signed-in"' not in again.content.decode()
    assert MeetingAttendance.objects.count() == 1

    foreign = OwnerUnit.objects.create(
        compound=tree["compound_b"],
        building=tree["building_b"],
        unit="9-901",
        owner_name="外人",
        area=Decimal("50"),
    )
    for body in ({"owner_unit": foreign.pk}, {"owner_unit": "abc"}, {"owner_unit": unit.pk, "name": "x" * 51}):
        refused = client.post(url, body).content.decode()
        assert "invalid-feedback" in refused and 'data-testid="signed-in"' not in refused
    assert MeetingAttendance.objects.count() == 1

    _clock.move_to(NEXT_WEEK.replace(hour=23, minute=59))
    assert client.post(url, {"owner_unit": roll["units"][("2号楼", "1-101")].pk}).status_code == 200
    _clock.move_to(NEXT_WEEK + timedelta(days=1))  # the next day: closed
    late = client.post(url, {"owner_unit": roll["units"][("1号楼", "1-101")].pk})
    assert 'data-testid="sign-in-closed"' in late.content.decode() and MeetingAttendance.objects.count() == 2
    meeting.refresh_from_db()
    assert meeting.attendance == 2


def test_a_cancelled_or_unknown_meeting_cannot_be_signed_in(tree, secretary, roll, client, _clock):
    meeting = _schedule(tree, secretary, roll)
    services.meeting_cancel(actor=secretary, meeting=meeting)
    _clock.move_to(NEXT_WEEK)
    response = client.post(_sign_in_url(meeting), {"owner_unit": roll["units"][("1号楼", "1-201")].pk})
    assert response.status_code == 200 and 'data-testid="sign-in-closed"' in response.content.decode()
    assert client.get(reverse("meeting-public-sign-in", args=["not-a-token"])).status_code == 404
    assert not MeetingAttendance.objects.exists()


def test_qr_sign_in_is_rate_limited_like_the_public_pages(tree, secretary, roll, client, settings, _clock):
    settings.PUBLIC_PAGE_RATE = "3/minute"
    meeting = _schedule(tree, secretary, roll)
    _clock.move_to(NEXT_WEEK)
    url = _sign_in_url(meeting)
    assert [client.get(url).status_code for _ in range(3)] == [200] * 3
    refused = client.post(url, {"owner_unit": roll["units"][("1号楼", "1-201")].pk})
    assert refused.status_code == 429 and not MeetingAttendance.objects.exists()


# --- minutes: draft, publish, corrections ---


def test_minutes_are_published_after_the_meeting_then_frozen_and_corrected_as_versions(
    tree, secretary, roll, client, _clock
):
    meeting = _schedule(tree, secretary, roll)
    services.meeting_record(actor=secretary, meeting=meeting, decisions="同意加装", minutes="草稿")
    with pytest.raises(DomainError) as early:
        services.meeting_publish_minutes(actor=secretary, meeting=meeting)
    assert early.value.code == "meeting_not_held"
    _clock.move_to(NEXT_WEEK + timedelta(hours=2))
    assert Meeting.objects.get().minutes_due
    services.meeting_publish_minutes(actor=secretary, meeting=meeting, minutes="讨论加装电梯，一致同意。")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.PUBLISHED and not meeting.minutes_due
    first = MinutesVersion.objects.get()
    assert (first.number, first.minutes, first.decisions) == (1, "讨论加装电梯，一致同意。", "同意加装")
    for call, code in (
        (lambda: services.meeting_publish_minutes(actor=secretary, meeting=meeting), "already_published"),
        (lambda: services.meeting_record(actor=secretary, meeting=meeting, minutes="改"), "minutes_published"),
        (lambda: services.meeting_update(actor=secretary, meeting=meeting, place="改"), "minutes_published"),
        (
            lambda: services.meeting_add_photos(actor=secretary, meeting=meeting, photos=[f.photo_file()]),
            "minutes_published",
        ),
    ):
        with pytest.raises(DomainError) as refused:
            call()
        assert refused.value.code == code

    page = client.get(reverse("public-compound", args=[tree["compound_a"].code])).content.decode()
    assert "讨论加装电梯，一致同意。" in page and "同意加装" in page and 'data-testid="minutes-corrected"' not in page
    assert page.count("同意加装") == 1  # the decisions in one minutes section, not an older copy above it too

    for kwargs, code in (
        ({"minutes": "讨论加装电梯，一致同意。", "note": "无"}, "nothing_changed"),
        ({"minutes": "讨论加装电梯，一致同意（26 户）。", "note": ""}, "note_required"),
        ({"minutes": "", "note": "x"}, "minutes_required"),
    ):
        with pytest.raises(DomainError) as refused:
            services.meeting_correct_minutes(actor=secretary, meeting=meeting, **kwargs)
        assert refused.value.code == code
    _clock.move_to(NEXT_WEEK + timedelta(days=1))
    version = services.meeting_correct_minutes(
        actor=secretary, meeting=meeting, minutes="讨论加装电梯，一致同意（26 户）。", note="补记户数"
    )
    assert version.number == 2
    first.refresh_from_db()
    assert first.minutes == "讨论加装电梯，一致同意。"  # the first is kept as published
    page = client.get(reverse("public-compound", args=[tree["compound_a"].code])).content.decode()
    assert "一致同意（26 户）" in page and 'data-testid="minutes-corrected"' in page and "2026-11-25" in page
    assert "陈建国" not in page and "13800001111" not in page


def test_the_minutes_reminder_counts_from_the_meetings_date_not_from_scheduling(tree, secretary, roll, _clock):
    meeting = _schedule(tree, secretary, roll)
    assert sweeps.remind_minutes() == 0
    _clock.move_to(NEXT_WEEK - timedelta(hours=1))
    assert sweeps.remind_minutes() == 0  # ten days after scheduling, but the meeting is still to come
    _clock.move_to(NEXT_WEEK + timedelta(days=3) - timedelta(minutes=1))
    assert sweeps.remind_minutes() == 0
    _clock.move_to(NEXT_WEEK + timedelta(days=3, minutes=1))
    assert sweeps.remind_minutes() == 1
    row = Notification.objects.get(kind=NotificationKind.MINUTES_OVERDUE)
    assert row.recipient == secretary and row.subject_key == f"meeting:{meeting.pk}"
    assert sweeps.remind_minutes() == 0


def test_a_moved_meeting_is_reminded_from_its_new_date(tree, secretary, roll, _clock):
    meeting = _schedule(tree, secretary, roll)
    services.meeting_update(actor=secretary, meeting=meeting, held_at=NEXT_WEEK + timedelta(days=7))
    _clock.move_to(NEXT_WEEK + timedelta(days=4))
    assert sweeps.remind_minutes() == 0
    _clock.move_to(NEXT_WEEK + timedelta(days=11))
    assert sweeps.remind_minutes() == 1


# --- who may read and run a meeting ---

READERS = {
    "district_official": True,
    "subdistrict_official": True,
    "community_secretary": True,
    "contractor": False,
    "inspector": False,
    "outsider": False,
}


@pytest.fixture
def upper(tree):
    return f.user_with_role(RoleKind.CITY_OFFICIAL, city=tree["district"].city)


@pytest.mark.parametrize("role,reads", [*READERS.items(), ("city_official", True)])
def test_who_reads_meetings_web_and_api(role, reads, tree, actors, secretary, roll, api_as, client, upper):
    user = upper if role == "city_official" else actors[role]
    meeting = _schedule(tree, secretary, roll)
    other = services.meeting_schedule(
        actor=actors["district_official"], compound=tree["compound_b"], kind="tea_meeting", held_at=NEXT_WEEK, place="x"
    )
    api = api_as(user)
    ids = {row["id"] for row in api.get("/api/v1/meetings/").json()["results"]}
    expected_b = reads and role in ("district_official", "city_official")
    assert (meeting.pk in ids, other.pk in ids) == (reads, expected_b)
    for path in ("", "invitations/", "attendances/", "versions/"):
        assert api.get(f"/api/v1/meetings/{meeting.pk}/{path}").status_code == (200 if reads else 404), path
    client.force_login(user)
    for name in ("meeting-detail", "meeting-sign-in", "meeting-invitations"):
        assert client.get(reverse(f"consultations:{name}", args=[meeting.pk])).status_code == (200 if reads else 404)


@pytest.mark.parametrize(
    "role,status",
    [
        ("district_official", 201),
        ("subdistrict_official", 201),
        ("community_secretary", 201),
        ("city_official", 403),  # reads, never writes
        ("foreign_secretary", 404),
        ("contractor", 404),
        ("inspector", 404),
        ("outsider", 404),
    ],
)
def test_who_runs_a_meeting(role, status, tree, actors, secretary, roll, api_as, upper, _clock):
    users = {
        **actors,
        "city_official": upper,
        "foreign_secretary": f.user_with_role(RoleKind.COMMUNITY_SECRETARY, community=tree["comm_b"]),
    }
    meeting = _schedule(tree, secretary, roll)
    _clock.move_to(NEXT_WEEK)
    invitation = meeting.invitations.get(name="王芳")
    api = api_as(users[role])
    response = api.post(f"/api/v1/meetings/{meeting.pk}/sign-in/", {"invitation": invitation.pk}, format="json")
    assert response.status_code == status, response.content[:300]
    assert MeetingAttendance.objects.count() == (1 if status == 201 else 0)
    for path, body in (("cancel/", {}), ("publish/", {"minutes": "x"})):
        refused = api.post(f"/api/v1/meetings/{meeting.pk}/{path}", body, format="json")
        assert refused.status_code in ((400, 200) if status == 201 else (status,))


def test_schedule_page_needs_a_manageable_compound(tree, actors, client):
    client.force_login(actors["contractor"])
    page = client.get(reverse("consultations:meeting-create"))
    assert page.status_code == 200
    response = client.post(
        reverse("consultations:meeting-create"),
        {"compound": tree["compound_a"].pk, "kind": "tea_meeting", "held_at": "2026-11-24T19:30", "place": "x"},
    )
    assert response.status_code == 403 and not Meeting.objects.exists()


# --- the API, end to end ---


def test_the_api_runs_a_meeting_from_schedule_to_corrected_minutes(tree, actors, secretary, roll, api_as, _clock):
    api = api_as(secretary)
    body = {
        "compound": tree["compound_a"].pk,
        "kind": "tea_meeting",
        "held_at": NEXT_WEEK.isoformat(),
        "place": "党群服务站",
        "buildings": [roll["b1"].pk],
        "new_topic_titles": ["加装电梯"],
    }
    created = api.post("/api/v1/meetings/", body, format="json")
    assert created.status_code == 201, created.content[:500]
    data = created.json()
    assert (data["status"], data["minutes_due"], data["attendance"]) == ("scheduled", False, 0)
    assert data["sign_in_url"].endswith(f"/public/meetings/{Meeting.objects.get().sign_in_token}/")
    url = f"/api/v1/meetings/{data['id']}/"
    invitations = api.get(url + "invitations/").json()
    assert {row["name"] for row in invitations} == {"徐林", "陈建国", "王芳"}

    moved = etag_patch(
        api, url, {"held_at": (NEXT_WEEK + timedelta(hours=1)).isoformat(), "buildings": [roll["b2"].pk]}
    )
    assert moved.status_code == 200, moved.content[:300]
    assert [row["name"] for row in api.get(url + "invitations/").json()] == ["李强"]
    assert api.patch(url, {"place": "x"}, format="json").status_code == 428  # If-Match required
    foreign = etag_patch(api, url, {"buildings": [tree["building_b"].pk]})
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["code"] == "foreign_building"

    _clock.move_to(NEXT_WEEK + timedelta(hours=1))
    li = api.get(url + "invitations/").json()[0]
    signed = api.post(url + "sign-in/", {"invitation": li["id"]}, format="json")
    assert signed.status_code == 201 and signed.json()["channel"] == "roll"
    again = api.post(url + "sign-in/", {"invitation": li["id"]}, format="json")
    assert again.status_code == 400 and again.json()["errors"][0]["code"] == "already_signed_in"
    neither = api.post(url + "sign-in/", {}, format="json")
    assert neither.status_code == 400 and neither.json()["errors"][0]["code"] == "invitee_required"
    assert api.post(url + "sign-in/", {"invitation": 999999}, format="json").status_code == 400
    photo = api.post(url + "photos/", {"photos": [f.photo_file()]}, format="multipart")
    assert photo.status_code == 200, photo.content[:300]
    draft = etag_patch(api, url, {"guests": 2, "decisions": "同意", "minutes": "会议纪要"})
    assert draft.status_code == 200 and draft.json()["attendance"] == 3

    published = api.post(url + "publish/", {}, format="json")
    assert published.status_code == 200 and published.json()["status"] == "published"
    late = etag_patch(api, url, {"minutes": "改"})
    assert late.status_code == 400 and late.json()["errors"][0]["code"] == "minutes_published"
    bad = api.post(url + "correct/", {"minutes": "会议纪要（更正）"}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "note"
    fixed = api.post(url + "correct/", {"minutes": "会议纪要（更正）", "note": "错字"}, format="json")
    assert fixed.status_code == 201 and fixed.json()["number"] == 2
    assert [v["number"] for v in api.get(url + "versions/").json()] == [1, 2]
    assert api.get(url).json()["minutes"] == "会议纪要（更正）"


def test_the_api_cancels_with_a_reason(tree, secretary, roll, api_as):
    api = api_as(secretary)
    meeting = _schedule(tree, secretary, roll)
    too_long = api.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "x" * 201}, format="json")
    assert too_long.status_code == 400
    done = api.post(f"/api/v1/meetings/{meeting.pk}/cancel/", {"reason": "台风"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "cancelled" and done.json()["cancel_reason"] == "台风"


def test_the_meeting_list_costs_the_same_queries_for_more_meetings(tree, secretary, roll, api_as):
    api = api_as(secretary)
    _schedule(tree, secretary, roll)
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/meetings/").status_code == 200
    for day in range(1, 6):
        _schedule(tree, secretary, roll, held_at=NEXT_WEEK + timedelta(days=day))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/meetings/").json()["results"]) == 6
    assert len(many) == len(few)


# --- the web pages ---


def test_the_schedule_form_starts_empty_keeps_input_on_error_and_offers_the_compounds_buildings(
    tree, secretary, roll, client
):
    client.force_login(secretary)
    page = client.get(reverse("consultations:meeting-create")).content.decode()
    # Required choices start empty: the kind is chosen, never defaulted.
    assert '<option value="" selected>' in page
    # The secretary has one compound: it is chosen, and its buildings are offered as 44 px rows.
    assert "2号楼" in page and "check-row" in page
    response = client.post(
        reverse("consultations:meeting-create"),
        {"compound": tree["compound_a"].pk, "kind": "", "held_at": "2026-11-24T19:30", "place": "活动室"},
    )
    assert response.status_code == 200 and "活动室" in response.content.decode() and not Meeting.objects.exists()
    fragment = client.get(reverse("consultations:meeting-choices"), {"compound": tree["compound_b"].pk})
    assert fragment.status_code == 200 and "2号楼" not in fragment.content.decode()  # not hers: nothing offered
    done = client.post(
        reverse("consultations:meeting-create"),
        {
            "compound": tree["compound_a"].pk,
            "kind": "tea_meeting",
            "held_at": "2026-11-24T19:30",
            "place": "活动室",
            "buildings": [roll["b2"].pk],
            "new_topics": "停车棚",
        },
    )
    meeting = Meeting.objects.get()
    assert done.status_code == 302 and list(meeting.invitations.values_list("name", flat=True)) == ["李强"]
    detail = client.get(reverse("consultations:meeting-detail", args=[meeting.pk])).content.decode()
    assert 'data-testid="meeting-upcoming"' in detail and "text-bg-danger" not in detail
    assert 'data-testid="publish"' not in detail  # no minutes before the meeting


def test_a_photo_is_kept_on_its_own_and_the_draft_survives_a_refused_publish(tree, secretary, roll, client, _clock):
    meeting = _schedule(tree, secretary, roll)
    _clock.move_to(NEXT_WEEK + timedelta(hours=2))
    client.force_login(secretary)
    url = reverse("consultations:meeting-detail", args=[meeting.pk])
    assert client.post(url, {"action": "photos", "photos": [f.photo_file()]}).status_code == 302
    assert meeting.photos.count() == 1
    bad = client.post(url, {"action": "photos", "photos": [f.pdf_file()]})
    assert bad.status_code == 200 and meeting.photos.count() == 1
    refused = client.post(url, {"action": "publish", "decisions": "同意加装", "minutes": "", "guests": "2"})
    assert refused.status_code == 200 and "同意加装" in refused.content.decode()
    meeting.refresh_from_db()
    assert meeting.decisions == "同意加装" and meeting.guests == 2 and meeting.status == MeetingStatus.SCHEDULED
    wrong = client.post(url, {"action": "draft", "guests": "-1", "minutes": "要点"})
    assert wrong.status_code == 200 and "要点" in wrong.content.decode()
    photo = meeting.photos.get()
    assert client.post(url, {"action": "remove_photo", "photo": photo.pk}).status_code == 302
    assert not meeting.photos.exists()


def test_the_secretary_ticks_names_on_the_sign_in_page(tree, secretary, roll, client, _clock):
    meeting = _schedule(tree, secretary, roll)
    _clock.move_to(NEXT_WEEK)
    client.force_login(secretary)
    url = reverse("consultations:meeting-sign-in", args=[meeting.pk])
    page = client.get(url).content.decode()
    assert "陈建国" in page and "data:image/svg+xml" in page and meeting.sign_in_token in page
    chen = meeting.invitations.get(name="陈建国")
    assert client.post(url, {"action": "sign_in", "invitation": chen.pk}).status_code == 302
    assert client.post(url, {"action": "sign_in", "invitation": "x"}).status_code == 404
    unit = roll["units"][("2号楼", "1-101")]
    client.post(url, {"action": "sign_in_unit", "owner_unit": unit.pk})
    assert MeetingAttendance.objects.count() == 2
    again = client.post(url, {"action": "sign_in", "invitation": chen.pk}, follow=True).content.decode()
    assert 'class="alert alert-danger"' in again and MeetingAttendance.objects.count() == 2
    printable = client.get(reverse("consultations:meeting-invitations", args=[meeting.pk])).content.decode()
    assert "陈建国" in printable and "1号楼 1-101、1号楼 1-102" in printable and "✓" in printable


def test_invitation_records_are_scoped_like_their_meetings(tree, secretary, roll, actors):
    _schedule(tree, secretary, roll)
    assert MeetingInvitation.objects.visible_to(actors["community_secretary"]).count() == 3
    assert selectors.meeting_children(MeetingInvitation, actors["contractor"]).count() == 0
