"""Resident consultation (近邻协商): needs, topics moving through the seven steps, meetings, the owners' roll,
votes under the Civil Code (Article 278) and residents' problems about the renovation."""

import secrets
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.querysets import ScopedQuerySet
from consultations.choices import (
    BallotChannel,
    BallotChoice,
    Channel,
    Electorate,
    InviteeKind,
    MatterType,
    MeetingKind,
    MeetingStatus,
    NeedCategory,
    OwnerKind,
    ProblemStatus,
    RollImportStatus,
    SignInChannel,
    Step,
    VoteResult,
    VoteStatus,
)
from renovation_portal.uploads import private_upload_to


class CompoundScoped(ScopedQuerySet):
    compound_path = "compound__"


# Who reads residents' own reports and the satisfaction survey: the place staff (the community's secretary and the
# officials above, city and province included). Contractors and inspectors never do, though they read the compound.
RESIDENT_STAFF_ROLES = (
    "province_official",
    "city_official",
    "district_official",
    "subdistrict_official",
    "community_secretary",
)


class ResidentStaffScoped(ScopedQuerySet):
    """Records of what residents say (their problems, photos and survey answers): the compound's place staff
    see them, contractors, inspectors and outsiders see nothing."""

    compound_path = "compound__"

    def visible_to(self, user):
        from communities.scoping import get_scope

        scope = get_scope(user)
        if not scope.has_role(*RESIDENT_STAFF_ROLES):
            return self.none()
        return super().visible_to(user)


