"""With Redis gone the portal serves from PostgreSQL: the cache fails soft, the rate limit fails open, /healthz
says 503; scheduled runs that beat could not send meanwhile are caught up once when the broker is back."""

import logging
import socket
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import override_settings

from communities.models import ApiToken
from dashboards import figures
from notifications.models import Notification
from renovation_portal.models import ScheduledRun
from renovation_portal.tasks import catch_up_missed_runs, record_success
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/token/"
UNREACHABLE = "redis://127.0.0.1:1/0"


def _redis_at(url):
    """The portal's own cache configuration (backend, timeouts) and broker URL, pointed at ``url``."""
    return override_settings(
        REDIS_URL=url, DASHBOARD_CACHE_SECONDS=60, CACHES={"default": {**settings.CACHES["default"], "LOCATION": url}}
    )


@pytest.fixture(autouse=True)
def _fresh_failure_record():
    """Each test meets the outage afresh (a process remembers a failed Redis for REDIS_RETRY_AFTER seconds)."""
    from renovation_portal import cache

    cache._down_until.clear()
    cache._logged_at.clear()
    yield
    cache._down_until.clear()
    cache._logged_at.clear()


@pytest.fixture
def hung_redis():
    """A server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _login_list_and_retry(api, user):
    """Token login, an API list and a retried POST with an Idempotency-Key: each must answer at once."""
    body = {"username": user.username, "password": f.PASSWORD, "device_name": "手机"}
    login, login_time = _timed(lambda: api.post(LOGIN, body, format="json"))
    assert login.status_code == 201, login.content
    auth = {"HTTP_AUTHORIZATION": f"Token {login.json()['token']}"}
    listed, list_time = _timed(lambda: api.get("/api/v1/compounds/", **auth))
    assert listed.status_code == 200, listed.content
    second = {**body, "device_name": "平板"}
    posted, post_time = _timed(lambda: api.post(LOGIN, second, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **auth))
    replayed = api.post(LOGIN, second, format="json", HTTP_IDEMPOTENCY_KEY="k-1", **auth)
    assert posted.status_code == replayed.status_code == 201 and replayed["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=user, device_name="平板").count() == 1
    return login_time, list_time, post_time


def _warm_up(api, user):
    """The first request of a process imports and compiles much: time the outage, not that."""
    login = api.post(LOGIN, {"username": user.username, "password": f.PASSWORD, "device_name": "预热"}, format="json")
    api.get("/api/v1/compounds/", HTTP_AUTHORIZATION=f"Token {login.json()['token']}")


def test_with_redis_unreachable_login_and_api_lists_answer_200_at_once_and_healthz_503(tree, actors, api, client):
    _warm_up(api, actors["district_official"])
    with _redis_at(UNREACHABLE):
        timings = _login_list_and_retry(api, actors["community_secretary"])
        assert max(timings) < 2, timings
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["broker"]["ok"] is False


def test_with_redis_hung_login_and_api_lists_answer_200_within_two_seconds(tree, actors, api, hung_redis):
    _warm_up(api, actors["district_official"])
    with _redis_at(hung_redis):
        started = time.monotonic()
        _login_list_and_retry(api, actors["community_secretary"])
        # One socket timeout (1 s) at most: after it the process leaves Redis alone for REDIS_RETRY_AFTER.
        assert time.monotonic() - started < 2


def test_the_rate_limit_fails_open_and_logs_once_while_redis_is_down(tree, actors, api_as, caplog, monkeypatch):
    from renovation_portal.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "rate", "2/minute", raising=False)
    client = api_as(actors["community_secretary"])
    with _redis_at(UNREACHABLE), caplog.at_level(logging.WARNING, logger="renovation_portal.redis"):
        assert [client.get("/api/v1/me/").status_code for _ in range(5)] == [200] * 5
    warnings = [r for r in caplog.records if r.name == "renovation_portal.redis"]
    assert len(warnings) == 1 and "Redis unavailable" in warnings[0].getMessage()


def test_dashboard_figures_are_computed_live_while_redis_is_down(tree, actors, api_as):
    with _redis_at(UNREACHABLE):
        assert figures.cached(("test",), lambda: {"figure": 42}) == {"figure": 42}
        response = api_as(actors["district_official"]).get(f"/api/v1/dashboard/district/{tree['district'].pk}/")
        assert response.status_code == 200 and response.json()["place"]["id"] == tree["district"].pk


# --- Catching up scheduled runs that beat could not send ---

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def due_reminders(tree, actors):
    """One issue due tomorrow for company_a's contractor (who has an e-mail address)."""
    from inspections.choices import Severity
    from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
    from projects.models import Project

    contractor = actors["contractor"]
    contractor.email = "c@contractor.example.cn"
    contractor.save(update_fields=["email"])
    project = Project.objects.get(compound=tree["compound_a"])
    template = ChecklistTemplate.objects.create(name="表", tier=2)
    day = datetime(2026, 11, 25).date()
    inspection = Inspection.objects.create(project=project, tier=2, template=template, planned_date=day, status="filed")
    return RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description="护栏松动",
        location="1号楼",
        severity=Severity.MAJOR,
        tier=2,
        deadline=day + timedelta(days=1),
    )


