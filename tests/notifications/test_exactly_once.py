"""One notification per event, for real against PostgreSQL: a request retried with its Idempotency-Key, two
requests racing in two threads (each with its own database connection), the broker down when the change commits
(the change succeeds; the delivery sweep sends the e-mail later, once), and each user's channel choices."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from inspections import services as inspections
from inspections.choices import NotificationKind as IK
from inspections.models import IssueEvent, RectificationIssue
from notifications import services as notifications
from notifications.models import Notification
from notifications.tasks import deliver_pending
from renovation_portal.celery import app
from tests import factories as f
from tests.notifications.conftest import file_finding

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def submitted(inspection, people):
    """An issue of company_a (two members) with its evidence submitted, and no mail sent yet."""
    file_finding(people["inspector"], inspection)
    issue = RectificationIssue.objects.get()
    inspections.issue_submit_rectification(
        actor=people["contractor"], issue=issue, note="好了", photos=[f.photo_file()]
    )
    Notification.objects.all().delete()
    mail.outbox.clear()
    return issue


def _client(user):
    """Signed in with a session, as the Idempotency-Key middleware resolves the user before DRF does."""
    client = APIClient()
    client.force_login(user)
    return client


def _race(calls):
    """Run the calls at the same moment, each in its own thread with its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _one_event_each(kind, people):
    members = {people["contractor"].pk, people["contractor_2"].pk}
    rows = list(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))
    assert sorted(rows) == sorted(members), rows
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        [people["contractor"].email, people["contractor_2"].email]
    )
    assert Notification.objects.filter(kind=kind, emailed_at__isnull=True).count() == 0


def test_a_send_back_retried_with_its_idempotency_key_notifies_once(submitted, people):
    client = _client(people["inspector"])
    url = f"/api/v1/issues/{submitted.pk}/send-back/"
    first = client.post(url, {"note": "护栏高度不够"}, format="json", HTTP_IDEMPOTENCY_KEY="send-back-1")
    again = client.post(url, {"note": "护栏高度不够"}, format="json", HTTP_IDEMPOTENCY_KEY="send-back-1")
    assert first.status_code == again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert IssueEvent.objects.filter(issue=submitted, action="sent_back").count() == 1
    _one_event_each(IK.ISSUE_SENT_BACK, people)


def test_two_verifications_racing_close_the_issue_once_and_notify_once(submitted, people):
    second_inspector = people["group_member"]
    statuses = _race(
        [
            lambda: _client(people["inspector"]).post(f"/api/v1/issues/{submitted.pk}/verify/", {}).status_code,
            lambda: _client(second_inspector).post(f"/api/v1/issues/{submitted.pk}/verify/", {}).status_code,
        ]
    )
    assert sorted(statuses) == [200, 400], statuses  # the second meets the issue closed: not_submitted
    assert IssueEvent.objects.filter(issue=submitted, action="closed").count() == 1
    _one_event_each(IK.ISSUE_CLOSED, people)


def test_the_same_send_back_sent_twice_at_once_with_one_key_notifies_once(submitted, people):
    url = f"/api/v1/issues/{submitted.pk}/send-back/"

    def post():
        response = _client(people["inspector"]).post(
            url, {"note": "护栏高度不够"}, format="json", HTTP_IDEMPOTENCY_KEY="race-1"
        )
        return response.status_code

    statuses = _race([post, post])
    assert 200 in statuses and set(statuses) <= {200, 409}, statuses  # the other: replayed, or "in progress"
    assert IssueEvent.objects.filter(issue=submitted, action="sent_back").count() == 1
    _one_event_each(IK.ISSUE_SENT_BACK, people)


def test_events_racing_on_one_issue_each_notify_once(submitted, people):
    """A send-back racing a verification: one wins, and only its event is notified."""
    statuses = _race(
        [
            lambda: _client(people["inspector"]).post(f"/api/v1/issues/{submitted.pk}/verify/", {}).status_code,
            lambda: (
                _client(people["group_member"])
                .post(f"/api/v1/issues/{submitted.pk}/send-back/", {"note": "不行"}, format="json")
                .status_code
            ),
        ]
    )
    assert sorted(statuses) == [200, 400], statuses
    status = RectificationIssue.objects.get(pk=submitted.pk).status
    kind = IK.ISSUE_CLOSED if status == "closed" else IK.ISSUE_SENT_BACK
    _one_event_each(kind, people)
    assert Notification.objects.exclude(kind=kind).count() == 0


# --- the broker down ---


@pytest.fixture
def broker_down():
    """Tasks go to a broker nobody answers at (the test settings run them in-process otherwise)."""
    from renovation_portal import cache

    unreachable = "redis://127.0.0.1:1/0"
    previous = app.conf.task_always_eager, app.conf.broker_url
    app.conf.task_always_eager, app.conf.broker_url = False, unreachable
    cache._down_until.clear()
    with override_settings(REDIS_URL=unreachable):
        yield
    app.conf.task_always_eager, app.conf.broker_url = previous
    cache._down_until.clear()


def test_with_the_broker_down_the_change_succeeds_and_the_sweep_delivers_later_once(submitted, people, broker_down):
    import time

    client = _client(people["inspector"])
    started = time.monotonic()
    response = client.post(f"/api/v1/issues/{submitted.pk}/send-back/", {"note": "护栏高度不够"}, format="json")
    assert response.status_code == 200 and time.monotonic() - started < 3  # no waiting on the broker
    assert RectificationIssue.objects.get(pk=submitted.pk).status == "open"
    rows = Notification.objects.filter(kind=IK.ISSUE_SENT_BACK)
    assert rows.count() == 2 and not mail.outbox  # in the inbox at once; the e-mail waits for the broker
    # A second change meanwhile: this process leaves the broker alone for a while (no second timeout).
    inspections.issue_submit_rectification(
        actor=people["contractor"], issue=submitted, note="再改", photos=[f.photo_file()]
    )
    # The broker is back: the delivery sweep (every 5 minutes) sends what is owed, once.
    app.conf.task_always_eager = True
    assert deliver_pending.delay().get() == 4  # two sent-back e-mails, two evidence e-mails
    assert deliver_pending.delay().get() == 0
    assert len(mail.outbox) == 4 and not Notification.objects.filter(emailed_at__isnull=True).exists()


# --- channel choices ---


def test_a_kind_switched_off_for_email_stays_in_the_inbox_only(submitted, people, client):
    contractor = people["contractor"]
    notifications.preferences_update(actor=contractor, choices={IK.ISSUE_SENT_BACK: {"email": False}})
    inspections.issue_send_back(actor=people["inspector"], issue=submitted, note="不行")
    assert Notification.objects.filter(kind=IK.ISSUE_SENT_BACK).count() == 2  # both in their inbox
    assert [message.to for message in mail.outbox] == [[people["contractor_2"].email]]  # only the other e-mailed
    assert deliver_pending() == 0  # handled: the sweep does not send it later either
    inspections.issue_submit_rectification(actor=contractor, issue=submitted, note="改", photos=[f.photo_file()])
    inspections.issue_verify(actor=people["inspector"], issue=submitted)
    assert contractor.email in [address for message in mail.outbox for address in message.to]  # other kinds: on
