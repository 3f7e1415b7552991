from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from communities.models import Building, Compound
from communities.scoping import get_object_for, get_scope
from consultations import selectors, services
from consultations.api import serializers as s
from consultations.filtersets import ProblemFilterSet
from consultations.models import (
    Ballot,
    LeadElection,
    Meeting,
    MeetingAttendance,
    MeetingInvitation,
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
from projects.models import PlanVersion, ScopeItem
from renovation_portal.api import ConcurrencyControlMixin, KeysetPagination
from renovation_portal.errors import DomainError
from renovation_portal.parsers import JSONParser
from renovation_portal.sync import UpdatedSinceFilterSet
from renovation_portal.values_lists import ValuesListMixin

STEP_CODES = [
    "step_record_missing",
    "last_step",
    "wrong_step_record",
    "not_feedback_step",
    "foreign_plan",
    "foreign_item",
    "required",
]


def _compound(request, pk):
    return get_object_for(request.user, Compound.objects.all(), pk)


class NeedFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Need
        fields = ["compound", "topic", "channel", "category", "updated_since"]


@extend_validation_errors(
    ["foreign_building", "foreign_topic", "required"], field_name="non_field_errors", actions=["create"]
)
class NeedViewSet(ValuesListMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Residents' needs (搜集需求) of the user's compounds."""

    serializer_class = s.NeedSerializer
    filterset_class = NeedFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Need.objects.none()

    def get_queryset(self):
        return Need.objects.visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = _compound(self.request, data.pop("compound").pk)
        serializer.instance = services.need_record(actor=self.request.user, compound=compound, **data)


class TopicFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Topic
        fields = ["compound", "step", "updated_since"]


@extend_validation_errors(STEP_CODES, field_name="non_field_errors", actions=["record", "advance"])
class TopicViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Topics and the seven steps: ``record`` fills the current step's record, ``advance`` moves to the next."""

    serializer_class = s.TopicSerializer
    filterset_class = TopicFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Topic.objects.none()

    def get_queryset(self):
        return Topic.objects.visible_to(self.request.user).prefetch_related("scope_items")

    def perform_create(self, serializer):
        data = serializer.validated_data
        compound = _compound(self.request, data["compound"].pk)
        serializer.instance = services.topic_create(
            actor=self.request.user, compound=compound, title=data["title"], description=data.get("description", "")
        )

    @extend_schema(request=s.TopicRecordSerializer, responses={200: s.TopicSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        topic = get_object_for(request.user, self.get_queryset(), pk)
        body = s.TopicRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "plan_version" in data:
            plan_id = data["plan_version"]
            data["plan_version"] = get_object_for(request.user, PlanVersion.objects.all(), plan_id) if plan_id else None
        if "scope_items" in data:
            data["scope_items"] = list(ScopeItem.objects.visible_to(request.user).filter(pk__in=data["scope_items"]))
        feedback = data.pop("feedback", None)
        if feedback is not None:
            topic = services.topic_publish_feedback(actor=request.user, topic=topic, feedback=feedback)
        if data:
            topic = services.topic_record(actor=request.user, topic=topic, **data)
        return Response(s.TopicSerializer(self.get_queryset().get(pk=topic.pk)).data)

    @extend_schema(request=s.AdvanceSerializer, responses={200: s.TopicSerializer})
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        topic = get_object_for(request.user, self.get_queryset(), pk)
        body = s.AdvanceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        topic = services.topic_advance(actor=request.user, topic=topic, note=body.validated_data["note"])
        return Response(s.TopicSerializer(self.get_queryset().get(pk=topic.pk)).data)


class MeetingFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Meeting
        fields = ["compound", "kind", "status", "updated_since"]


@extend_validation_errors(["photo_invalid", "photo_too_many_pixels"], field_name="photos", actions=["create", "photos"])
class MeetingViewSet(
    ConcurrencyControlMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Consultation meetings, from invitation to minutes, to those who run the compound's consultations and the
    officials above them (never contractors or inspectors: they name residents). POST schedules one; PATCH (with
    If-Match) changes it until its minutes are published; ``cancel`` calls it off; ``invitations`` lists who is
    invited; ``sign_in``/``sign_out`` tick people present (``attendances`` lists them; residents also sign in
    themselves from the meeting's QR code, ``sign_in_url``); ``photos`` adds photos; ``publish`` publishes the
    minutes; ``correct`` publishes a correction as a new version (``versions`` lists them)."""

    serializer_class = s.MeetingSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_class = MeetingFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Meeting.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return self.locked_queryset(selectors.meetings(self.request.user).prefetch_related("topics", "buildings"))

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.MeetingUpdateSerializer
        return super().get_serializer_class()

    def get_object(self):
        return get_object_for(
            self.request.user, self.get_queryset(), self.kwargs["pk"], action=_changing(self.request), can=_can_manage
        )

    def _fresh(self, meeting):
        return s.MeetingSerializer(
            selectors.meetings(self.request.user).prefetch_related("topics", "buildings").get(pk=meeting.pk),
            context=self.get_serializer_context(),
        ).data

    def _buildings(self, compound_id, ids):
        found = list(Building.objects.filter(pk__in=ids, compound_id=compound_id))
        if len(found) != len(set(ids)):
            raise DomainError(_("A building is not in this compound."), code="foreign_building", field="buildings")
        return found

    def _topics(self, ids):
        return [get_object_for(self.request.user, Topic.objects.all(), pk) for pk in ids]

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = _compound(self.request, data.pop("compound").pk)
        topics = self._topics([t.pk for t in data.pop("topics", [])])
        buildings = self._buildings(compound.pk, [b.pk for b in data.pop("buildings", [])])
        meeting = services.meeting_log(
            actor=self.request.user, compound=compound, topics=topics, buildings=buildings, **data
        )
        serializer.instance = (
            selectors.meetings(self.request.user).prefetch_related("topics", "buildings").get(pk=meeting.pk)
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        meeting = serializer.instance
        draft = {name: data.pop(name) for name in ("guests", "representatives", "minutes", "decisions") if name in data}
        if "buildings" in data:
            data["buildings"] = self._buildings(meeting.compound_id, data["buildings"])
        if "topics" in data:
            data["topics"] = self._topics(data["topics"])
        if data.keys() - {"new_topic_titles"} or data.get("new_topic_titles"):
            services.meeting_update(actor=self.request.user, meeting=meeting, **data)
        if draft:
            services.meeting_record(actor=self.request.user, meeting=meeting, **draft)
        serializer.instance = (
            selectors.meetings(self.request.user).prefetch_related("topics", "buildings").get(pk=meeting.pk)
        )

    def _managed(self, request, pk):
        return get_object_for(request.user, selectors.meetings(request.user), pk, action="change", can=_can_manage)

    @extend_schema(request=s.CancelMeetingSerializer, responses={200: s.MeetingSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def cancel(self, request, pk=None):
        """Call the meeting off (before anyone signed in); those concerned are notified with the reason."""
        meeting = self._managed(request, pk)
        body = s.CancelMeetingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.meeting_cancel(actor=request.user, meeting=meeting, reason=body.validated_data["reason"])
        return Response(self._fresh(meeting))

    @extend_schema(request=s.PublishMinutesSerializer, responses={200: s.MeetingSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def publish(self, request, pk=None):
        """Publish the minutes (after the meeting): the first version; the compound's public page shows them."""
        meeting = self._managed(request, pk)
        body = s.PublishMinutesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        meeting = services.meeting_publish_minutes(actor=request.user, meeting=meeting, **body.validated_data)
        return Response(self._fresh(meeting))

    @extend_schema(request=s.CorrectMinutesSerializer, responses={201: s.MinutesVersionSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def correct(self, request, pk=None):
        """Correct published minutes: a new version saying what it changes; earlier versions are kept."""
        meeting = self._managed(request, pk)
        body = s.CorrectMinutesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = services.meeting_correct_minutes(actor=request.user, meeting=meeting, **body.validated_data)
        return Response(s.MinutesVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.MinutesVersionSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def versions(self, request, pk=None):
        """The published versions of the minutes, the first first."""
        meeting = get_object_for(request.user, selectors.meetings(request.user), pk)
        return Response(s.MinutesVersionSerializer(meeting.minutes_versions.order_by("number"), many=True).data)

    @extend_schema(responses={200: s.MeetingInvitationSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def invitations(self, request, pk=None):
        """Who is invited (the buildings' current leads, the owners on the roll with their units), and who of
        them signed in."""
        meeting = get_object_for(request.user, selectors.meetings(request.user), pk)
        signed = set(meeting.attendances.exclude(invitation=None).values_list("invitation_id", flat=True))
        invitations = meeting.invitations.order_by("building_id", "kind", "name", "id")
        return Response(s.MeetingInvitationSerializer(invitations, many=True, context={"signed_in": signed}).data)

    @extend_schema(responses={200: s.MeetingAttendanceSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def attendances(self, request, pk=None):
        """Everyone signed in: ticked on the roll by staff, or with the QR code."""
        meeting = get_object_for(request.user, selectors.meetings(request.user), pk)
        return Response(
            s.MeetingAttendanceSerializer(meeting.attendances.order_by("signed_in_at", "id"), many=True).data
        )

    @extend_schema(request=s.SignInSerializer, responses={201: s.MeetingAttendanceSerializer})
    @action(detail=True, methods=["post"], url_path="sign-in", filterset_class=None)
    def sign_in(self, request, pk=None):
        """Tick someone present: ``invitation`` (one of this meeting's) or ``owner_unit`` (a current unit of the
        compound), from an hour before the meeting until its minutes are published. Once per invitee and unit."""
        meeting = self._managed(request, pk)
        body = s.SignInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation_id, unit_id = body.validated_data.get("invitation"), body.validated_data.get("owner_unit")
        invitation = MeetingInvitation.objects.filter(pk=invitation_id).first() if invitation_id else None
        if invitation_id and invitation is None:
            raise DomainError(_("This person is not invited to this meeting."), code="not_invited", field="invitation")
        unit = OwnerUnit.objects.filter(pk=unit_id).first() if unit_id else None
        if unit_id and unit is None:
            raise DomainError(_("Choose a current unit of this compound."), code="unknown_unit", field="owner_unit")
        attendance = services.meeting_sign_in(
            actor=request.user, meeting=meeting, invitation=invitation, owner_unit=unit
        )
        return Response(s.MeetingAttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SignOutSerializer, responses={200: s.MeetingSerializer})
    @action(detail=True, methods=["post"], url_path="sign-out", filterset_class=None)
    def sign_out(self, request, pk=None):
        """Undo a sign-in (until the minutes are published)."""
        meeting = self._managed(request, pk)
        body = s.SignOutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attendance = MeetingAttendance.objects.filter(pk=body.validated_data["attendance"]).first()
        if attendance is None:
            raise DomainError(_("This sign-in belongs to another meeting."), code="not_signed_in", field="attendance")
        meeting = services.meeting_sign_out(actor=request.user, meeting=meeting, attendance=attendance)
        return Response(self._fresh(meeting))

    @extend_schema(request=s.MeetingPhotosSerializer, responses={200: s.MeetingSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], filterset_class=None)
    def photos(self, request, pk=None):
        """Add photos of the meeting (multipart, ``photos``), until its minutes are published."""
        meeting = self._managed(request, pk)
        body = s.MeetingPhotosSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.meeting_add_photos(actor=request.user, meeting=meeting, photos=body.validated_data["photos"])
        return Response(self._fresh(meeting))


class OwnerUnitFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = OwnerUnit
        fields = ["compound", "building", "stairwell", "updated_since"]


ROLL_ROLES = ("district_official", "subdistrict_official", "community_secretary")


def _roll_visible(user, queryset):
    """The roll (owners' personal data) only to those who may run consultations; scoped to their places."""
    if not get_scope(user).has_role(*ROLL_ROLES):
        return queryset.none()
    return queryset.visible_to(user)


def _changing(request) -> str:
    return "view" if request.method in ("GET", "HEAD", "OPTIONS") else "change"


def _can_manage(user, obj) -> bool:
    return services.can_manage(user, obj.compound)


def _owner(request, owner):
    """The owner named in the body, as the user may see it (404 otherwise)."""
    return None if owner is None else get_object_for(request.user, Owner.objects.all(), owner.pk)


UNIT_CODES = ["bad_area", "bad_unit", "bad_stairwell", "unit_exists", "foreign_owner", "building_required"]


@extend_validation_errors(UNIT_CODES + ["unit_retired"], field_name="non_field_errors", actions=["create"])
@extend_validation_errors(
    ["bad_area", "bad_stairwell", "foreign_owner", "unit_retired"],
    field_name="non_field_errors",
    actions=["partial_update", "retire"],
)
@extend_validation_errors(
    ["bad_file", "bad_header", "too_many_rows"], field_name="non_field_errors", actions=["import_roll"]
)
@extend_validation_errors(
    ["invalid_rows", "bad_file", "bad_header", "too_many_rows"], field_name="file", actions=["import_roll"]
)
class OwnerUnitViewSet(
    ConcurrencyControlMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The owners' roll, to those who run the compound's consultations: POST adds a unit, PATCH (with If-Match)
    changes its area, owner or stairwell, ``retire`` takes it off the roll (never deleted), ``history`` lists its
    changes; ``import`` loads a CSV/XLSX file."""

    serializer_class = s.OwnerUnitSerializer
    filterset_class = OwnerUnitFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = OwnerUnit.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return self.locked_queryset(_roll_visible(self.request.user, OwnerUnit.objects.select_related("compound")))

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.OwnerUnitUpdateSerializer
        return super().get_serializer_class()

    def get_object(self):
        return get_object_for(
            self.request.user, self.get_queryset(), self.kwargs["pk"], action=_changing(self.request), can=_can_manage
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = _compound(self.request, data.pop("compound").pk)
        serializer.instance = services.owner_unit_add(
            actor=self.request.user, compound=compound, owner=_owner(self.request, data.pop("owner")), **data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        if "owner" in data:
            data["owner"] = _owner(self.request, data["owner"])
        serializer.instance = services.owner_unit_update(
            actor=self.request.user, owner_unit=serializer.instance, **data
        )

    @extend_schema(request=s.RetireSerializer, responses={200: s.OwnerUnitSerializer})
    @action(detail=True, methods=["post"], serializer_class=s.RetireSerializer, filterset_class=None)
    def retire(self, request, pk=None):
        """Take the unit off the roll: later votes leave it out, votes already open keep it."""
        unit = self.get_object()
        body = s.RetireSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = services.owner_unit_retire(actor=request.user, owner_unit=unit, note=body.validated_data["note"])
        return Response(s.OwnerUnitSerializer(unit, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: s.UnitChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def history(self, request, pk=None):
        """Who added, edited or retired the unit, when, and what changed (old → new)."""
        unit = self.get_object()
        return Response(s.UnitChangeSerializer(UnitChange.objects.filter(owner_unit=unit), many=True).data)

    @extend_schema(
        request=s.RollImportSerializer, responses={201: s.ImportReportSerializer, 202: s.RollImportAcceptedSerializer}
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=s.RollImportSerializer,
        filterset_class=None,
        pagination_class=None,
    )
    def import_roll(self, request):
        """A file of up to 2,000 rows is imported at once: 201 with the counts, or 400 with one error per wrong row
        and nothing imported. A larger file is imported by a worker: 202 with the job (``Location`` is its URL;
        poll ``GET /api/v1/roll-imports/{id}/``), all or nothing just the same."""
        body = s.RollImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        compound = _compound(request, body.validated_data["compound"])
        result = services.owner_roll_submit(actor=request.user, compound=compound, upload=body.validated_data["file"])
        if isinstance(result, RollImportJob):
            result.refresh_from_db()  # a job run in-process (no broker) has already finished
            url = reverse("api:roll-import-detail", args=[result.pk], request=request)
            return Response(
                {**s.RollImportJobSerializer(result).data, "url": url},
                status=status.HTTP_202_ACCEPTED,
                headers={"Location": url},
            )
        if not result.ok:
            return Response(
                {
                    "type": "validation_error",
                    "errors": [
                        {"code": "invalid_rows", "detail": f"Row {row}: {message}", "attr": "file"}
                        for row, message in result.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = {"ok": True, "created": result.created, "updated": result.updated, "errors": []}
        return Response(data, status=status.HTTP_201_CREATED)


class OwnerFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Owner
        fields = ["compound", "kind", "updated_since"]


@extend_validation_errors(
    ["required", "bad_name", "bad_phone", "bad_id_tail", "bad_kind", "owner_exists"],
    field_name="non_field_errors",
    actions=["create", "partial_update"],
)
class OwnerViewSet(
    ConcurrencyControlMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Owners of the roll with their current units: a person, the developer holding unsold units, or the housing
    authority. An owner of several units is one head in a vote. PATCH with If-Match."""

    serializer_class = s.OwnerSerializer
    filterset_class = OwnerFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Owner.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        owners = Owner.objects.select_related("compound").prefetch_related(
            Prefetch("units", queryset=OwnerUnit.objects.only("id", "owner_id", "retired_at").order_by("pk"))
        )
        return self.locked_queryset(_roll_visible(self.request.user, owners))

    def get_serializer_class(self):
        if self.action == "partial_update":
            return s.OwnerUpdateSerializer
        return super().get_serializer_class()

    def get_object(self):
        return get_object_for(
            self.request.user, self.get_queryset(), self.kwargs["pk"], action=_changing(self.request), can=_can_manage
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = _compound(self.request, data.pop("compound").pk)
        serializer.instance = services.owner_create(actor=self.request.user, compound=compound, **data)

    def perform_update(self, serializer):
        serializer.instance = services.owner_update(
            actor=self.request.user, owner=serializer.instance, **serializer.validated_data
        )


class RollImportJobViewSet(viewsets.ReadOnlyModelViewSet):
    """Owners' roll imports run by a worker: status, progress (rows checked of rows) and the per-row report. Seen
    only by those who may import the compound's roll."""

    serializer_class = s.RollImportJobSerializer
    filterset_fields = ["compound", "status"]
    queryset = RollImportJob.objects.none()

    def get_queryset(self):
        return RollImportJob.objects.visible_to(self.request.user).order_by("-created_at", "-id")


class VoteFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Vote
        fields = ["topic", "status", "updated_since"]


@extend_validation_errors(
    [
        "wrong_step",
        "building_required",
        "stairwell_required",
        "required",
        "not_draft",
        "empty_electorate",
        "vote_not_open",
    ],
    field_name="non_field_errors",
    actions=["create", "open", "close"],
)
class VoteViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Owners' votes with their tally; ``open`` freezes the electorate, ``close`` counts and decides."""

    serializer_class = s.VoteSerializer
    filterset_class = VoteFilterSet
    queryset = Vote.objects.none()

    def get_queryset(self):
        return selectors.votes(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        topic = get_object_for(self.request.user, Topic.objects.all(), data.pop("topic").pk)
        serializer.instance = services.vote_create(actor=self.request.user, topic=topic, **data)

    def _transition(self, request, pk, service):
        vote = get_object_for(request.user, self.get_queryset(), pk)
        service(actor=request.user, vote=vote)
        return Response(s.VoteSerializer(self.get_queryset().get(pk=vote.pk)).data)

    @extend_schema(request=None, responses={200: s.VoteSerializer})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return self._transition(request, pk, services.vote_open)

    @extend_schema(request=None, responses={200: s.VoteSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._transition(request, pk, services.vote_close)

    @extend_schema(responses={200: s.VoterSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def voters(self, request, pk=None):
        """The frozen electorate with each unit's ballot: only to the organiser and officials."""
        vote = get_object_for(request.user, self.get_queryset(), pk)
        if not services.may_see_ballots(request.user, vote):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied()
        # Not vote.voters: that is the selector's prefetch, which loads only what the tally needs.
        voters = Voter.objects.filter(vote=vote).select_related("ballot").order_by("unit_label")
        return Response(s.VoterSerializer(voters, many=True).data)


@extend_validation_errors(
    [
        "vote_not_open",
        "not_in_electorate",
        "scan_required",
        "confirmation_required",
        "evidence_required",
        "bad_channel",
        "bad_confirmation_ref",
        "already_voted",
        "photo_invalid",
        "photo_type",
        "photo_too_large",
        "photo_too_many_pixels",
    ],
    field_name="non_field_errors",
    actions=["create"],
)
@extend_validation_errors(["photo_too_many_pixels"], field_name="scan", actions=["create"])
class BallotViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Ballots: staff enter them with their evidence (see the channel); visible to the vote's organiser and
    officials."""

    serializer_class = s.BallotSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["voter__vote"]
    queryset = Ballot.objects.none()

    def get_queryset(self):
        user = self.request.user
        scope = get_scope(user)
        ballots = Ballot.objects.visible_to(user)
        if scope.is_global:
            return ballots
        if scope.is_official:
            return ballots
        return ballots.filter(voter__vote__organiser=user)

    def perform_create(self, serializer):
        data = serializer.validated_data
        voter = data["voter"]
        vote = get_object_for(self.request.user, Vote.objects.all(), voter.vote_id)
        serializer.instance = services.ballot_record(
            actor=self.request.user,
            vote=vote,
            voter=voter,
            choice=data["choice"],
            channel=data["channel"],
            scan=data.get("scan"),
            confirmation_ref=data.get("confirmation_ref", ""),
        )


@extend_validation_errors(
    ["required", "foreign_building", "already_resolved"], field_name="non_field_errors", actions=["create", "answer"]
)
@extend_validation_errors(["invalid_assignee"], field_name="assigned_to", actions=["create"])
class ProblemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Residents' problems about the renovation; ``answer`` answers (and may resolve) one."""

    serializer_class = s.ProblemSerializer
    filterset_class = ProblemFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = ResidentProblem.objects.none()

    def get_queryset(self):
        return selectors.problems(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        compound = _compound(self.request, data.pop("compound").pk)
        serializer.instance = services.problem_record(actor=self.request.user, compound=compound, **data)

    @extend_schema(request=s.AnswerSerializer, responses={200: s.ProblemSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        problem = get_object_for(request.user, self.get_queryset(), pk)
        body = s.AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        problem = services.problem_answer(actor=request.user, problem=problem, **body.validated_data)
        return Response(s.ProblemSerializer(self.get_queryset().get(pk=problem.pk)).data)

    @extend_schema(request=s.ProblemPublishSerializer, responses={200: s.ProblemSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the problem and its answer on the compound's public page, or take them off (staff who manage
        the compound: 403 for officials above who only read)."""
        problem = get_object_for(request.user, self.get_queryset(), pk)
        body = s.ProblemPublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        problem = services.problem_publish(actor=request.user, problem=problem, **body.validated_data)
        return Response(s.ProblemSerializer(self.get_queryset().get(pk=problem.pk)).data)


class SurveyFilterSet(UpdatedSinceFilterSet):
    class Meta:
        model = Survey
        fields = ["compound", "updated_since"]


@extend_validation_errors(
    ["not_handed_over", "survey_open", "no_units", "already_closed"],
    field_name="non_field_errors",
    actions=["create", "close"],
)
@extend_validation_errors(["not_found"], field_name="compound", actions=["create"])
class SurveyViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Residents' satisfaction surveys after handover, with their response rate and averages. POST
    ``{"compound": id}`` opens one (a project of the compound handed over, the owners' roll entered; one code per
    unit); ``close`` closes it. Staff of the compound manage; officials above read; contractors and inspectors see
    none. Households answer on the public page with their slip's code, not through the API."""

    serializer_class = s.SurveySerializer
    filterset_class = SurveyFilterSet
    pagination_class = KeysetPagination
    ordering_fields = ["updated_at"]
    queryset = Survey.objects.none()

    def get_queryset(self):
        return selectors.surveys(self.request.user)

    @extend_schema(request=s.SurveyOpenSerializer, responses={201: s.SurveySerializer})
    def create(self, request, *args, **kwargs):
        body = s.SurveyOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        compound = Compound.objects.visible_to(request.user).filter(pk=body.validated_data["compound"]).first()
        if compound is None:
            raise ValidationError({"compound": [_("Choose one of your compounds.")]}, code="not_found")
        survey = services.survey_open(actor=request.user, compound=compound)
        data = s.SurveySerializer(self.get_queryset().get(pk=survey.pk)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.SurveySerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        survey = get_object_for(request.user, self.get_queryset(), pk)
        services.survey_close(actor=request.user, survey=survey)
        return Response(s.SurveySerializer(self.get_queryset().get(pk=survey.pk)).data)


@extend_validation_errors(["building_not_in_compound"], field_name="building", actions=["create"])
class LeadElectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Building-lead elections held as owners' votes of one building (``?building=``, ``?vote=``). POST puts a
    candidate to the vote (a draft vote of the topic); when that vote closes passed, the candidate is recorded as
    the building's lead and ``lead`` links the record."""

    serializer_class = s.LeadElectionSerializer
    filterset_fields = ["vote"]
    queryset = LeadElection.objects.none()

    def get_queryset(self):
        queryset = LeadElection.objects.visible_to(self.request.user).select_related("vote").order_by("-id")
        building = self.request.query_params.get("building", "")
        if building.isdecimal():
            queryset = queryset.filter(vote__building_id=int(building))
        return queryset

    @extend_schema(request=s.LeadElectionCreateSerializer, responses={201: s.LeadElectionSerializer})
    def create(self, request, *args, **kwargs):
        body = s.LeadElectionCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        topic = get_object_for(request.user, Topic.objects.select_related("compound"), data.pop("topic"))
        building = Building.objects.filter(pk=data.pop("building"), compound_id=topic.compound_id).first()
        if building is None:
            raise ValidationError(
                {"building": [_("Choose a building of this compound.")]}, code="building_not_in_compound"
            )
        election = services.lead_election_create(actor=request.user, topic=topic, building=building, **data)
        data = s.LeadElectionSerializer(self.get_queryset().get(pk=election.pk), context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)