class Topic(models.Model):
    """A topic (议题) that gathers residents' needs and moves through the seven steps, with a record per step."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="topics", verbose_name=_("compound")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("topic"), blank=True)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, default=Step.COLLECT_NEEDS)
    research_notes = models.TextField(_("pre-meeting research"), blank=True)
    decision = models.TextField(_("decision"), blank=True)
    result_summary = models.TextField(_("how the result was applied"), blank=True)
    plan_version = models.ForeignKey(
        "projects.PlanVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name=_("plan version changed"),
    )
    scope_items = models.ManyToManyField(
        "projects.ScopeItem", blank=True, related_name="topics", verbose_name=_("work items changed")
    )
    supervision_notes = models.TextField(_("supervision notes"), blank=True)
    feedback = models.TextField(_("public feedback"), blank=True)
    feedback_published_at = models.DateTimeField(_("feedback published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundScoped.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["updated_at", "id"], name="topic_updated")]

    def __str__(self):
        return self.title


class TopicStepEventQuerySet(ScopedQuerySet):
    compound_path = "topic__compound__"


class TopicStepEvent(models.Model):
    """A topic moving to its next step: who, when, and the note."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="events", verbose_name=_("topic"))
    from_step = models.CharField(_("from"), max_length=20, choices=Step.choices, blank=True)
    to_step = models.CharField(_("to"), max_length=20, choices=Step.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = TopicStepEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic step")
        verbose_name_plural = _("topic steps")
        ordering = ["topic_id", "created_at", "id"]


class Need(models.Model):
    """A resident's need or suggestion (搜集需求), through one of the channels."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="needs", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        "communities.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="needs",
        verbose_name=_("building"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=20, choices=NeedCategory.choices)
    content = models.TextField(_("need"))
    raised_by_name = models.CharField(_("raised by"), max_length=50, blank=True)
    raised_by_phone = models.CharField(_("phone"), max_length=20, blank=True)
    on_behalf_role = models.CharField(
        _("recorded on the resident's behalf by"),
        max_length=20,
        blank=True,
        choices=[("building_lead", _("Building lead")), ("grid_worker", _("Grid worker"))],
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.SET_NULL, null=True, blank=True, related_name="needs", verbose_name=_("topic")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundScoped.as_manager()

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["updated_at", "id"], name="need_updated")]

    def __str__(self):
        return self.content[:40]


def new_sign_in_token() -> str:
    """The secret of a meeting's sign-in URL (its QR code): 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


class Meeting(models.Model):
    """A consultation meeting (tea meeting, 近邻·思民 session or other), from its scheduling to its minutes:
    scheduled for a date, place, the whole compound or some of its buildings, with its agenda; the building leads
    and owners of those buildings are invited (``MeetingInvitation``); at the meeting people sign in
    (``MeetingAttendance``: ticked on the roll by staff, or by residents with the meeting's QR code); photos,
    decisions and draft minutes are recorded; publishing the minutes freezes everything and their later
    corrections are new versions (``MinutesVersion``). The minutes are due 3 days after the meeting's date."""

    MINUTES_DUE_DAYS = 3
    # Residents may sign in with the QR code from an hour before the meeting to the end of its day.
    SIGN_IN_OPENS_BEFORE = timezone.timedelta(hours=1)

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="meetings", verbose_name=_("compound")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MeetingKind.choices, default=MeetingKind.TEA_MEETING)
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    held_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=120)
    buildings = models.ManyToManyField(
        "communities.Building",
        blank=True,
        related_name="+",
        verbose_name=_("buildings"),
        help_text=_("None: the whole compound."),
    )
    convener = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("convener")
    )
    # The head count: the people signed in (MeetingAttendance) plus ``guests``; kept by the services that change
    # either, so that lists and the API read it without counting.
    attendance = models.PositiveIntegerField(_("attendance"), default=0)
    guests = models.PositiveIntegerField(
        _("others present"), default=0, help_text=_("People present who are not on the roll (officials, tenants…).")
    )
    representatives = models.TextField(
        _("named representatives"), blank=True, help_text=_("Residents' representatives present, one per line.")
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="meetings", verbose_name=_("agenda topics"))
    # The draft until the minutes are published; then the latest published version (MinutesVersion).
    minutes = models.TextField(_("minutes"), blank=True)
    decisions = models.TextField(_("decisions"), blank=True)
    minutes_published_at = models.DateTimeField(_("minutes published at"), null=True, blank=True)
    sign_in_token = models.CharField(
        _("sign-in token"), max_length=43, unique=True, null=True, blank=True, editable=False
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("why it was cancelled"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundScoped.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_at"]
        indexes = [
            # meetings_minutes_overdue(): unpublished minutes of meetings held more than 3 days ago.
            models.Index(
                fields=["held_at"], condition=Q(minutes_published_at__isnull=True), name="meeting_minutes_unpublished"
            ),
            models.Index(fields=["updated_at", "id"], name="meeting_updated"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {timezone.localtime(self.held_at):%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        """Scheduled and not yet published: everything may still be changed."""
        return self.status == MeetingStatus.SCHEDULED

    @property
    def is_upcoming(self) -> bool:
        return self.is_open and self.held_at > timezone.now()

    @property
    def sign_in_opens_at(self):
        return self.held_at - self.SIGN_IN_OPENS_BEFORE

    @property
    def sign_in_closes_at(self):
        """The end of the meeting's day (local time)."""
        day = timezone.localtime(self.held_at).date()
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))

    @property
    def sign_in_open(self) -> bool:
        return self.is_open and self.sign_in_opens_at <= timezone.now() < self.sign_in_closes_at

    @property
    def minutes_due(self) -> bool:
        """The meeting took place and its minutes are not published yet (never before the meeting's date)."""
        return self.is_open and self.held_at <= timezone.now()

    @property
    def minutes_overdue(self) -> bool:
        return self.minutes_due and timezone.now() - self.held_at > timedelta(days=self.MINUTES_DUE_DAYS)


class MeetingChildQuerySet(ScopedQuerySet):
    compound_path = "meeting__compound__"


class MeetingInvitation(models.Model):
    """One invitee of a meeting: a current building lead or an owner on the roll with units in the meeting's
    buildings. Name and units are copied when invited (the invitation list stays as it was sent); ``user`` is the
    invitee's portal account where they have one (the same phone number), who is notified of the meeting."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("meeting")
    )
    kind = models.CharField(_("invited as"), max_length=20, choices=InviteeKind.choices)
    owner = models.ForeignKey(
        "Owner", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    building_lead = models.ForeignKey(
        "communities.BuildingLead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building lead"),
    )
    building = models.ForeignKey(
        "communities.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    name = models.CharField(_("name"), max_length=50)
    units = models.CharField(_("units"), max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("portal user"),
    )
    created_at = models.DateTimeField(_("invited at"), auto_now_add=True)

    objects = MeetingChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting invitation")
        verbose_name_plural = _("meeting invitations")
        ordering = ["meeting_id", "building_id", "kind", "name", "id"]
        constraints = [
            # Invited once: meeting_schedule / meeting_update add only those not yet invited.
            models.UniqueConstraint(
                fields=["meeting", "owner"], condition=Q(owner__isnull=False), name="invitation_owner_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "building_lead"],
                condition=Q(building_lead__isnull=False),
                name="invitation_lead_once",
            ),
        ]

    def __str__(self):
        return self.name


class MeetingAttendance(models.Model):
    """Someone present at a meeting: an invitee ticked on the roll by staff, or a resident who signed in with the
    meeting's QR code for their unit. One sign-in per invitee and one per unit (the constraints below)."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("meeting")
    )
    invitation = models.ForeignKey(
        MeetingInvitation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attendances",
        verbose_name=_("invitation"),
    )
    owner_unit = models.ForeignKey(
        "OwnerUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    unit_label = models.CharField(_("unit"), max_length=40, blank=True)
    channel = models.CharField(_("signed in by"), max_length=10, choices=SignInChannel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticked by"),
    )
    signed_in_at = models.DateTimeField(_("signed in at"), default=timezone.now)

    objects = MeetingChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting sign-in")
        verbose_name_plural = _("meeting sign-ins")
        ordering = ["meeting_id", "signed_in_at", "id"]
        constraints = [
            # One sign-in per invitee and one per unit: a second scan of the same unit is refused.
            models.UniqueConstraint(
                fields=["meeting", "invitation"], condition=Q(invitation__isnull=False), name="attendance_invitee_once"
            ),
            models.UniqueConstraint(
                fields=["meeting", "owner_unit"], condition=Q(owner_unit__isnull=False), name="attendance_unit_once"
            ),
            models.CheckConstraint(
                condition=Q(invitation__isnull=False) | Q(owner_unit__isnull=False), name="attendance_names_someone"
            ),
        ]

    def __str__(self):
        return self.name or self.unit_label


class MinutesVersion(models.Model):
    """A published version of a meeting's minutes and decisions. The first is written when the minutes are
    published; each correction is the next version, with what it corrected. Versions are never changed."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="minutes_versions", verbose_name=_("meeting")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    minutes = models.TextField(_("minutes"))
    decisions = models.TextField(_("decisions"), blank=True)
    note = models.CharField(_("what was corrected"), max_length=200, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = MeetingChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("minutes version")
        verbose_name_plural = _("minutes versions")
        ordering = ["meeting_id", "number"]
        constraints = [models.UniqueConstraint(fields=["meeting", "number"], name="minutes_version_once")]

    def __str__(self):
        return f"{self.meeting} v{self.number}"


class MeetingPhotoQuerySet(ScopedQuerySet):
    compound_path = "meeting__compound__"


class MeetingPhoto(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="photos", verbose_name=_("meeting"))
    image = models.ImageField(_("photo"), upload_to=private_upload_to("meetings"))
    thumbnail = models.ImageField(_("thumbnail"), upload_to=private_upload_to("meetings/thumbs"), blank=True)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = MeetingPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting photo")
        verbose_name_plural = _("meeting photos")


class Owner(models.Model):
    """An owner (业主) of one or more units of a compound's roll. Article 278 counts each owner once by head
    however many units they hold (the Supreme People's Court's interpretation on building co-ownership, Art. 9),
    and their area as the sum of their units. ``id_tail`` (the last 4 characters of the ID card) tells namesakes
    apart; name, phone and ID tail are personal data, masked for roles that may not see them."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="owners", verbose_name=_("compound")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OwnerKind.choices, default=OwnerKind.PERSON)
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    id_tail = models.CharField(_("ID card (last 4 characters)"), max_length=4, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundScoped.as_manager()

    class Meta:
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        ordering = ["name", "id"]
        constraints = [
            # The roll import matches an owner by compound, name and phone: one row per such key (and ID tail).
            models.UniqueConstraint(fields=["compound", "name", "phone", "id_tail"], name="owner_unique_in_compound"),
        ]

    def __str__(self):
        return self.name


class OwnerUnit(models.Model):
    """One unit (专有部分) of the owners' roll with its owner and exclusive floor area. ``owner_name`` and
    ``owner_phone`` repeat the owner's as the roll shows them (the services keep them in step). A retired unit
    (merged, demolished, entered by mistake) stays for the votes that froze it but leaves the roll."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="owner_units", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        "communities.Building", on_delete=models.PROTECT, related_name="owner_units", verbose_name=_("building")
    )
    stairwell = models.PositiveSmallIntegerField(_("stairwell"), default=1)
    unit = models.CharField(_("unit"), max_length=20)
    owner_name = models.CharField(_("owner"), max_length=50)
    owner_phone = models.CharField(_("phone"), max_length=20, blank=True)
    owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, null=True, related_name="units", verbose_name=_("owner record")
    )
    area = models.DecimalField(
        _("exclusive floor area (m²)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CompoundScoped.as_manager()

    class Meta:
        verbose_name = _("owners' roll entry")
        verbose_name_plural = _("owners' roll")
        ordering = ["building_id", "stairwell", "unit"]
        constraints = [
            # A retired unit's label may be used again (a unit split or re-entered): unique among current units.
            models.UniqueConstraint(
                fields=["building", "unit"], condition=Q(retired_at__isnull=True), name="owner_unit_unique_in_building"
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="owner_unit_area_positive"),
        ]

    def __str__(self):
        return f"{self.building.number} {self.unit}"


class UnitChangeQuerySet(ScopedQuerySet):
    compound_path = "owner_unit__compound__"


class UnitChange(models.Model):
    """The history of one roll unit: who added, edited or retired it, when, and what changed (old → new)."""

    class Action(models.TextChoices):
        ADDED = "added", _("Added")
        IMPORTED = "imported", _("Imported")
        EDITED = "edited", _("Edited")
        RETIRED = "retired", _("Retired")

    owner_unit = models.ForeignKey(OwnerUnit, on_delete=models.CASCADE, related_name="changes", verbose_name=_("unit"))
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)  # {field: [old, new]}
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    objects = UnitChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("roll unit change")
        verbose_name_plural = _("roll unit changes")
        ordering = ["-created_at", "-id"]


class VoteQuerySet(ScopedQuerySet):
    compound_path = "topic__compound__"


class Vote(models.Model):
    """Owners' vote on a topic. The electorate (units and their areas) is frozen when the vote opens."""

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="votes", verbose_name=_("topic"))
    title = models.CharField(_("question"), max_length=200)
    matter_type = models.CharField(_("matter"), max_length=30, choices=MatterType.choices)
    electorate = models.CharField(
        _("electorate"), max_length=20, choices=Electorate.choices, default=Electorate.COMPOUND
    )
    building = models.ForeignKey(
        "communities.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="votes",
        verbose_name=_("building"),
    )
    stairwell = models.PositiveSmallIntegerField(_("stairwell"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    result = models.CharField(_("result"), max_length=30, choices=VoteResult.choices, blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("organiser")
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(electorate=Electorate.COMPOUND, building__isnull=True, stairwell__isnull=True)
                | Q(electorate=Electorate.BUILDING, building__isnull=False, stairwell__isnull=True)
                | Q(electorate=Electorate.STAIRWELL, building__isnull=False, stairwell__isnull=False),
                name="vote_electorate_matches_its_fields",
            ),
        ]

    def __str__(self):
        return self.title


class LeadElectionQuerySet(ScopedQuerySet):
    compound_path = "vote__topic__compound__"


class LeadElection(models.Model):
    """An owners' vote of one building that elects its building lead (楼栋长): the vote asks whether the candidate
    should lead the building; when it closes passed, ``vote_close`` records the candidate as the building's lead
    through ``communities.services.building_lead_record`` and links the record here (``lead``). The link lives on
    this side: communities knows nothing of votes."""

    vote = models.OneToOneField(Vote, on_delete=models.CASCADE, related_name="lead_election", verbose_name=_("vote"))
    candidate_name = models.CharField(_("candidate"), max_length=50)
    candidate_phone = models.CharField(_("candidate's private phone"), max_length=20, blank=True)
    service_phone = models.CharField(_("published service phone"), max_length=20, blank=True)
    term_starts_on = models.DateField(_("term starts on"), null=True, blank=True)
    term_ends_on = models.DateField(_("term ends on"), null=True, blank=True)
    lead = models.OneToOneField(
        "communities.BuildingLead",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="election",
        verbose_name=_("building lead recorded"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = LeadElectionQuerySet.as_manager()

    class Meta:
        verbose_name = _("building lead election")
        verbose_name_plural = _("building lead elections")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.vote} · {self.candidate_name}"


class VoterQuerySet(ScopedQuerySet):
    compound_path = "vote__topic__compound__"


class Voter(models.Model):
    """A unit entitled to vote, with the owner and area as they were when the vote opened."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="voters", verbose_name=_("vote"))
    owner_unit = models.ForeignKey(OwnerUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    unit_label = models.CharField(_("unit"), max_length=40)
    owner_name = models.CharField(_("owner"), max_length=50)
    # The owner frozen at opening: Article 278 counts one head per owner. Empty for votes opened before owners
    # were recorded — each unit then counts as its own head, as it was counted then.
    owner = models.ForeignKey(
        Owner, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner record")
    )
    area = models.DecimalField(_("area (m²)"), max_digits=9, decimal_places=2)

    objects = VoterQuerySet.as_manager()

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        ordering = ["unit_label"]
        constraints = [models.UniqueConstraint(fields=["vote", "owner_unit"], name="voter_once_per_vote")]

    def __str__(self):
        return self.unit_label


class BallotQuerySet(ScopedQuerySet):
    compound_path = "voter__vote__topic__compound__"


class Ballot(models.Model):
    """One unit's ballot, entered by staff (``entered_by``) with its evidence: the scan of a paper ballot, the
    online platform's confirmation reference, or for a ballot entered on the owner's behalf an attachment or a
    confirmation reference (ballot_record enforces which)."""

    voter = models.OneToOneField(Voter, on_delete=models.CASCADE, related_name="ballot", verbose_name=_("voter"))
    choice = models.CharField(_("choice"), max_length=10, choices=BallotChoice.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=BallotChannel.choices, default=BallotChannel.PAPER)
    scan = models.ImageField(_("scan or attachment"), upload_to=private_upload_to("ballots"), blank=True)
    confirmation_ref = models.CharField(_("confirmation reference"), max_length=100, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("entered by")
    )
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)

    objects = BallotQuerySet.as_manager()

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        ordering = ["id"]

    @property
    def entered_by_staff(self) -> bool:
        """Recorded by staff on the owner's behalf rather than from the owner's own paper or online ballot."""
        return self.channel == BallotChannel.STAFF


class RollImportJobQuerySet(models.QuerySet):
    compound_path = "compound__"  # read by the audit trail for the job's place ids

    def visible_to(self, user):
        """Only people who may import the compound's roll see its import jobs (they hold owners' personal data):
        the place-bound editor roles over the compound, as communities.permissions.can_change_compound decides,
        not contractors or inspectors who merely read the compound."""
        from communities.permissions import PLACE_EDITOR_ROLES
        from communities.scoping import get_scope

        scope = get_scope(user)
        if scope.is_global:
            return self
        if not user.is_authenticated or not scope.has_role(*PLACE_EDITOR_ROLES):
            return self.none()
        q = Q(pk__in=[])
        for district_id, subdistrict_id, community_id in user.roles.filter(kind__in=PLACE_EDITOR_ROLES).values_list(
            "district_id", "subdistrict_id", "community_id"
        ):
            if district_id:
                q |= Q(compound__community__subdistrict__district_id=district_id)
            if subdistrict_id:
                q |= Q(compound__community__subdistrict_id=subdistrict_id)
            if community_id:
                q |= Q(compound__community_id=community_id)
        return self.filter(q)


class RollImportJob(models.Model):
    """An import of the owners' roll run by a worker: the uploaded file (private, deleted once the job has run),
    the progress and the per-row report. All or nothing: the units are written only when every row is right."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="roll_imports", verbose_name=_("compound")
    )
    file = models.FileField(_("file"), upload_to=private_upload_to("roll-imports"), blank=True)
    file_format = models.CharField(_("file format"), max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    status = models.CharField(
        _("status"), max_length=10, choices=RollImportStatus.choices, default=RollImportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("units created"), default=0)
    updated_count = models.PositiveIntegerField(_("units updated"), default=0)
    errors = models.JSONField(
        _("errors"),
        default=list,
        blank=True,
        help_text=_("Each wrong row: its row number in the file and what is wrong."),
    )
    failure = models.TextField(_("why the file was refused"), blank=True)
    language = models.CharField(_("language of the report"), max_length=10, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RollImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("owners' roll import")
        verbose_name_plural = _("owners' roll imports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.compound_id} {self.created_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (RollImportStatus.SUCCEEDED, RollImportStatus.FAILED)


class ResidentProblem(models.Model):
    """A problem residents raise about the renovation (涉改问题), assigned, answered and resolved. Staff record
    one heard by phone or at a meeting; a resident reports one from the plate's QR code without signing in (no
    ``created_by``, channel "plate QR code"). Each gets an unguessable ``tracking_code`` for the public tracking
    page; the problem and its answer appear on the compound's public page only once staff publish them
    (``published_at``). The reporter's name and phone are never published."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="problems", verbose_name=_("compound")
    )
    building = models.ForeignKey(
        "communities.Building",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    description = models.TextField(_("problem"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.HOTLINE)
    raised_by_name = models.CharField(_("raised by"), max_length=50, blank=True)
    raised_by_phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("raised at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    tracking_code = models.CharField(_("tracking code"), max_length=12, null=True, blank=True, unique=True)
    photo = models.ImageField(_("photo"), upload_to=private_upload_to("problems"), blank=True)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=private_upload_to("problems/thumbs"), blank=True)
    published_at = models.DateTimeField(_("published on the public page at"), null=True, blank=True)

    objects = ResidentStaffScoped.as_manager()

    class Meta:
        verbose_name = _("resident problem")
        verbose_name_plural = _("resident problems")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "compound"], name="problem_status"),
            models.Index(fields=["updated_at", "id"], name="problem_updated"),
            # The public compound page: a compound's published problems, newest first.
            models.Index(
                fields=["compound", "-published_at"],
                condition=Q(published_at__isnull=False),
                name="problem_published",
            ),
        ]

    def __str__(self):
        return self.description[:40]

    @property
    def response_time(self):
        return self.answered_at - self.created_at if self.answered_at else None


class SurveyQuerySet(ResidentStaffScoped):
    compound_path = "compound__"


class Survey(models.Model):
    """The residents' satisfaction survey of a compound after handover: opened once a project of the compound is
    handed over, with one code per unit of the owners' roll (``SurveyCode``) printed on a slip for each household.
    One survey open per compound at a time."""

    compound = models.ForeignKey(
        "communities.Compound", on_delete=models.PROTECT, related_name="surveys", verbose_name=_("compound")
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("opened by")
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound"], condition=Q(closed_at__isnull=True), name="survey_one_open_per_compound"
            ),
        ]

    def __str__(self):
        return f"{self.compound} {self.opened_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SurveyCodeQuerySet(ResidentStaffScoped):
    compound_path = "survey__compound__"


class SurveyCode(models.Model):
    """One household's code for a survey: a unit of the roll, printed on its slip; answered once (``used_at``)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="codes", verbose_name=_("survey"))
    owner_unit = models.ForeignKey(OwnerUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    unit_label = models.CharField(_("unit"), max_length=40)
    code = models.CharField(_("code"), max_length=12, unique=True)
    used_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = SurveyCodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey code")
        verbose_name_plural = _("survey codes")
        ordering = ["survey_id", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "owner_unit"], name="survey_code_once_per_unit")]

    def __str__(self):
        return self.unit_label


class SurveyResponseQuerySet(ResidentStaffScoped):
    compound_path = "survey__compound__"


class SurveyResponse(models.Model):
    """A household's answer: overall satisfaction 1–5, each aspect 1–5 (optional), a comment. Anonymous: it
    keeps its code (one answer per code) but never who answered."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    code = models.OneToOneField(SurveyCode, on_delete=models.CASCADE, related_name="response", verbose_name=_("code"))
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"))
    quality = models.PositiveSmallIntegerField(_("quality of the works"), null=True, blank=True)
    site_conduct = models.PositiveSmallIntegerField(_("conduct of the works"), null=True, blank=True)
    communication = models.PositiveSmallIntegerField(_("information and listening"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    objects = SurveyResponseQuerySet.as_manager()

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(overall__gte=1, overall__lte=5), name="survey_overall_1_to_5"),
            models.CheckConstraint(
                condition=(Q(quality__isnull=True) | Q(quality__gte=1, quality__lte=5))
                & (Q(site_conduct__isnull=True) | Q(site_conduct__gte=1, site_conduct__lte=5))
                & (Q(communication__isnull=True) | Q(communication__gte=1, communication__lte=5)),
                name="survey_aspects_1_to_5",
            ),
        ]
