"""Choices of the inspections app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from communities.choices import InspectionTier  # noqa: F401  (one definition of the three tiers)


class ItemKind(models.TextChoices):
    PASS_FAIL = "pass_fail", _("Pass / fail / not applicable")
    SCORE = "score", _("Score")


class ChecklistKind(models.TextChoices):
    """What a checklist is for: an inspection of the works, or an aftercare standard patrolled after handover."""

    INSPECTION = "inspection", _("Inspection")
    AFTERCARE = "aftercare", _("Aftercare standard")


class IssueOrigin(models.TextChoices):
    """Where an issue was found: on an inspection of the works, or on an aftercare patrol after handover."""

    INSPECTION = "inspection", _("Inspection")
    PATROL = "patrol", _("Aftercare patrol")


class ChecklistStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("checklist status", "Draft")
    PUBLISHED = "published", pgettext_lazy("checklist status", "Published")


class Outcome(models.TextChoices):
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")
    NOT_APPLICABLE = "na", _("Not applicable")


class InspectionStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("inspection status", "Planned")
    FILED = "filed", _("Filed")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    SERIOUS = "serious", _("Serious")


# Default days to rectify, by severity.
DEFAULT_DEADLINE_DAYS = {Severity.MINOR: 14, Severity.MAJOR: 7, Severity.SERIOUS: 3}
# Days past the deadline before an issue escalates one tier up.
ESCALATION_GRACE_DAYS = 2


class IssueStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("issue status", "Open")
    SUBMITTED = "submitted", _("Rectification submitted")
    CLOSED = "closed", _("Verified and closed (销号)")


class IssueAction(models.TextChoices):
    OPENED = "opened", _("Issue opened")
    SUBMITTED = "submitted", _("Rectification submitted")
    CLOSED = "closed", _("Verified and closed (销号)")
    SENT_BACK = "sent_back", pgettext_lazy("issue action", "Sent back")


class PhotoKind(models.TextChoices):
    FINDING = "finding", _("Finding")
    EVIDENCE = "evidence", _("Rectification evidence")


class NotificationKind(models.TextChoices):
    """The inspections' notification kinds (registered with notifications.kinds). The values are stored: never
    change one."""

    INSPECTION_DUE = "inspection_due", _("Inspection due")
    ISSUE_DUE = "issue_due", _("Rectification due within 48 hours")
    ISSUE_OVERDUE = "issue_overdue", _("Rectification overdue")
    ESCALATION = "escalation", _("Overdue issue escalated")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")
    # Events, sent at once (inspections/events.py):
    ISSUE_ASSIGNED = "issue_assigned", _("Rectification issue assigned")
    EVIDENCE_SUBMITTED = "evidence_submitted", _("Rectification evidence submitted")
    ISSUE_SENT_BACK = "issue_sent_back", _("Rectification sent back")
    ISSUE_CLOSED = "issue_closed", _("Rectification issue closed")


# The kinds of finding the checklists use (a free slug, for repeat findings); what the pages call them.
ISSUE_KIND_LABELS = {
    "safety": pgettext_lazy("finding kind", "Safety"),
    "road": pgettext_lazy("finding kind", "Roads"),
    "pipes": pgettext_lazy("finding kind", "Pipes"),
    "drains": pgettext_lazy("finding kind", "Drains"),
    "dust": pgettext_lazy("finding kind", "Dust"),
    "materials": pgettext_lazy("finding kind", "Materials"),
    "facade": pgettext_lazy("finding kind", "Facades"),
    "fencing": pgettext_lazy("finding kind", "Site fencing"),
    "dig_once": pgettext_lazy("finding kind", "Dig once"),
    "quality": pgettext_lazy("finding kind", "Quality"),
    "schedule": pgettext_lazy("finding kind", "Schedule"),
    "residents": pgettext_lazy("finding kind", "Residents"),
    "funds": pgettext_lazy("finding kind", "Funds"),
    "satisfaction": pgettext_lazy("finding kind", "Satisfaction"),
}


def issue_kind_label(kind: str) -> str:
    return str(ISSUE_KIND_LABELS.get(kind, kind))
