"""The upgrade that moves Notification from the inspections app to the notifications app, run with Django's
MigrationExecutor on the real PostgreSQL: every row survives with its fields, what was claimed but not yet
e-mailed is still delivered once, and nothing claimed before the upgrade is claimed (sent) again after it."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from consultations import services as consultation_services
from consultations import sweeps as consultation_sweeps
from consultations.choices import NotificationKind as ConsultationKind
from inspections import sweeps as inspection_sweeps
from inspections.choices import InspectionTier, NotificationKind, Severity
from inspections.models import ChecklistTemplate, Inspection, RectificationIssue
from notifications.models import Notification
from notifications.services import deliver_unsent, notify_once
from projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = [("inspections", "0002_notification_outbox_index"), ("notifications", None)]
FIELDS = [
    "id",
    "recipient_id",
    "kind",
    "subject_key",
    "period_key",
    "title",
    "body",
    "url",
    "created_at",
    "emailed_at",
    "read_at",
]


@pytest.fixture
def migrator(transactional_db):
    """Migrates the test database; afterwards (before the database is flushed) back to the latest state."""
    executor = MigrationExecutor(connection)

    def migrate(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state([node for node in targets if node[1] is not None]).apps

    yield migrate
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@pytest.fixture
def due_issue(tree, actors):
    """An issue of company_a due tomorrow (its contractor gets the 48-hour reminder) and an e-mail address for
    every actor."""
    for user in actors.values():
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])
    project = Project.objects.get(compound=tree["compound_a"])
    template = ChecklistTemplate.objects.create(name="表", tier=InspectionTier.DISTRICT)
    inspection = Inspection.objects.create(
        project=project, tier=2, template=template, planned_date=timezone.localdate(), status="filed"
    )
    return RectificationIssue.objects.create(
        inspection=inspection,
        project=project,
        contractor=project.contractor,
        kind="safety",
        description="临边无防护",
        location="1号楼",
        severity=Severity.MAJOR,
        tier=2,
        deadline=timezone.localdate() + timedelta(days=1),
    )


def test_the_move_keeps_every_row_and_sends_nothing_twice_across_the_upgrade(
    migrator, due_issue, tree, actors, mailoutbox
):
    secretary, contractor, official = actors["community_secretary"], actors["contractor"], actors["district_official"]
    meeting = consultation_services.meeting_log(
        actor=secretary,
        compound=tree["compound_a"],
        kind="tea_meeting",
        held_at=timezone.now() - timedelta(days=5),
        place="党群服务站",
    )
    content_type = ContentType.objects.get_for_model(Notification).pk
    today = timezone.localdate().isoformat()
    now = timezone.now()

    old_apps = migrator(BEFORE_THE_MOVE)
    OldNotification = old_apps.get_model("inspections", "Notification")
    assert OldNotification._meta.db_table == "inspections_notification"
    assert ContentType.objects.get(pk=content_type).app_label == "inspections"
    rows = [
        # Today's 48-hour reminder to the contractor: claimed by a run that died before e-mailing it.
        OldNotification.objects.create(
            recipient_id=contractor.pk,
            kind="issue_due",
            subject_key=f"issue:{due_issue.pk}",
            period_key=today,
            title="Due by tomorrow: 临边无防护",
            url=f"/inspections/issues/{due_issue.pk}/",
            created_at=now - timedelta(hours=1),
        ),
        # The minutes reminder (still sent by the inspections app then): claimed, e-mailed and read.
        OldNotification.objects.create(
            recipient_id=secretary.pk,
            kind="minutes_overdue",
            subject_key=f"meeting:{meeting.pk}",
            period_key="once",
            title="Publish the minutes",
            url=f"/consultations/meetings/{meeting.pk}/",
            created_at=now - timedelta(hours=3),
            emailed_at=now - timedelta(hours=3),
            read_at=now - timedelta(hours=2),
        ),
        # An escalation claimed but not yet e-mailed, with a body.
        OldNotification.objects.create(
            recipient_id=official.pk,
            kind="escalation",
            subject_key="issue:999999",
            period_key="escalation",
            title="Escalated to tier 3",
            body="详见问题",
            created_at=now - timedelta(minutes=30),
        ),
        # Last week's digest, e-mailed.
        OldNotification.objects.create(
            recipient_id=official.pk,
            kind="weekly_digest",
            subject_key="district:1",
            period_key="2026-W47",
            title="Weekly digest, week 47",
            body="Open issues: 3",
            created_at=now - timedelta(days=5),
            emailed_at=now - timedelta(days=5),
        ),
    ]
    before = {row["id"]: row for row in OldNotification.objects.values(*FIELDS)}
    assert len(before) == 4

    migrator(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Notification._meta.db_table == "notifications_notification"
    after = {row["id"]: row for row in Notification.objects.values(*FIELDS)}
    assert after == before  # every row, every field
    assert ContentType.objects.get_for_model(Notification).pk == content_type  # permissions and audit entries follow

    # The contractors' sweep refuses to claim the reminder again; the outbox e-mails the one left unsent, once.
    assert inspection_sweeps.remind_contractors() == 0
    assert [(m.to, m.subject) for m in mailoutbox] == [([contractor.email], "Due by tomorrow: 临边无防护")]
    # The minutes reminder keeps its stored kind in the consultations app: no second reminder for the meeting.
    assert ConsultationKind.MINUTES_OVERDUE == "minutes_overdue"
    assert consultation_sweeps.remind_minutes() == 0
    assert not notify_once(
        recipient_id=official.pk,
        kind=NotificationKind.ESCALATION,
        subject_key="issue:999999",
        period_key="escalation",
        title="again",
    )
    # notify_once's own pass already delivered the escalation left unsent; nothing is left for the outbox.
    deliver_unsent(set(NotificationKind.values) | set(ConsultationKind.values))
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        [(contractor.email, "Due by tomorrow: 临边无防护"), (official.email, "Escalated to tier 3")]
    )
    assert Notification.objects.count() == len(rows)
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()