def _missed_the_contractors_reminder_of_the_25th():
    """Every caught-up entry last succeeded at 09:20 on the 25th — but the contractors' reminder last succeeded on
    the 24th: the broker was down from 07:50 to 09:20, and beat's 08:00 send was lost."""
    from renovation_portal.schedules import CAUGHT_UP

    for name in CAUGHT_UP:
        ScheduledRun.objects.update_or_create(
            entry=name, defaults={"last_success_at": datetime(2026, 11, 25, 9, 20, tzinfo=BEIJING)}
        )
    ScheduledRun.objects.filter(entry="remind-contractors").update(
        last_success_at=datetime(2026, 11, 24, 8, 1, tzinfo=BEIJING)
    )


def test_a_daily_reminder_missed_while_the_broker_was_down_is_sent_once_when_it_is_back(due_reminders):
    _missed_the_contractors_reminder_of_the_25th()
    with time_machine.travel(datetime(2026, 11, 25, 9, 25, tzinfo=BEIJING), tick=False) as traveller:
        assert catch_up_missed_runs() == ["remind-contractors"]  # the first heartbeat after the outage
        reminders = Notification.objects.filter(subject_key=f"issue:{due_reminders.pk}")
        assert reminders.count() == 1 and len(mail.outbox) == 1
        assert reminders.get().period_key == "2026-11-25"
        run = ScheduledRun.objects.get(entry="remind-contractors")
        assert run.last_success_at == datetime(2026, 11, 25, 9, 25, tzinfo=BEIJING)  # recorded by the task
        for _ in range(3):  # later heartbeats: nothing owed any more
            traveller.shift(timedelta(minutes=5))
            assert catch_up_missed_runs() == []
        assert reminders.count() == 1 and len(mail.outbox) == 1


def test_a_run_sent_on_time_is_not_sent_again(due_reminders):
    _missed_the_contractors_reminder_of_the_25th()
    with time_machine.travel(datetime(2026, 11, 25, 8, 5, tzinfo=BEIJING), tick=False) as traveller:
        # Beat's own 08:00 send may still be queued: within the grace period nothing is sent again.
        assert catch_up_missed_runs() == []
        record_success("inspections.remind_contractors")  # the on-time run succeeds
        traveller.shift(timedelta(minutes=30))
        assert catch_up_missed_runs() == []
    assert not Notification.objects.exists()


def test_a_resent_run_that_is_lost_again_is_resent_an_hour_later(due_reminders):
    _missed_the_contractors_reminder_of_the_25th()
    run = ScheduledRun.objects.filter(entry="remind-contractors")
    with time_machine.travel(datetime(2026, 11, 25, 9, 25, tzinfo=BEIJING), tick=False) as traveller:
        assert catch_up_missed_runs() == ["remind-contractors"]
        run.update(last_success_at=datetime(2026, 11, 24, 8, 1, tzinfo=BEIJING))  # as if that send was lost too
        traveller.shift(timedelta(minutes=30))
        assert catch_up_missed_runs() == []  # sent again already: its run may be under way
        traveller.shift(timedelta(minutes=35))
        assert "remind-contractors" in catch_up_missed_runs()  # (with 10:15's minutes reminder, unrecorded here)
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1  # the per-day claim: nothing twice
