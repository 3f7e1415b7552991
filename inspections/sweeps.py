"""The reminder sweeps. Each selects due work in set-based queries, streams it (``iterator``), and hands
reminders to ``notifications.notify``, which claims each (recipient, kind, subject, period) once."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import RoleKind
from communities.models import Role
from inspections.choices import ESCALATION_GRACE_DAYS, InspectionStatus, IssueOrigin, IssueStatus, NotificationKind
from inspections.models import Inspection, RectificationIssue
from inspections.services import escalation_recipients
from notifications.models import Notification
from notifications.services import CHANNELS, Reminder, claim, deliver_unsent, notify, unreachable_at_claim

CHUNK = 2000


def remind_inspectors(today: date | None = None) -> int:
    """Group members: inspections planned for today and tomorrow (one reminder per inspection and day)."""
    today = today or timezone.localdate()
    rows = (
        Inspection.objects.filter(
            status=InspectionStatus.PLANNED, planned_date__in=[today, today + timedelta(1)], group__isnull=False
        )
        .values_list("pk", "planned_date", "project__name", "group__members")
        .iterator(chunk_size=CHUNK)
    )
    return notify(
        Reminder(
            member,
            NotificationKind.INSPECTION_DUE,
            f"inspection:{pk}",
            today.isoformat(),
            _("Inspection on %(day)s: %(project)s") % {"day": day, "project": name},
            url=reverse("inspections:inspection-detail", args=[pk]),
        )
        for pk, day, name, member in rows
        if member
    )


def _company_members() -> dict[tuple[int, str], list[int]]:
    """The active members of each company by role: (company, role kind) → users."""
    members: dict[tuple[int, str], list[int]] = {}
    for company_id, kind, user_id in Role.objects.filter(
        kind__in=[RoleKind.CONTRACTOR, RoleKind.PROPERTY_STAFF], user__is_active=True
    ).values_list("company_id", "kind", "user_id"):
        members.setdefault((company_id, kind), []).append(user_id)
    return members


def _issues_to_remind(today: date):
    """Issues waiting for their contractor or property service company (neither closed nor submitted for
    verification), due within 48 hours or overdue; ``assignee`` is the company, ``assignee_role`` the kind of role
    its people who answer hold (a contractor's people, a property service company's staff)."""
    return (
        RectificationIssue.objects.exclude(status__in=[IssueStatus.CLOSED, IssueStatus.SUBMITTED])
        .filter(Q(contractor__isnull=False) | Q(property_company__isnull=False), deadline__lte=today + timedelta(2))
        .annotate(
            assignee=Coalesce("contractor_id", "property_company_id"),
            assignee_role=Case(
                When(contractor__isnull=False, then=Value(RoleKind.CONTRACTOR.value)),
                default=Value(RoleKind.PROPERTY_STAFF.value),
                output_field=CharField(),
            ),
        )
        .order_by()
    )


def _reminder_title(deadline: date, today: date, text: str) -> tuple[str, str]:
    overdue = deadline < today
    kind = NotificationKind.ISSUE_OVERDUE if overdue else NotificationKind.ISSUE_DUE
    title = (_("Overdue since %(day)s: %(text)s") if overdue else _("Due by %(day)s: %(text)s")) % {
        "day": deadline,
        "text": text[:60],
    }
    return kind, title


def remind_communities(today: date | None = None) -> int:
    """The staff of a community: the aftercare patrols' findings the community answers for, due within 48 hours or
    overdue (one reminder per issue, person and day). Few rows — the communities' own findings — so through
    ``notify``, which claims each once."""
    today = today or timezone.localdate()
    staff: dict[int, list[int]] = {}
    rows = list(
        RectificationIssue.objects.exclude(status__in=[IssueStatus.CLOSED, IssueStatus.SUBMITTED])
        .filter(community__isnull=False, deadline__lte=today + timedelta(2))
        .order_by()
        .values_list("pk", "community_id", "deadline", "description")
    )
    if rows:
        for community_id, user_id in Role.objects.filter(
            kind__in=[RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR],
            community_id__in={row[1] for row in rows},
            user__is_active=True,
        ).values_list("community_id", "user_id"):
            staff.setdefault(community_id, []).append(user_id)

    def reminders():
        for pk, community_id, deadline, text in rows:
            kind, title = _reminder_title(deadline, today, text)
            for user_id in sorted(set(staff.get(community_id, []))):
                yield Reminder(
                    user_id,
                    kind,
                    f"issue:{pk}",
                    today.isoformat(),
                    title,
                    url=reverse("inspections:issue-detail", args=[pk]),
                )

    return notify(reminders())


def remind_contractors(today: date | None = None) -> int:
    """Contractors (and property service staff, for the aftercare patrols' findings): issues due within 48
    hours, and overdue ones (one reminder per issue and day); then the communities' own findings
    (``remind_communities``)."""
    today = today or timezone.localdate()
    if connection.vendor == "postgresql":
        return _remind_contractors_in_sql(today) + remind_communities(today)
    members = _company_members()
    rows = (
        _issues_to_remind(today)
        .values_list("pk", "assignee", "assignee_role", "deadline", "description")
        .iterator(chunk_size=CHUNK)
    )

    def reminders():
        for pk, company, role, deadline, text in rows:
            kind, title = _reminder_title(deadline, today, text)
            for user_id in members.get((company, role), []):
                yield Reminder(
                    user_id,
                    kind,
                    f"issue:{pk}",
                    today.isoformat(),
                    title,
                    url=reverse("inspections:issue-detail", args=[pk]),
                )

    return notify(reminders()) + remind_communities(today)


_CLAIM_IN_SQL = """
INSERT INTO {notification} (recipient_id, kind, subject_key, period_key, title, body, url, created_at{marked})
SELECT role.user_id, CASE WHEN issue.deadline < %s THEN %s ELSE %s END, 'issue:' || issue.id, %s,
       LEFT(REPLACE(REPLACE(CASE WHEN issue.deadline < %s THEN %s ELSE %s END, %s, issue.deadline::text),
                    %s, LEFT(issue.description, 60)), 200), '',
       %s || issue.id || %s, %s{marks}
FROM ({due}) AS issue JOIN {role} AS role ON role.company_id = issue.assignee AND role.kind = issue.assignee_role
JOIN {users} AS member ON member.id = role.user_id AND member.is_active
ON CONFLICT (recipient_id, kind, subject_key, period_key) DO NOTHING
"""


def _remind_contractors_in_sql(today: date) -> int:
    """The same reminders, claimed by one INSERT … SELECT … ON CONFLICT DO NOTHING for both kinds (a CASE on the
    deadline picks overdue or due): PostgreSQL reads the due issues in one pass, joins them to the companies'
    members and skips what is already claimed, so no issue passes through Python and a sweep over millions of
    open issues keeps the worker's memory flat. The same INSERT marks the rows of recipients no channel can reach
    (no e-mail address) as handled, so they are written once and never read again; then each channel delivers
    the rows left to send — through the outbox's partial index, which holds only those."""
    due_sql, due_params = (
        _issues_to_remind(today)
        .values("id", "assignee", "assignee_role", "deadline", "description")
        .query.sql_with_params()
    )
    marker = 987654321  # an issue id in the reversed URL, replaced by each row's id
    prefix, suffix = reverse("inspections:issue-detail", args=[marker]).split(str(marker))
    now = timezone.now()
    marked, marks, marks_params = unreachable_at_claim("role.user_id", now)
    sql = _CLAIM_IN_SQL.format(
        notification=Notification._meta.db_table,
        role=Role._meta.db_table,
        users=Role._meta.get_field("user").related_model._meta.db_table,
        due=due_sql,
        marked="".join(f", {column}" for column in marked),
        marks="".join(f", {expression}" for expression in marks),
    )
    overdue, due = NotificationKind.ISSUE_OVERDUE, NotificationKind.ISSUE_DUE
    params = [
        today,
        overdue,
        due,
        today.isoformat(),
        today,
        _("Overdue since %(day)s: %(text)s"),
        _("Due by %(day)s: %(text)s"),
        "%(day)s",
        "%(text)s",
        prefix,
        suffix,
        now,
        *marks_params,
        *due_params,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        claimed = cursor.rowcount
    deliver_unsent({overdue, due})
    return claimed


def escalate_overdue(today: date | None = None) -> int:
    """Issues overdue past the grace period go one tier up, once, and that tier's officials are told.

    Each chunk's escalations are claimed (the issues' rows locked and marked escalated) and their
    in-app notifications claimed in the same transaction: an escalation never commits without its notifications,
    so a worker killed at any point loses none, and two sweeps at once never escalate an issue twice. E-mail is
    sent after the commit; the run then sends whatever escalation e-mails an earlier, interrupted run left unsent
    (even when it has nothing new to escalate). Returns how many issues escalated."""
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=ESCALATION_GRACE_DAYS)
    due = (
        RectificationIssue.objects.exclude(status=IssueStatus.CLOSED)
        .filter(deadline__lt=cutoff, escalated_at__isnull=True, tier__lt=3)
        # An aftercare patrol's finding stays with the place that keeps the compound: no inspection tier above it.
        .filter(origin=IssueOrigin.INSPECTION)
        .values_list("pk", flat=True)
        .iterator(chunk_size=CHUNK)
    )
    escalated = 0
    batch: list[int] = []
    recipients: dict[tuple[int, int], list[int]] = {}

    def officials(tier, district):
        if (tier, district) not in recipients:
            recipients[tier, district] = escalation_recipients(tier, district)
        return recipients[tier, district]

    def flush(ids):
        nonlocal escalated
        with transaction.atomic():
            claimable = RectificationIssue.objects.filter(pk__in=ids, escalated_at__isnull=True).exclude(
                status=IssueStatus.CLOSED
            )
            # Locked in id order (no deadlock between two sweeps); a sweep that waited re-reads escalated_at after
            # the other's commit and skips what it escalated.
            rows = list(
                claimable.order_by("pk")
                .select_for_update(of=("self",))
                .values_list("pk", "tier", "description", "project__compound__community__subdistrict__district_id")
            )
            RectificationIssue.objects.filter(pk__in=[r[0] for r in rows]).update(
                escalated_at=timezone.now(), escalated_to=F("tier") + 1
            )
            claimed = claim(
                [
                    Reminder(
                        user_id,
                        NotificationKind.ESCALATION,
                        f"issue:{pk}",
                        "escalation",
                        _("Escalated to tier %(tier)d: %(text)s") % {"tier": tier + 1, "text": text[:60]},
                        url=reverse("inspections:issue-detail", args=[pk]),
                    )
                    for pk, tier, text, district in rows
                    for user_id in officials(tier + 1, district)
                ]
            )
        escalated += len(rows)
        for channel in CHANNELS:
            channel.deliver(claimed)

    for pk in due:
        batch.append(pk)
        if len(batch) >= CHUNK:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    deliver_unsent({NotificationKind.ESCALATION})  # what a killed run claimed but did not e-mail
    return escalated


def weekly_digest(today: date | None = None) -> int:
    """District officials: the week in figures (one digest per official and ISO week)."""
    today = today or timezone.localdate()
    year, week, _weekday = today.isocalendar()
    officials = Role.objects.filter(kind=RoleKind.DISTRICT_OFFICIAL).values_list("user_id", "district_id")
    reminders = []
    for user_id, district_id in officials:
        issues = RectificationIssue.objects.filter(project__compound__community__subdistrict__district_id=district_id)
        open_count = issues.exclude(status=IssueStatus.CLOSED).count()
        overdue = issues.exclude(status=IssueStatus.CLOSED).filter(deadline__lt=today).count()
        closed = issues.filter(closed_at__date__gte=today - timedelta(days=7)).count()
        reminders.append(
            Reminder(
                user_id,
                NotificationKind.WEEKLY_DIGEST,
                f"district:{district_id}",
                f"{year}-W{week:02d}",
                _("Weekly digest, week %(week)d") % {"week": week},
                _("Open issues: %(open)d; overdue: %(overdue)d; closed this week: %(closed)d.")
                % {"open": open_count, "overdue": overdue, "closed": closed},
                url=reverse("inspections:overdue-board"),
            )
        )
    return notify(reminders)
