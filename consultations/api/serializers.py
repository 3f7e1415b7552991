from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from communities.privacy import MaskPersonalDataMixin
from consultations.choices import BallotChannel, BallotChoice, MeetingKind, OwnerKind
from consultations.models import (
    Ballot,
    LeadElection,
    Meeting,
    MeetingAttendance,
    MeetingInvitation,
    MinutesVersion,
    Need,
    Owner,
    OwnerUnit,
    ResidentProblem,
    RollImportJob,
    Survey,
    Topic,
    UnitChange,
    Vote,
    Voter,
)
from renovation_portal.api import WholeListField
from renovation_portal.serializers import StrictModelSerializer, StrictSerializer
from renovation_portal.uploads import PhotoField


class NeedSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    masked_fields = ("raised_by_phone",)

    class Meta:
        model = Need
        fields = [
            "id",
            "compound",
            "building",
            "channel",
            "category",
            "content",
            "raised_by_name",
            "raised_by_phone",
            "on_behalf_role",
            "topic",
            "recorded_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "recorded_by", "created_at", "updated_at"]


class TopicSerializer(StrictModelSerializer):
    class Meta:
        model = Topic
        fields = [
            "id",
            "compound",
            "title",
            "description",
            "step",
            "research_notes",
            "decision",
            "result_summary",
            "plan_version",
            "scope_items",
            "supervision_notes",
            "feedback",
            "feedback_published_at",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "step",
            "research_notes",
            "decision",
            "result_summary",
            "plan_version",
            "scope_items",
            "supervision_notes",
            "feedback",
            "feedback_published_at",
            "created_by",
            "created_at",
            "updated_at",
        ]


class TopicRecordSerializer(StrictSerializer):
    """The record of the topic's current step; send only that step's fields."""

    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    research_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    decision = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    result_summary = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    plan_version = serializers.IntegerField(required=False, allow_null=True)
    scope_items = WholeListField(child=serializers.IntegerField(), required=False)
    supervision_notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    feedback = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AdvanceSerializer(StrictSerializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class MeetingSerializer(StrictModelSerializer):
    """A meeting from its schedule to its minutes. POST schedules it (``buildings``: some of the compound's, none
    for the whole compound; their leads and owners are invited) — and, for a meeting recorded after the fact, may
    carry its draft, photos and ``publish``. ``attendance`` is the head count: the people signed in plus ``guests``
    (others present, not on the roll). ``minutes_due`` is never true before the meeting's date.
    ``sign_in_url`` is the page residents open from the meeting's QR code."""

    new_topic_titles = WholeListField(
        child=serializers.CharField(max_length=120), required=False, write_only=True, default=list
    )
    publish = serializers.BooleanField(required=False, default=False, write_only=True)
    photos = WholeListField(child=PhotoField(), required=False, write_only=True, default=list, max_length=10)
    guests = serializers.IntegerField(min_value=0, max_value=100000, required=False, default=0)
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=20000, default="")
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    representatives = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    minutes_due = serializers.BooleanField(read_only=True)
    minutes_overdue = serializers.BooleanField(read_only=True)
    sign_in_opens_at = serializers.DateTimeField(read_only=True)
    sign_in_closes_at = serializers.DateTimeField(read_only=True)
    sign_in_url = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "compound",
            "kind",
            "status",
            "held_at",
            "place",
            "buildings",
            "convener",
            "attendance",
            "guests",
            "representatives",
            "topics",
            "minutes",
            "decisions",
            "minutes_published_at",
            "minutes_due",
            "minutes_overdue",
            "sign_in_opens_at",
            "sign_in_closes_at",
            "sign_in_url",
            "cancelled_at",
            "cancel_reason",
            "new_topic_titles",
            "publish",
            "photos",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "status",
            "convener",
            "attendance",
            "minutes_published_at",
            "cancelled_at",
            "cancel_reason",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"kind": {"required": True}}  # a meeting is scheduled as what it is, never a guessed kind

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_sign_in_url(self, meeting):
        if not meeting.sign_in_token:
            return None
        path = reverse("meeting-public-sign-in", args=[meeting.sign_in_token])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class MeetingUpdateSerializer(StrictSerializer):
    """PATCH of a meeting (with If-Match), until its minutes are published: what was scheduled (a new date or
    place of a meeting still to come is announced as a move; new ``buildings`` change the invitations) and the
    draft (decisions, minutes, others present, representatives)."""

    kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
    held_at = serializers.DateTimeField(required=False)
    place = serializers.CharField(max_length=120, required=False)
    buildings = WholeListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False)
    topics = WholeListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False)
    new_topic_titles = WholeListField(child=serializers.CharField(max_length=120), required=False, default=list)
    guests = serializers.IntegerField(min_value=0, max_value=100000, required=False)
    representatives = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class PublishMinutesSerializer(StrictSerializer):
    minutes = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CorrectMinutesSerializer(StrictSerializer):
    minutes = serializers.CharField(max_length=20000)
    decisions = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    note = serializers.CharField(max_length=200, help_text="What the correction changes.")


