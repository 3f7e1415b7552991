"""Choices of the consultations app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    TEA_MEETING = "tea_meeting", _("Neighbourly tea meeting")
    WECHAT_GROUP = "wechat_group", _("Residents' WeChat group")
    DOOR_TO_DOOR = "door_to_door", _("Door-to-door visit by a building lead")
    HOTLINE = "hotline", _("Hotline")
    ONLINE_FORM = "online_form", _("Online form")
    # A resident's own report from the public page reached by the building plate's QR code (no sign-in).
    PLATE_QR = "plate_qr", _("Plate QR code")


class NeedCategory(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", _("Pipes, roads and lights")
    PARKING = "parking", _("Parking and charging")
    ELEVATOR = "elevator", _("Elevators")
    ELDERLY = "elderly", _("Elderly-friendly facilities")
    ENVIRONMENT = "environment", _("Environment and greening")
    SAFETY = "safety", _("Safety and fire")
    LEISURE = "leisure", _("Leisure and activity spaces")
    PROPERTY = "property", _("Property management")
    OTHER = "other", _("Other")


class Step(models.TextChoices):
    """The seven-step consultation method, in order."""

    COLLECT_NEEDS = "collect_needs", _("1 Collect needs")
    DRAFT_TOPIC = "draft_topic", _("2 Draft the topic")
    RESEARCH = "research", _("3 Pre-meeting research")
    DELIBERATION = "deliberation", _("4 Deliberation and vote")
    APPLY_RESULT = "apply_result", _("5 Apply the result")
    SUPERVISION = "supervision", _("6 Supervise execution")
    PUBLIC_FEEDBACK = "public_feedback", _("7 Public feedback")


STEP_ORDER = list(Step.values)


class MeetingKind(models.TextChoices):
    TEA_MEETING = "tea_meeting", _("Neighbourly tea meeting (近邻茶话会)")
    JINLIN_SIMIN = "jinlin_simin", _("近邻·思民 session")
    OTHER = "other", _("Other meeting")


class MeetingStatus(models.TextChoices):
    """A meeting's life: scheduled (then held, with sign-ins, photos and draft minutes) until its minutes are
    published; or cancelled before it took place."""

    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Minutes published")
    CANCELLED = "cancelled", _("Cancelled")


class InviteeKind(models.TextChoices):
    OWNER = "owner", _("Owner")
    BUILDING_LEAD = "building_lead", _("Building lead")


class SignInChannel(models.TextChoices):
    ROLL = "roll", _("Ticked on the roll by staff")
    QR = "qr", _("Signed in with the meeting's QR code")


class MatterType(models.TextChoices):
    """Matters decided by owners (PRC Civil Code, Article 278)."""

    RAISE_MAINTENANCE_FUND = "raise_maintenance_fund", _("Raise the maintenance fund")
    REBUILD = "rebuild", _("Rebuild or alter buildings and facilities (e.g. add an elevator)")
    CHANGE_COMMON_USE = "change_common_use", _("Change the use of common parts, or use them commercially")
    USE_MAINTENANCE_FUND = "use_maintenance_fund", _("Use the maintenance fund")
    RENOVATION_PLAN = "renovation_plan", _("Renovation plan")
    # "要我改 → 我要改": the owners' will to have the compound renovated, which a declaration (申报) needs.
    RENOVATION_WILLINGNESS = "renovation_willingness", _("Willingness to renovate the compound")
    OTHER = "other", _("Other common matter")


# Matters that need three quarters of the participating area and owners; the rest need more than half.
MAJOR_MATTERS = (MatterType.RAISE_MAINTENANCE_FUND, MatterType.REBUILD, MatterType.CHANGE_COMMON_USE)


class Electorate(models.TextChoices):
    COMPOUND = "compound", _("The whole compound")
    BUILDING = "building", _("One building")
    STAIRWELL = "stairwell", _("One stairwell of a building")


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class VoteResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED_PARTICIPATION = "failed_participation", _("Failed: not enough participation")
    FAILED_APPROVAL = "failed_approval", _("Failed: not enough approval")


class BallotChoice(models.TextChoices):
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    RESOLVED = "resolved", _("Resolved")


class BallotChannel(models.TextChoices):
    """How a ballot reached the count. Staff enter every ballot in the portal, so each needs its evidence: the
    scan of a paper ballot, the online platform's confirmation reference, or — for a ballot staff record on the
    owner's behalf (a phone call, a visit) — an attachment or a confirmation reference."""

    PAPER = "paper", _("Paper ballot")
    ONLINE = "online", _("Cast online by the owner")
    STAFF = "staff", _("Entered by staff on the owner's behalf")


class RollImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class NotificationKind(models.TextChoices):
    """The consultations' notification kinds (registered with notifications.kinds). The values are stored and
    part of each reminder's exactly-once claim: never change one ("minutes_overdue" is the value the minutes
    reminder had when the inspections app sent it)."""

    MINUTES_OVERDUE = "minutes_overdue", _("Meeting minutes overdue")
    # Events, sent at once (consultations/events.py):
    PROBLEM_ASSIGNED = "problem_assigned", _("Residents' problem assigned")
    PROBLEM_ANSWERED = "problem_answered", _("Residents' problem answered")
    MEETING_SCHEDULED = "meeting_scheduled", _("Meeting scheduled")
    MEETING_MOVED = "meeting_moved", _("Meeting moved")
    MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
    PROBLEM_REPORTED = "problem_reported", _("Residents' problem reported from a plate")


class OwnerKind(models.TextChoices):
    """Who holds units of the roll. A developer's unsold units and the housing authority's public units each
    belong to one owner, so they count as one head in a vote (Civil Code Article 278)."""

    PERSON = "person", _("Person")
    DEVELOPER = "developer", _("Developer (unsold units)")
    PUBLIC_HOUSING = "public_housing", _("Public housing authority")


class SurveyAspect(models.TextChoices):
    """The aspects a household rates in the satisfaction survey after handover, each 1–5 (the field names of
    ``SurveyResponse``)."""

    QUALITY = "quality", _("Quality of the works")
    SITE_CONDUCT = "site_conduct", _("Conduct of the works (noise, dust, safety)")
    COMMUNICATION = "communication", _("Information and listening to residents")
