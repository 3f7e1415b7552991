"""Each user's channel choices: every kind reaches the inbox; which kinds are also e-mailed (default: all) is set on
/notifications/settings/ and through /api/v1/notifications/settings/, for oneself only."""

import pytest
from django.urls import reverse

from inspections.choices import NotificationKind as IK
from notifications import services
from notifications.models import NotificationPreference

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications/settings/"


def test_by_default_every_kind_is_emailed(actors):
    choices = services.preferences_of(actors["contractor"])
    assert IK.ISSUE_ASSIGNED in choices and all(per_kind == {"email": True} for per_kind in choices.values())


def test_the_settings_page_saves_the_choices(actors, client):
    contractor = actors["contractor"]
    client.force_login(contractor)
    page = client.get(reverse("notifications:settings"))
    assert page.status_code == 200 and f'name="email:{IK.ISSUE_SENT_BACK}" checked' in page.content.decode()
    assert 'data-testid="no-email"' in page.content.decode()  # no address yet: says nothing can be e-mailed
    kept = {f"email:{kind}": "on" for kind in services.preferences_of(contractor) if kind != IK.ISSUE_CLOSED}
    assert client.post(reverse("notifications:settings"), kept).status_code == 302
    assert services.preferences_of(contractor)[IK.ISSUE_CLOSED] == {"email": False}
    assert services.preferences_of(contractor)[IK.ISSUE_SENT_BACK] == {"email": True}
    assert f'name="email:{IK.ISSUE_CLOSED}">' in client.get(reverse("notifications:settings")).content.decode()
    assert services.preferences_of(actors["inspector"])[IK.ISSUE_CLOSED] == {"email": True}  # nobody else's


def test_the_settings_page_needs_a_login(client):
    assert client.get(reverse("notifications:settings")).status_code == 302


def test_the_api_reads_and_changes_ones_own_choices(actors, api_as):
    api = api_as(actors["inspector"])
    body = api.get(API).json()
    assert body["inbox"] is True and body["has_email"] is False
    row = next(row for row in body["kinds"] if row["kind"] == IK.EVIDENCE_SUBMITTED)
    assert row["channels"] == {"email": True} and row["label"]
    changed = api.post(API, {"choices": {IK.EVIDENCE_SUBMITTED: {"email": False}}}, format="json")
    assert changed.status_code == 200
    row = next(row for row in changed.json()["kinds"] if row["kind"] == IK.EVIDENCE_SUBMITTED)
    assert row["channels"] == {"email": False}
    assert NotificationPreference.objects.get().user == actors["inspector"]


@pytest.mark.parametrize(
    "body,code",
    [
        ({"choices": {"no_such_kind": {"email": False}}}, "unknown_kind"),
        ({"choices": {IK.ISSUE_CLOSED: {"carrier_pigeon": False}}}, "unknown_channel"),
        ({"choices": {IK.ISSUE_CLOSED: {"email": "maybe"}}}, "invalid"),
        ({"choices": {}, "user": 1}, "unknown_field"),
    ],
)
def test_the_api_refuses_bad_choices_with_a_400_and_writes_nothing(body, code, actors, api_as):
    response = api_as(actors["inspector"]).post(API, body, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == code
    assert not NotificationPreference.objects.exists()


def test_the_api_needs_a_login(api):
    assert api.get(API).status_code in (401, 403)


def test_the_api_marks_one_own_notification_read_and_no_one_elses(actors, api_as):
    from notifications.models import Notification
    from notifications.services import notify_event

    notify_event(
        kind=IK.ISSUE_CLOSED,
        subject_key="issue:1",
        event_key="event:1",
        recipient_ids=[actors["contractor"].pk, actors["inspector"].pk],
        title="销号",
        url="/inspections/issues/1/",
    )
    mine = Notification.objects.get(recipient=actors["contractor"])
    theirs = Notification.objects.get(recipient=actors["inspector"])
    api = api_as(actors["contractor"])
    opened = api.post(f"/api/v1/notifications/{mine.pk}/open/")
    assert opened.status_code == 200 and opened.json()["read_at"] and opened.json()["url"] == "/inspections/issues/1/"
    assert api.post(f"/api/v1/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_saving_every_kind_is_one_upsert_not_a_query_per_kind(actors, client, django_assert_max_num_queries):
    contractor = actors["contractor"]
    client.force_login(contractor)
    services.preferences_update(actor=contractor, choices={IK.ISSUE_CLOSED: {"email": False}})  # one row exists
    kinds = list(services.preferences_of(contractor))
    assert len(kinds) > 8  # enough kinds that a query per kind would break the pin below
    with django_assert_max_num_queries(8):
        assert client.post(reverse("notifications:settings"), {f"email:{IK.ISSUE_CLOSED}": "on"}).status_code == 302
    assert NotificationPreference.objects.filter(user=contractor).count() == len(kinds)
    choices = services.preferences_of(contractor)
    assert choices[IK.ISSUE_CLOSED] == {"email": True}  # the existing row updated, not duplicated
    assert all(choices[kind] == {"email": False} for kind in kinds if kind != IK.ISSUE_CLOSED)


def test_opening_a_notification_never_redirects_off_the_site(actors, client):
    from notifications.models import Notification
    from notifications.services import notify_event

    notify_event(
        kind=IK.ISSUE_CLOSED,
        subject_key="issue:2",
        event_key="event:2",
        recipient_ids=[actors["contractor"].pk],
        title="销号",
        url="https://evil.example/phish",
    )
    note = Notification.objects.get(recipient=actors["contractor"])
    client.force_login(actors["contractor"])
    response = client.get(reverse("notifications:open", args=[note.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:inbox")
    note.refresh_from_db()
    assert note.read_at is not None  # still marked read on the way
