"""Reminders run through a real Celery worker (a separate process) against the real Redis broker and the test
database: no duplicate after a rerun, a concurrent second run, or a worker killed mid-run; nothing for closed
issues; escalation happens once, together with its notifications, and its e-mails go out even after a kill."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import InspectionTier, RoleKind
from communities.models import Role
from inspections import sweeps
from inspections.choices import IssueStatus, NotificationKind, Severity
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from inspections.tasks import escalate_overdue, remind_contractors
from notifications.models import Notification
from projects.models import Project
from renovation_portal.celery import app
from tests import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.celery_worker]
ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")


@pytest.fixture
def broker_mode():
    """Send tasks to the broker (the test settings run them in-process otherwise)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


class Worker:
    """``celery worker`` in its own process group, on a queue of its own, against the test database."""

    def __init__(self, queue, concurrency=1, **env):
        db = connection.settings_dict
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "renovation_portal.settings",
            "PORTAL_TESTING": "1",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"),
            **{k: str(v) for k, v in env.items()},
        }
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "renovation_portal",
                "worker",
                "-Q",
                queue,
                "-c",
                str(concurrency),
                "-l",
                "warning",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def workers():
    started = []

    def start(queue, **kwargs):
        worker = Worker(queue, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(condition, timeout=120):  # a worker starting on a loaded machine can take a minute
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def due_issues(tree, actors):
    """Six unclosed issues due soon or overdue for company_a (two members), and one closed issue."""
    f.RoleFactory(user=f.UserFactory(), kind=RoleKind.CONTRACTOR, company=tree["company_a"])
    for role in Role.objects.filter(kind=RoleKind.CONTRACTOR, company=tree["company_a"]).select_related("user"):
        role.user.email = f"{role.user.username}@contractor.example.cn"
        role.user.save(update_fields=["email"])
    project = Project.objects.get(compound=tree["compound_a"])
    template = ChecklistTemplate.objects.create(name="表", tier=InspectionTier.DISTRICT)
    inspection = Inspection.objects.create(
        project=project, tier=2, template=template, planned_date=timezone.localdate(), status="filed"
    )
    today = timezone.localdate()
    issues = [
        RectificationIssue.objects.create(
            inspection=inspection,
            project=project,
            contractor=project.contractor,
            kind="safety",
            description=f"问题{i}",
            location="1号楼",
            severity=Severity.MAJOR,
            tier=2,
            deadline=today + timedelta(days=i - 3),
        )
        for i in range(6)
    ]
    closed = RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description="已销号",
        location="1号楼",
        severity=Severity.MAJOR,
        tier=2,
        deadline=today - timedelta(days=5),
        status=IssueStatus.CLOSED,
        closed_at=timezone.now(),
    )
    return issues, closed


EXPECTED = 6 * 2  # six unclosed issues × two company members


def _per_subject():
    counts = {}
    for row in Notification.objects.values_list("recipient_id", "kind", "subject_key", "period_key"):
        counts[row] = counts.get(row, 0) + 1
    return counts


def test_rerun_through_the_worker_sends_nothing_twice_and_nothing_for_closed(broker_mode, workers, due_issues):
    _issues, closed = due_issues
    queue = f"test-{uuid.uuid4().hex[:8]}"
    workers(queue)
    remind_contractors.apply_async(queue=queue)
    assert wait_for(lambda: Notification.objects.count() == EXPECTED)
    remind_contractors.apply_async(queue=queue)  # a retry or the next run the same day
    time.sleep(3)
    assert Notification.objects.count() == EXPECTED
    assert set(_per_subject().values()) == {1}
    assert not Notification.objects.filter(subject_key=f"issue:{closed.pk}").exists()
    overdue = Notification.objects.filter(kind=NotificationKind.ISSUE_OVERDUE).count()
    assert overdue == 3 * 2  # deadlines 3, 2 and 1 days ago


def test_two_runs_at_once_in_a_two_process_worker(broker_mode, workers, due_issues, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    workers(
        queue,
        concurrency=2,
        REMINDER_SEND_DELAY="0.2",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path),
    )
    remind_contractors.apply_async(queue=queue)
    remind_contractors.apply_async(queue=queue)
    assert wait_for(lambda: Notification.objects.count() == EXPECTED)
    assert wait_for(lambda: Notification.objects.filter(emailed_at__isnull=False).count() == EXPECTED)
    time.sleep(3)  # let the slower run finish too
    assert Notification.objects.count() == EXPECTED and set(_per_subject().values()) == {1}
    assert _mails_sent(tmp_path) == EXPECTED


def _mails_sent(directory):
    return sum(path.read_text(errors="replace").count("Message-ID:") for path in Path(directory).iterdir())


