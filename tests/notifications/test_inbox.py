"""The in-app inbox, now the notifications app's: the web page (and its old address), the API at the same path
with the same JSON, the kinds each domain app registers, and the channel registration point."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.urls import reverse
from django.utils import timezone

from consultations.choices import NotificationKind as ConsultationKind
from inspections.choices import NotificationKind
from notifications import services
from notifications.kinds import kind_choices, register_kinds
from notifications.models import Notification
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(actors):
    """Two notifications of the contractor (one read) and one of someone else."""
    contractor, now = actors["contractor"], timezone.now()
    older = Notification.objects.create(
        recipient=contractor,
        kind=NotificationKind.ISSUE_DUE,
        subject_key="issue:1",
        period_key="2026-11-25",
        title="明天到期",
        url="/inspections/issues/1/",
        created_at=now - timedelta(hours=2),
        read_at=now - timedelta(hours=1),
    )
    newer = Notification.objects.create(
        recipient=contractor,
        kind=NotificationKind.ISSUE_OVERDUE,
        subject_key="issue:2",
        period_key="2026-11-25",
        title="已逾期",
        body="请整改",
        created_at=now,
    )
    foreign = Notification.objects.create(
        recipient=actors["outsider"],
        kind=ConsultationKind.MINUTES_OVERDUE,
        subject_key="meeting:1",
        period_key="once",
        title="别人的消息",
    )
    return contractor, [newer, older], foreign


def test_the_web_inbox_lists_only_own_notifications_and_marks_them_read(client, inbox):
    contractor, own, foreign = inbox
    client.force_login(contractor)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200 and list(page.context["notifications"]) == own
    assert foreign.title not in page.content.decode()
    response = client.post(reverse("notifications:inbox"))
    assert response.status_code == 302 and response.url == reverse("notifications:inbox")
    assert not Notification.objects.filter(recipient=contractor, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=foreign.pk).read_at is None


def test_the_old_inbox_address_and_url_name_lead_to_the_inbox(client, inbox):
    client.force_login(inbox[0])
    assert reverse("inspections:inbox") == "/inspections/inbox/"
    response = client.get("/inspections/inbox/")
    assert response.status_code == 301 and response.url == reverse("notifications:inbox") == "/notifications/"


def test_the_api_keeps_its_path_and_json(api_as, inbox):
    contractor, (newer, older), _foreign = inbox
    api = api_as(contractor)
    body = api.get("/api/v1/notifications/").json()
    assert [row["id"] for row in body["results"]] == [newer.pk, older.pk]
    assert body["results"][0] == {
        "id": newer.pk,
        "kind": "issue_overdue",
        "title": "已逾期",
        "body": "请整改",
        "url": "",
        "created_at": body["results"][0]["created_at"],
        "read_at": None,
    }
    assert [row["id"] for row in api.get("/api/v1/notifications/?kind=issue_due").json()["results"]] == [older.pk]
    bad = api.get("/api/v1/notifications/?kind=no_such_kind")
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "kind"
    assert api.post("/api/v1/notifications/read/").status_code == 204
    assert not Notification.objects.filter(recipient=contractor, read_at__isnull=True).exists()


def test_each_domain_app_registers_its_own_kinds_with_their_stored_values():
    registered = dict(kind_choices())
    assert set(NotificationKind.values) | set(ConsultationKind.values) <= set(registered)
    assert ConsultationKind.MINUTES_OVERDUE == "minutes_overdue" and "minutes_overdue" not in NotificationKind.values
    assert dict(Notification._meta.get_field("kind").choices) == registered


def test_two_apps_cannot_register_the_same_kind_value():
    class Clash(models.TextChoices):
        ESCALATION = "escalation", "another app's escalation"

    with pytest.raises(ImproperlyConfigured):
        register_kinds(Clash)
    assert dict(kind_choices())["escalation"] == NotificationKind.ESCALATION.label


class ReadReceiptChannel(services.Channel):
    """A stand-in for an SMS or WeChat channel: it borrows ``read_at`` as its delivery column."""

    name = "test-receipt"
    delivered_field = "read_at"
    unreachable_recipients = None

    def __init__(self):
        self.sent = []

    def send(self, notification):
        self.sent.append(notification.pk)


@pytest.fixture
def extra_channel():
    channel = ReadReceiptChannel()
    services.register_channel(channel)
    yield channel
    services.CHANNELS.remove(channel)


def test_a_registered_channel_delivers_each_claim_once(actors, extra_channel, mailoutbox):
    user = f.UserFactory(email="someone@example.cn")
    reminder = {
        "recipient_id": user.pk,
        "kind": NotificationKind.WEEKLY_DIGEST,
        "subject_key": "district:1",
        "period_key": "2026-W48",
        "title": "周报",
    }
    assert services.notify_once(**reminder) is True
    assert services.notify_once(**reminder) is False
    row = Notification.objects.get(recipient=user)
    assert extra_channel.sent == [row.pk] and row.read_at is not None and row.emailed_at is not None
    assert len(mailoutbox) == 1
    with pytest.raises(ValueError):
        services.register_channel(ReadReceiptChannel())  # one channel per name


def test_the_audit_trail_still_offers_notifications_as_a_record_type():
    from django.contrib.contenttypes.models import ContentType

    from communities.audit_views import AuditFilterSet

    assert ContentType.objects.get_for_model(Notification) in AuditFilterSet().filters["content_type"].queryset