class CancelMeetingSerializer(StrictSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class MeetingPhotosSerializer(StrictSerializer):
    photos = WholeListField(child=PhotoField(), max_length=10)


class SignInSerializer(StrictSerializer):
    """Tick someone present: one invitee of the meeting, or one current unit of its compound."""

    invitation = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    owner_unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class SignOutSerializer(StrictSerializer):
    attendance = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class MinutesVersionSerializer(StrictModelSerializer):
    class Meta:
        model = MinutesVersion
        fields = ["id", "meeting", "number", "minutes", "decisions", "note", "published_by", "published_at"]
        read_only_fields = fields


class MeetingInvitationSerializer(StrictModelSerializer):
    signed_in = serializers.SerializerMethodField()

    class Meta:
        model = MeetingInvitation
        fields = [
            "id",
            "meeting",
            "kind",
            "owner",
            "building_lead",
            "building",
            "name",
            "units",
            "signed_in",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.BooleanField())
    def get_signed_in(self, invitation) -> bool:
        return invitation.pk in self.context.get("signed_in", ())


class MeetingAttendanceSerializer(StrictModelSerializer):
    class Meta:
        model = MeetingAttendance
        fields = [
            "id",
            "meeting",
            "invitation",
            "owner_unit",
            "name",
            "unit_label",
            "channel",
            "recorded_by",
            "signed_in_at",
        ]
        read_only_fields = fields


class OwnerUnitSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    """A unit of the roll. POST adds one (``owner`` is an owner of the same compound; ``owner_name`` and
    ``owner_phone`` repeat the owner's); ``retired_at`` is set once the unit is retired (it stays listed, so a
    synced client learns of it)."""

    masked_fields = ("owner_phone",)
    owner = serializers.PrimaryKeyRelatedField(queryset=Owner.objects.all())
    stairwell = serializers.IntegerField(min_value=1, max_value=99, default=1)
    unit = serializers.CharField(max_length=40)
    area = serializers.CharField(max_length=20, help_text="m², positive, at most two decimals")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, write_only=True)

    class Meta:
        model = OwnerUnit
        fields = [
            "id",
            "compound",
            "building",
            "stairwell",
            "unit",
            "owner",
            "owner_name",
            "owner_phone",
            "area",
            "note",
            "retired_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner_name", "owner_phone", "retired_at", "updated_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["area"] = str(instance.area)
        return data


class OwnerUnitUpdateSerializer(StrictSerializer):
    """PATCH of a unit: its area, owner or stairwell (with If-Match); the unit's history records the change."""

    area = serializers.CharField(max_length=20, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=Owner.objects.all(), required=False)
    stairwell = serializers.IntegerField(min_value=1, max_value=99, required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RetireSerializer(StrictSerializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class UnitChangeSerializer(StrictModelSerializer):
    class Meta:
        model = UnitChange
        fields = ["id", "owner_unit", "action", "changes", "note", "actor", "created_at"]


class OwnerSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    """An owner of the compound and their current units (an owner of several units is one head in a vote)."""

    masked_fields = ("phone", "id_tail")
    kind = serializers.ChoiceField(choices=OwnerKind.choices, default=OwnerKind.PERSON)
    units = serializers.SerializerMethodField()

    class Meta:
        model = Owner
        fields = ["id", "compound", "kind", "name", "phone", "id_tail", "units", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"phone": {"required": False}, "id_tail": {"required": False}}
        validators = []  # owner_create refuses a duplicate with its own code (owner_exists), as the web form does

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_units(self, owner):
        return [unit.pk for unit in owner.units.all() if unit.retired_at is None]


class OwnerUpdateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=OwnerKind.choices, required=False)
    name = serializers.CharField(max_length=50, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    id_tail = serializers.CharField(max_length=4, required=False, allow_blank=True)


class RollImportSerializer(StrictSerializer):
    compound = serializers.IntegerField()
    file = serializers.FileField()


class ImportReportSerializer(StrictSerializer):
    ok = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


class RollImportRowErrorSerializer(StrictSerializer):
    row = serializers.IntegerField()
    message = serializers.CharField()


class RollImportJobSerializer(StrictModelSerializer):
    """An owners' roll import run by a worker: poll it until ``status`` is ``succeeded`` or ``failed``."""

    created = serializers.IntegerField(source="created_count", read_only=True)
    updated = serializers.IntegerField(source="updated_count", read_only=True)
    errors = RollImportRowErrorSerializer(many=True, read_only=True)
    finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = RollImportJob
        fields = [
            "id",
            "compound",
            "status",
            "finished",
            "rows_total",
            "rows_done",
            "created",
            "updated",
            "errors",
            "failure",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RollImportAcceptedSerializer(RollImportJobSerializer):
    url = serializers.URLField(read_only=True, help_text="The job's URL (also in the Location header): poll it.")

    class Meta(RollImportJobSerializer.Meta):
        fields = [*RollImportJobSerializer.Meta.fields, "url"]
        read_only_fields = fields


class TallySerializer(StrictSerializer):
    total_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_owners = serializers.IntegerField(
        help_text="Owners by head: an owner of several units of the electorate counts once (the units' owner frozen "
        "when the vote opened)."
    )
    voted_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    voted_owners = serializers.IntegerField()
    for_area = serializers.DecimalField(max_digits=14, decimal_places=2)
    for_owners = serializers.IntegerField()
    against_owners = serializers.IntegerField()
    abstain_owners = serializers.IntegerField()
    participation_met = serializers.BooleanField()
    approval_met = serializers.BooleanField()
    passed = serializers.BooleanField()
    area_still_needed = serializers.DecimalField(max_digits=14, decimal_places=2)
    owners_still_needed = serializers.IntegerField()
    paper_ballots = serializers.IntegerField()
    online_ballots = serializers.IntegerField()
    staff_entered_ballots = serializers.IntegerField(
        help_text="Ballots staff entered on the owners' behalf (not the owners' own paper or online ballots)."
    )


class VoteSerializer(StrictModelSerializer):
    tally = serializers.SerializerMethodField()

    class Meta:
        model = Vote
        fields = [
            "id",
            "topic",
            "title",
            "matter_type",
            "electorate",
            "building",
            "stairwell",
            "status",
            "result",
            "organiser",
            "opened_at",
            "closed_at",
            "tally",
            "updated_at",
        ]
        read_only_fields = ["id", "status", "result", "organiser", "opened_at", "closed_at", "updated_at"]

    @extend_schema_field(TallySerializer)
    def get_tally(self, vote):
        from consultations.services import vote_tally

        return TallySerializer(vote_tally(vote)).data if vote.status != "draft" else None


class VoterSerializer(StrictModelSerializer):
    choice = serializers.CharField(source="ballot.choice", default=None, read_only=True)
    channel = serializers.CharField(source="ballot.channel", default=None, read_only=True)
    entered_by_staff = serializers.BooleanField(source="ballot.entered_by_staff", default=None, read_only=True)
    entered_by = serializers.IntegerField(source="ballot.entered_by_id", default=None, read_only=True)

    class Meta:
        model = Voter
        fields = [
            "id",
            "unit_label",
            "owner",
            "owner_name",
            "area",
            "choice",
            "channel",
            "entered_by_staff",
            "entered_by",
        ]


class BallotSerializer(StrictModelSerializer):
    """A ballot entered by staff with its evidence: ``paper`` needs ``scan``; ``online`` (the owner voted on the
    online platform) needs ``confirmation_ref``; ``staff`` (entered on the owner's behalf) needs ``scan`` (any
    attachment image) or ``confirmation_ref``."""

    choice = serializers.ChoiceField(choices=BallotChoice.choices)
    scan = PhotoField(required=False)
    channel = serializers.ChoiceField(choices=BallotChannel.choices, default=BallotChannel.PAPER)
    entered_by_staff = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "voter",
            "choice",
            "channel",
            "scan",
            "confirmation_ref",
            "entered_by",
            "entered_by_staff",
            "cast_at",
        ]
        read_only_fields = ["id", "entered_by", "cast_at"]
        extra_kwargs = {"confirmation_ref": {"required": False}}


class ProblemSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    masked_fields = ("raised_by_phone",)

    class Meta:
        model = ResidentProblem
        fields = [
            "id",
            "compound",
            "building",
            "description",
            "channel",
            "raised_by_name",
            "raised_by_phone",
            "status",
            "assigned_to",
            "answer",
            "answered_at",
            "resolved_at",
            "created_at",
            "updated_at",
            "tracking_code",
            "published_at",
            "has_photo",
        ]
        read_only_fields = [
            "id",
            "status",
            "answer",
            "answered_at",
            "resolved_at",
            "created_at",
            "updated_at",
            "tracking_code",
            "published_at",
        ]

    has_photo = serializers.SerializerMethodField()

    def get_has_photo(self, problem) -> bool:
        return bool(problem.photo)


class AnswerSerializer(StrictSerializer):
    answer = serializers.CharField(max_length=5000)
    resolved = serializers.BooleanField(required=False, default=False)


class ProblemPublishSerializer(StrictSerializer):
    """``published``: show the problem, its status and its answer on the compound's public page (never the
    reporter's name or phone), or take them off."""

    published = serializers.BooleanField()


class SurveySerializer(StrictModelSerializer):
    """A satisfaction survey after handover and its figures: ``codes`` printed, ``responses`` received,
    ``response_rate`` (percent) and the average of each 1–5 rating."""

    codes = serializers.SerializerMethodField()
    responses = serializers.SerializerMethodField()
    response_rate = serializers.SerializerMethodField()
    averages = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "compound",
            "opened_at",
            "closed_at",
            "updated_at",
            "codes",
            "responses",
            "response_rate",
            "averages",
        ]
        read_only_fields = fields

    def get_codes(self, survey) -> int:
        return survey.code_count

    def get_responses(self, survey) -> int:
        return survey.response_count

    def get_response_rate(self, survey) -> int | None:
        return round(100 * survey.response_count / survey.code_count) if survey.code_count else None

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                name: {"type": "number", "nullable": True}
                for name in ("overall", "quality", "site_conduct", "communication")
            },
        }
    )
    def get_averages(self, survey) -> dict:
        return {
            name: (round(float(value), 2) if value is not None else None)
            for name, value in (
                ("overall", survey.avg_overall),
                ("quality", survey.avg_quality),
                ("site_conduct", survey.avg_site_conduct),
                ("communication", survey.avg_communication),
            )
        }