def test_killed_worker_work_is_redone_without_duplicates(broker_mode, workers, due_issues, tmp_path):
    """The in-app rows are claimed first; the e-mails go out one by one. Killing the worker mid-send leaves the
    task unacknowledged; after the visibility timeout a new worker gets it again and sends only what is left."""
    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(tmp_path)}
    first = workers(queue, REMINDER_SEND_DELAY="0.5", CELERY_VISIBILITY_TIMEOUT="3", **mail)
    remind_contractors.apply_async(queue=queue)
    emailed = Notification.objects.filter(emailed_at__isnull=False)
    assert wait_for(lambda: emailed.count() >= 2)
    first.kill()  # mid-run: every reminder claimed, some e-mailed, the message never acknowledged
    sent_before_kill = emailed.count()
    assert Notification.objects.count() == EXPECTED
    assert 2 <= sent_before_kill < EXPECTED and _mails_sent(tmp_path) == sent_before_kill
    time.sleep(4)  # past the visibility timeout: the broker hands the unacknowledged task out again
    workers(queue, CELERY_VISIBILITY_TIMEOUT="3", **mail)
    assert wait_for(lambda: emailed.count() == EXPECTED, timeout=90)
    time.sleep(1)
    assert Notification.objects.count() == EXPECTED and set(_per_subject().values()) == {1}
    assert _mails_sent(tmp_path) == EXPECTED  # each e-mail exactly once across the two workers


def test_escalation_happens_once(broker_mode, workers, due_issues, tree, actors):
    issues, _closed = due_issues
    queue = f"test-{uuid.uuid4().hex[:8]}"
    workers(queue)
    escalate_overdue.apply_async(queue=queue)
    escalate_overdue.apply_async(queue=queue)
    # deadlines 3 days ago: past the 2-day grace — only that one issue escalates, to tier 3
    assert wait_for(lambda: RectificationIssue.objects.filter(escalated_at__isnull=False).count() == 1)
    time.sleep(2)
    escalated = RectificationIssue.objects.get(escalated_at__isnull=False)
    assert escalated == issues[0] and escalated.escalated_to == 3
    notes = Notification.objects.filter(kind=NotificationKind.ESCALATION)
    assert list(notes.values_list("recipient_id", flat=True)) == [actors["district_official"].pk]


def test_concurrent_sweeps_in_threads_claim_each_reminder_once(due_issues, mailoutbox):
    results = []

    def run():
        results.append(sweeps.remind_contractors())
        connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == EXPECTED and Notification.objects.count() == EXPECTED
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        n.recipient.email for n in Notification.objects.select_related("recipient")
    )


def test_claimed_reminders_name_the_deadline_and_the_problem_and_link_to_the_issue(due_issues):
    """Both kinds come from one claiming statement; nothing for an issue due later or awaiting verification."""
    issues, _closed = due_issues
    today = timezone.localdate()
    later = RectificationIssue.objects.create(
        inspection=issues[0].inspection,
        project=issues[0].project,
        contractor=issues[0].contractor,
        kind="safety",
        description="三天后",
        location="1号楼",
        severity=Severity.MINOR,
        tier=2,
        deadline=today + timedelta(days=3),
    )
    submitted = RectificationIssue.objects.create(
        inspection=issues[0].inspection,
        project=issues[0].project,
        contractor=issues[0].contractor,
        kind="safety",
        description="待核查",
        location="1号楼",
        severity=Severity.MINOR,
        tier=2,
        deadline=today,
        status=IssueStatus.SUBMITTED,
    )
    assert sweeps.remind_contractors() == EXPECTED
    assert not Notification.objects.filter(subject_key__in=[f"issue:{later.pk}", f"issue:{submitted.pk}"]).exists()
    for issue in issues:
        overdue = issue.deadline < today
        template = _("Overdue since %(day)s: %(text)s") if overdue else _("Due by %(day)s: %(text)s")
        rows = Notification.objects.filter(subject_key=f"issue:{issue.pk}")
        assert rows.count() == 2
        assert set(rows.values_list("kind", "title", "url", "period_key")) == {
            (
                NotificationKind.ISSUE_OVERDUE if overdue else NotificationKind.ISSUE_DUE,
                template % {"day": issue.deadline, "text": issue.description},
                reverse("inspections:issue-detail", args=[issue.pk]),
                today.isoformat(),
            )
        }


def test_a_member_without_an_address_is_marked_handled_by_the_claim_itself(due_issues, mailoutbox):
    """The claiming INSERT stamps the e-mail column of rows no e-mail can reach, so the outbox — rows not yet
    e-mailed — holds only what is to be sent; the others get their e-mail once."""
    issues, _closed = due_issues
    silent = f.RoleFactory(user=f.UserFactory(email=""), kind=RoleKind.CONTRACTOR, company=issues[0].contractor).user
    assert sweeps.remind_contractors() == EXPECTED + 6
    silent_rows = Notification.objects.filter(recipient=silent)
    assert silent_rows.count() == 6
    assert all(row.emailed_at == row.created_at for row in silent_rows)  # stamped in the claim, not after
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
    assert len(mailoutbox) == EXPECTED and all(m.to[0] for m in mailoutbox)
    assert sweeps.remind_contractors() == 0 and len(mailoutbox) == EXPECTED


def test_a_reminder_an_interrupted_run_left_unsent_goes_out_with_the_next_run(due_issues, mailoutbox):
    assert sweeps.remind_contractors() == EXPECTED
    left = Notification.objects.filter(kind=NotificationKind.ISSUE_DUE).select_related("recipient").first()
    Notification.objects.filter(pk=left.pk).update(emailed_at=None)  # claimed, then the worker died
    mailoutbox.clear()
    assert sweeps.remind_contractors() == 0
    assert [m.to for m in mailoutbox] == [[left.recipient.email]]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


# --- Escalations: the claim and its notifications commit together; leftover e-mails go out with the next run ---


def _district_officials(tree, n):
    """``n`` more district officials with e-mail addresses (the recipients of a tier-3 escalation)."""
    officials = [f.UserFactory(email=f"official{i}@gov.example.cn") for i in range(n)]
    for user in officials:
        f.RoleFactory(user=user, kind=RoleKind.DISTRICT_OFFICIAL, district=tree["district"])
    return officials


def test_an_escalation_never_commits_without_its_notifications(due_issues, actors):
    """The database refuses the escalation's notification (as a worker killed right after the escalating UPDATE
    would leave it): the escalation is rolled back with it, and the next run escalates and notifies."""
    issues, _closed = due_issues
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION refuse_escalation_note() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'notification refused'; END $$;
            CREATE TRIGGER refuse_escalation_note BEFORE INSERT ON notifications_notification
                FOR EACH ROW WHEN (NEW.kind = 'escalation') EXECUTE FUNCTION refuse_escalation_note();""")
    try:
        with pytest.raises(Exception, match="notification refused"):
            sweeps.escalate_overdue()
        assert not RectificationIssue.objects.filter(escalated_at__isnull=False).exists()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "DROP TRIGGER refuse_escalation_note ON notifications_notification; "
                "DROP FUNCTION refuse_escalation_note();"
            )
    assert sweeps.escalate_overdue() == 1
    escalated = RectificationIssue.objects.get(escalated_at__isnull=False)
    assert escalated == issues[0]
    assert list(
        Notification.objects.filter(kind=NotificationKind.ESCALATION, subject_key=f"issue:{escalated.pk}").values_list(
            "recipient_id", flat=True
        )
    ) == [actors["district_official"].pk]


def test_escalation_emails_an_interrupted_run_left_unsent_go_out_with_the_next_run(due_issues, tree, mailoutbox):
    officials = _district_officials(tree, 2)
    assert sweeps.escalate_overdue() == 1
    emailed = {m.to[0] for m in mailoutbox}
    assert {u.email for u in officials} <= emailed
    left = Notification.objects.filter(kind=NotificationKind.ESCALATION, recipient=officials[0])
    left.update(emailed_at=None)  # claimed with its escalation, then the worker died before e-mailing it
    mailoutbox.clear()
    assert sweeps.escalate_overdue() == 0  # nothing new to escalate: the leftover is sent all the same
    assert [m.to for m in mailoutbox] == [[officials[0].email]]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_killed_escalation_worker_sends_every_escalation_email_once(broker_mode, workers, due_issues, tree, tmp_path):
    """Killed while e-mailing an escalation's officials: the redelivered task finds nothing left to escalate, and
    still sends the e-mails the killed run had not."""
    _district_officials(tree, 5)
    # The one issue past the grace period: the tree's district official (no address: handled at once) and five more.
    notes = Notification.objects.filter(kind=NotificationKind.ESCALATION)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    mail = {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(tmp_path)}
    first = workers(queue, REMINDER_SEND_DELAY="0.5", CELERY_VISIBILITY_TIMEOUT="3", **mail)
    escalate_overdue.apply_async(queue=queue)
    assert wait_for(lambda: _mails_sent(tmp_path) >= 2)
    first.kill()
    sent_before_kill = _mails_sent(tmp_path)
    assert notes.count() == 6 and 2 <= sent_before_kill < 5
    assert RectificationIssue.objects.filter(escalated_at__isnull=False).count() == 1
    time.sleep(4)  # past the visibility timeout: the task is handed out again
    workers(queue, CELERY_VISIBILITY_TIMEOUT="3", **mail)
    assert wait_for(lambda: not notes.filter(emailed_at__isnull=True).exists(), timeout=90)
    time.sleep(1)
    assert notes.count() == 6 and set(_per_subject().values()) == {1}
    assert _mails_sent(tmp_path) == 5  # each official's e-mail exactly once across the two workers


def test_a_deactivated_member_gets_no_reminder(due_issues, mailoutbox):
    """A contractor whose account was deactivated (he left the company) is skipped by the claiming INSERT itself."""
    issues, _closed = due_issues
    gone = f.RoleFactory(
        user=f.UserFactory(is_active=False, email="gone@contractor.example.cn"),
        kind=RoleKind.CONTRACTOR,
        company=issues[0].contractor,
    ).user
    assert sweeps.remind_contractors() == EXPECTED
    assert not Notification.objects.filter(recipient=gone).exists()
    assert len(mailoutbox) == EXPECTED and "gone@contractor.example.cn" not in {m.to[0] for m in mailoutbox}