class SurveyOpenSerializer(StrictSerializer):
    compound = serializers.IntegerField()


class LeadElectionSerializer(MaskPersonalDataMixin, StrictModelSerializer):
    """A building's owners' vote that elects its lead; ``lead`` is the building-lead record once the vote passed
    (GET /api/v1/building-leads/{lead}/)."""

    masked_fields = ("candidate_phone",)
    building = serializers.IntegerField(source="vote.building_id", read_only=True)
    topic = serializers.IntegerField(source="vote.topic_id", read_only=True)
    status = serializers.CharField(source="vote.status", read_only=True)
    result = serializers.CharField(source="vote.result", read_only=True)

    class Meta:
        model = LeadElection
        fields = [
            "id",
            "vote",
            "topic",
            "building",
            "status",
            "result",
            "candidate_name",
            "candidate_phone",
            "service_phone",
            "term_starts_on",
            "term_ends_on",
            "lead",
            "created_at",
        ]
        read_only_fields = fields


class LeadElectionCreateSerializer(StrictSerializer):
    """A candidate for building lead put to the vote of the building's owners: a draft vote of the topic (at the
    deliberation step), opened, balloted and closed like any vote (/api/v1/votes/{vote}/open/ ...)."""

    topic = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    building = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    candidate_name = serializers.CharField(max_length=50)
    candidate_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    service_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    term_starts_on = serializers.DateField(required=False, allow_null=True, default=None)
    term_ends_on = serializers.DateField(required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
