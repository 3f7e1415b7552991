"""Every write of the consultations app: needs, topics and their seven steps, meetings, the owners' roll and its
import, votes and ballots, residents' problems."""

from __future__ import annotations

import csv
import io
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from communities import services as community_services
from communities.choices import LeadChoice
from communities.models import Building, BuildingLead, Compound, User
from communities.permissions import can_change_compound, compound_staff
from communities.scoping import get_scope
from consultations import events
from consultations.choices import (
    STEP_ORDER,
    BallotChannel,
    Channel,
    Electorate,
    InviteeKind,
    MatterType,
    MeetingKind,
    MeetingStatus,
    OwnerKind,
    ProblemStatus,
    RollImportStatus,
    SignInChannel,
    Step,
    VoteResult,
    VoteStatus,
)
from consultations.models import (
    Ballot,
    LeadElection,
    Meeting,
    MeetingAttendance,
    MeetingInvitation,
    MeetingPhoto,
    MinutesVersion,
    Need,
    Owner,
    OwnerUnit,
    ResidentProblem,
    RollImportJob,
    Survey,
    SurveyCode,
    SurveyResponse,
    Topic,
    TopicStepEvent,
    UnitChange,
    Vote,
    Voter,
    new_sign_in_token,
)
from consultations.tally import is_major, tally
from projects.choices import ProjectStatus
from projects.models import Project
from renovation_portal.errors import DomainError
from renovation_portal.uploads import prepare_photo, prepare_photos


def can_manage(user, compound: Compound) -> bool:
    """Community secretaries and officials over the compound run its consultations."""
    return can_change_compound(user, compound)


def _require(user, compound):
    if not can_manage(user, compound):
        raise PermissionDenied


def _photos_ok(photos):
    """The photos checked and stripped of EXIF (``prepare_photos``), before anything is written."""
    try:
        return prepare_photos(photos)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="photos") from None


# --- needs ---


@transaction.atomic
def need_record(
    *,
    actor: User,
    compound: Compound,
    channel: str,
    category: str,
    content: str,
    building: Building | None = None,
    raised_by_name: str = "",
    raised_by_phone: str = "",
    on_behalf_role: str = "",
    topic: Topic | None = None,
) -> Need:
    _require(actor, compound)
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("The building is not in this compound."), code="foreign_building", field="building")
    if topic is not None and topic.compound_id != compound.pk:
        raise DomainError(_("The topic belongs to another compound."), code="foreign_topic", field="topic")
    if not content.strip():
        raise DomainError(_("Describe the need."), code="required", field="content")
    need = Need(
        compound=compound,
        building=building,
        channel=channel,
        category=category,
        content=content.strip(),
        raised_by_name=raised_by_name.strip(),
        raised_by_phone=raised_by_phone.strip(),
        on_behalf_role=on_behalf_role,
        topic=topic,
        recorded_by=actor,
    )
    need.full_clean()
    need.save()
    return need


# --- topics and the seven steps ---


@transaction.atomic
def topic_create(
    *, actor: User, compound: Compound, title: str, description: str = "", needs: list[Need] | tuple = ()
) -> Topic:
    _require(actor, compound)
    if not title.strip():
        raise DomainError(_("Give the topic a title."), code="required", field="title")
    topic = Topic.objects.create(
        compound=compound, title=title.strip(), description=description.strip(), created_by=actor
    )
    TopicStepEvent.objects.create(topic=topic, to_step=Step.COLLECT_NEEDS, actor=actor)
    for need in needs:
        if need.compound_id != compound.pk:
            raise DomainError(_("A need belongs to another compound."), code="foreign_need", field="needs")
    Need.objects.filter(pk__in=[n.pk for n in needs]).update(topic=topic, updated_at=timezone.now())
    return topic


# The record each step must have before the topic moves on to the next one.
def _step_record_missing(topic: Topic) -> str | None:
    step = topic.step
    if step == Step.COLLECT_NEEDS and not topic.needs.exists():
        return _("Attach at least one resident need to the topic.")
    if step == Step.DRAFT_TOPIC and not topic.description.strip():
        return _("Write the topic down before the research.")
    if step == Step.RESEARCH and not topic.research_notes.strip():
        return _("Record the pre-meeting research.")
    if step == Step.DELIBERATION:
        if topic.votes.filter(status=VoteStatus.OPEN).exists():
            return _("Close the open vote first.")
        if not topic.decision.strip() and not topic.votes.filter(status=VoteStatus.CLOSED).exists():
            return _("Record the decision of the deliberation, or hold a vote.")
    if step == Step.APPLY_RESULT and not topic.result_summary.strip():
        return _("Record how the result was applied (and which plan version or work items it changed).")
    if step == Step.SUPERVISION and not topic.supervision_notes.strip():
        return _("Record the supervision of the execution.")
    return None


STEP_RECORD_FIELDS = {
    Step.DRAFT_TOPIC: ("description",),
    Step.RESEARCH: ("research_notes",),
    Step.DELIBERATION: ("decision",),
    Step.APPLY_RESULT: ("result_summary", "plan_version", "scope_items"),
    Step.SUPERVISION: ("supervision_notes",),
    Step.PUBLIC_FEEDBACK: ("feedback",),
}


@transaction.atomic
def topic_record(*, actor: User, topic: Topic, **record) -> Topic:
    """Fill in the record of the topic's current step (only that step's fields)."""
    locked = Topic.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=topic.pk)
    _require(actor, locked.compound)
    allowed = STEP_RECORD_FIELDS.get(locked.step, ())
    unknown = set(record) - set(allowed)
    if unknown:
        raise DomainError(
            _("At step “%(step)s” only its own record can be written.") % {"step": locked.get_step_display()},
            code="wrong_step_record",
        )
    scope_items = record.pop("scope_items", None)
    plan = record.get("plan_version")
    if plan is not None and plan.project.compound_id != locked.compound_id:
        raise DomainError(
            _("The plan version belongs to another compound's project."), code="foreign_plan", field="plan_version"
        )
    for name, value in record.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if record:
        locked.save(update_fields=[*record, "updated_at"])
    if scope_items is not None:
        if any(item.project.compound_id != locked.compound_id for item in scope_items):
            raise DomainError(
                _("A work item belongs to another compound's project."), code="foreign_item", field="scope_items"
            )
        locked.scope_items.set(scope_items)
    return locked


@transaction.atomic
def topic_advance(*, actor: User, topic: Topic, note: str = "") -> Topic:
    """Move the topic to the next step — never skipping one, and only with the current step's record."""
    locked = Topic.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=topic.pk)
    _require(actor, locked.compound)
    index = STEP_ORDER.index(locked.step)
    if index == len(STEP_ORDER) - 1:
        raise DomainError(_("The topic is at its last step."), code="last_step")
    missing = _step_record_missing(locked)
    if missing:
        raise DomainError(missing, code="step_record_missing")
    previous, locked.step = locked.step, STEP_ORDER[index + 1]
    locked.save(update_fields=["step", "updated_at"])
    TopicStepEvent.objects.create(topic=locked, from_step=previous, to_step=locked.step, actor=actor, note=note.strip())
    return locked


@transaction.atomic
def topic_publish_feedback(*, actor: User, topic: Topic, feedback: str) -> Topic:
    """The last step: publish what was decided and done; it appears on the compound's public page."""
    locked = Topic.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=topic.pk)
    _require(actor, locked.compound)
    if locked.step != Step.PUBLIC_FEEDBACK:
        raise DomainError(_("Feedback is published at the last step."), code="not_feedback_step")
    if not feedback.strip():
        raise DomainError(_("Write the feedback for residents."), code="required", field="feedback")
    locked.feedback = feedback.strip()
    locked.feedback_published_at = timezone.now()
    locked.save(update_fields=["feedback", "feedback_published_at", "updated_at"])
    return locked


# --- meetings: scheduled → invitations → sign-in → photos, decisions and draft minutes → published minutes, and
# corrections as new versions ---

MEETING_MAX_DAYS_AHEAD = 60
MEETING_MAX_PHOTOS = 30
PLACE_MAX = Meeting._meta.get_field("place").max_length
TOPIC_TITLE_MAX = Topic._meta.get_field("title").max_length
CANCEL_REASON_MAX = Meeting._meta.get_field("cancel_reason").max_length
CORRECTION_NOTE_MAX = MinutesVersion._meta.get_field("note").max_length
SIGN_IN_NAME_MAX = MeetingAttendance._meta.get_field("name").max_length
GUESTS_MAX = 100_000


def _meeting_locked(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("compound__community__subdistrict")
        .get(pk=meeting.pk)
    )


def _require_open(meeting: Meeting) -> None:
    """Everything about a meeting may change until its minutes are published; nothing once it is cancelled."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError(_("The meeting was cancelled."), code="meeting_cancelled")
    if meeting.status == MeetingStatus.PUBLISHED:
        raise DomainError(
            _("The minutes are published: the meeting can no longer be changed (publish a correction instead)."),
            code="minutes_published",
        )


def _check_schedule(*, compound: Compound, kind: str, held_at, place: str, buildings, topics, new_topic_titles):
    if kind not in MeetingKind.values:
        raise DomainError(_("Choose the kind of meeting."), code="bad_kind", field="kind")
    if held_at > timezone.now() + timezone.timedelta(days=MEETING_MAX_DAYS_AHEAD):
        raise DomainError(_("The meeting date is too far in the future."), code="bad_date", field="held_at")
    place = (place or "").strip()
    if not place or len(place) > PLACE_MAX or _CONTROL.search(place):
        raise DomainError(
            _("Give the place of the meeting (at most %(max)d characters).") % {"max": PLACE_MAX},
            code="bad_place",
            field="place",
        )
    if any(building.compound_id != compound.pk for building in buildings):
        raise DomainError(_("A building is not in this compound."), code="foreign_building", field="buildings")
    if any(topic.compound_id != compound.pk for topic in topics):
        raise DomainError(_("An agenda topic belongs to another compound."), code="foreign_topic", field="topics")
    if any(len(title.strip()) > TOPIC_TITLE_MAX for title in new_topic_titles):
        raise DomainError(
            _("A topic title is at most %(max)d characters.") % {"max": TOPIC_TITLE_MAX},
            code="bad_topic_title",
            field="new_topic_titles",
        )


def _users_by_phone(phones) -> dict[str, int]:
    """The active portal users known by these phone numbers (a number two accounts share names nobody)."""
    found: dict[str, list[int]] = {}
    for phone, pk in User.objects.filter(is_active=True, phone__in=sorted({p for p in phones if p})).values_list(
        "phone", "pk"
    ):
        found.setdefault(phone, []).append(pk)
    return {phone: pks[0] for phone, pks in found.items() if len(pks) == 1}


def _invitees(compound: Compound, building_ids: list[int]) -> list[MeetingInvitation]:
    """Who a meeting of these buildings (none: the whole compound) invites, unsaved: the buildings' current leads
    and the owners on the roll with current units in them (each owner once, with those units). Three queries."""
    leads = BuildingLead.objects.filter(building__compound=compound, ended_on__isnull=True).select_related("building")
    units = (
        OwnerUnit.objects.filter(compound=compound, retired_at__isnull=True, owner__isnull=False)
        .select_related("building", "owner")
        .order_by("building__number", "stairwell", "unit")
    )
    if building_ids:
        leads, units = leads.filter(building_id__in=building_ids), units.filter(building_id__in=building_ids)
    leads = list(leads.order_by("building__number"))
    by_owner: dict[int, list[OwnerUnit]] = {}
    for unit in units:
        by_owner.setdefault(unit.owner_id, []).append(unit)
    owners = {units_[0].owner_id: units_[0].owner for units_ in by_owner.values()}
    users = _users_by_phone([lead.phone for lead in leads] + [owner.phone for owner in owners.values()])
    invitations = [
        MeetingInvitation(
            kind=InviteeKind.BUILDING_LEAD,
            building_lead=lead,
            building=lead.building,
            name=lead.name,
            units="",
            user_id=users.get(lead.phone),
        )
        for lead in leads
    ]
    for owner_id, owned in by_owner.items():
        owner = owners[owner_id]
        invitations.append(
            MeetingInvitation(
                kind=InviteeKind.OWNER,
                owner=owner,
                building=owned[0].building,
                name=owner.name[:50],
                units="、".join(f"{unit.building.number} {unit.unit}" for unit in owned)[:200],
                user_id=users.get(owner.phone),
            )
        )
    return invitations


def _invite(meeting: Meeting, building_ids: list[int]) -> None:
    """Bring the invitation list in line with the meeting's buildings: invite who is called for and not invited
    yet; withdraw the invitations of people no longer called for, unless they have signed in."""
    existing = {(inv.kind, inv.owner_id or inv.building_lead_id): inv for inv in meeting.invitations.all()}
    wanted = set()
    new = []
    for invitation in _invitees(meeting.compound, building_ids):
        key = (invitation.kind, invitation.owner_id or invitation.building_lead_id)
        wanted.add(key)
        if key not in existing:
            invitation.meeting = meeting
            new.append(invitation)
    MeetingInvitation.objects.bulk_create(new)
    stale = [inv.pk for key, inv in existing.items() if key not in wanted]
    if stale:
        MeetingInvitation.objects.filter(pk__in=stale, attendances__isnull=True).delete()


@transaction.atomic
def meeting_schedule(
    *,
    actor: User,
    compound: Compound,
    kind: str,
    held_at,
    place: str,
    buildings: list[Building] | tuple = (),
    topics: list[Topic] | tuple = (),
    new_topic_titles: list[str] | tuple = (),
) -> Meeting:
    """Schedule a meeting of the whole compound or some of its buildings, with its agenda (existing topics and
    new ones created from their titles), invite the buildings' leads and owners, and tell those concerned when
    it is still to come. Its minutes are due only after its date."""
    _require(actor, compound)
    buildings, topics = list(buildings), list(topics)
    _check_schedule(
        compound=compound,
        kind=kind,
        held_at=held_at,
        place=place,
        buildings=buildings,
        topics=topics,
        new_topic_titles=new_topic_titles,
    )
    meeting = Meeting.objects.create(
        compound=compound,
        kind=kind,
        held_at=held_at,
        place=place.strip(),
        convener=actor,
        sign_in_token=new_sign_in_token(),
    )
    meeting.buildings.set(buildings)
    created = [topic_create(actor=actor, compound=compound, title=title) for title in new_topic_titles if title.strip()]
    meeting.topics.set([*topics, *created])
    _invite(meeting, [building.pk for building in buildings])
    if held_at > timezone.now():  # still to come: those concerned hear of it at once
        events.meeting_scheduled(meeting=meeting, actor=actor)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    actor: User,
    meeting: Meeting,
    kind: str | None = None,
    held_at=None,
    place: str | None = None,
    buildings: list[Building] | None = None,
    topics: list[Topic] | None = None,
    new_topic_titles: list[str] | tuple = (),
) -> Meeting:
    """Change what was scheduled (until the minutes are published). A new date or place of a meeting still to
    come is announced as a move; new buildings change the invitation list."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    kind = locked.kind if kind is None else kind
    held_at = locked.held_at if held_at is None else held_at
    place = locked.place if place is None else place.strip()
    _check_schedule(
        compound=locked.compound,
        kind=kind,
        held_at=held_at,
        place=place,
        buildings=buildings or [],
        topics=topics or [],
        new_topic_titles=new_topic_titles,
    )
    if held_at != locked.held_at and held_at > timezone.now() and locked.attendances.exists():
        raise DomainError(
            _("People have signed in: the meeting took place and cannot be moved to a later time."),
            code="has_sign_ins",
            field="held_at",
        )
    moved = held_at != locked.held_at or place != locked.place
    locked.kind, locked.held_at, locked.place = kind, held_at, place
    locked.save(update_fields=["kind", "held_at", "place", "updated_at"])
    if buildings is not None:
        chosen = sorted(building.pk for building in buildings)
        if chosen != sorted(locked.buildings.values_list("pk", flat=True)):
            locked.buildings.set(buildings)
            _invite(locked, chosen)
    created = [
        topic_create(actor=actor, compound=locked.compound, title=title) for title in new_topic_titles if title.strip()
    ]
    if topics is not None:
        locked.topics.set([*topics, *created])
    elif created:
        locked.topics.add(*created)
    if moved and held_at > timezone.now():
        events.meeting_moved(meeting=locked, actor=actor)
    return locked


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Call the meeting off (before anyone signed in); those concerned are told, with the reason."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    reason = (reason or "").strip()
    if len(reason) > CANCEL_REASON_MAX or _CONTROL.search(reason):
        raise DomainError(
            _("The reason is at most %(max)d characters of text.") % {"max": CANCEL_REASON_MAX},
            code="bad_reason",
            field="reason",
        )
    if locked.attendances.exists():
        raise DomainError(
            _("People have signed in: the meeting took place and cannot be cancelled."), code="has_sign_ins"
        )
    locked.status, locked.cancelled_at, locked.cancel_reason = MeetingStatus.CANCELLED, timezone.now(), reason
    locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    events.meeting_cancelled(meeting=locked, actor=actor, reason=reason)
    return locked


def _recount(meeting: Meeting) -> None:
    """The head count: everyone signed in plus the others present."""
    meeting.attendance = meeting.attendances.count() + meeting.guests
    meeting.save(update_fields=["attendance", "updated_at"])


def _attend(
    meeting: Meeting,
    *,
    invitation: MeetingInvitation | None,
    owner_unit: OwnerUnit | None,
    channel: str,
    name: str = "",
    recorded_by: User | None = None,
) -> MeetingAttendance:
    """Sign someone in (the meeting row is locked by the caller): once per invitee, once per unit."""
    unit_label = f"{owner_unit.building.number} {owner_unit.unit}"[:40] if owner_unit is not None else ""
    taken = Q(pk__in=[])
    if invitation is not None:
        taken |= Q(invitation=invitation)
    if owner_unit is not None:
        taken |= Q(owner_unit=owner_unit)
    earlier = MeetingAttendance.objects.filter(taken, meeting=meeting).first()
    if earlier is not None:
        if owner_unit is not None and earlier.owner_unit_id == owner_unit.pk:
            message = _("Unit %(unit)s has already signed in to this meeting.") % {"unit": unit_label}
        elif owner_unit is not None:
            message = _("The owner of unit %(unit)s has already signed in to this meeting.") % {"unit": unit_label}
        else:
            message = _("%(name)s has already signed in to this meeting.") % {"name": invitation.name}
        raise DomainError(message, code="already_signed_in")
    attendance = MeetingAttendance.objects.create(
        meeting=meeting,
        invitation=invitation,
        owner_unit=owner_unit,
        name=(name or (invitation.name if invitation is not None else ""))[:SIGN_IN_NAME_MAX],
        unit_label=unit_label,
        channel=channel,
        recorded_by=recorded_by,
    )
    _recount(meeting)
    return attendance


@transaction.atomic
def meeting_sign_in(
    *,
    actor: User,
    meeting: Meeting,
    invitation: MeetingInvitation | None = None,
    owner_unit: OwnerUnit | None = None,
) -> MeetingAttendance:
    """Staff tick someone present: an invitee from the roll, or any current unit of the compound (from an hour
    before the meeting; also later, from the paper sign-in sheet, until the minutes are published)."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    if timezone.now() < locked.sign_in_opens_at:
        raise DomainError(_("Sign-in opens an hour before the meeting."), code="sign_in_not_open")
    if (invitation is None) == (owner_unit is None):
        raise DomainError(_("Choose one invitee or one unit."), code="invitee_required", field="invitation")
    if invitation is not None and invitation.meeting_id != locked.pk:
        raise DomainError(_("This person is not invited to this meeting."), code="not_invited", field="invitation")
    if owner_unit is not None:
        if owner_unit.compound_id != locked.compound_id or owner_unit.retired_at is not None:
            raise DomainError(_("Choose a current unit of this compound."), code="unknown_unit", field="owner_unit")
        if owner_unit.owner_id is not None:
            invitation = locked.invitations.filter(owner_id=owner_unit.owner_id).first()
    return _attend(locked, invitation=invitation, owner_unit=owner_unit, channel=SignInChannel.ROLL, recorded_by=actor)


@transaction.atomic
def meeting_sign_out(*, actor: User, meeting: Meeting, attendance: MeetingAttendance) -> Meeting:
    """Undo a sign-in (a wrong tap, a wrong unit), until the minutes are published."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    if attendance.meeting_id != locked.pk:
        raise DomainError(_("This sign-in belongs to another meeting."), code="not_signed_in", field="attendance")
    MeetingAttendance.objects.filter(pk=attendance.pk).delete()
    _recount(locked)
    return locked


@transaction.atomic
def meeting_public_sign_in(*, meeting: Meeting, owner_unit_id, name: str = "") -> MeetingAttendance:
    """A resident signs in on their own phone with the meeting's QR code (no login): their unit, chosen from the
    compound's current units, and optionally their name. Only while the meeting is on (from an hour before to
    the end of its day), and once per unit."""
    locked = _meeting_locked(meeting)
    if not locked.sign_in_open:
        raise DomainError(
            _("Sign-in for this meeting is closed: it is open from an hour before the meeting to the end of its day."),
            code="sign_in_closed",
        )
    unit = None
    if str(owner_unit_id or "").isdecimal():
        unit = (
            OwnerUnit.objects.filter(pk=int(owner_unit_id), compound_id=locked.compound_id, retired_at__isnull=True)
            .select_related("building")
            .first()
        )
    if unit is None:
        raise DomainError(_("Choose your unit from the list."), code="unknown_unit", field="owner_unit")
    name = (name or "").strip()
    if len(name) > SIGN_IN_NAME_MAX or _CONTROL.search(name):
        raise DomainError(
            _("Your name is at most %(max)d characters.") % {"max": SIGN_IN_NAME_MAX}, code="bad_name", field="name"
        )
    invitation = locked.invitations.filter(owner_id=unit.owner_id).first() if unit.owner_id else None
    return _attend(locked, invitation=invitation, owner_unit=unit, channel=SignInChannel.QR, name=name)


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    meeting: Meeting,
    minutes: str | None = None,
    decisions: str | None = None,
    guests: int | None = None,
    representatives: str | None = None,
) -> Meeting:
    """Save the draft: decisions and minutes as they are written during and after the meeting, the others
    present, the named representatives."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    if guests is not None and not (isinstance(guests, int) and 0 <= guests <= GUESTS_MAX):
        raise DomainError(
            _("Give the number of others present (0 to %(max)d).") % {"max": GUESTS_MAX},
            code="bad_guests",
            field="guests",
        )
    fields = []
    for name, value in (("minutes", minutes), ("decisions", decisions), ("representatives", representatives)):
        if value is not None:
            setattr(locked, name, value.strip())
            fields.append(name)
    if guests is not None:
        locked.guests = guests
        fields.append("guests")
    locked.save(update_fields=[*fields, "updated_at"])
    if guests is not None:
        _recount(locked)
    return locked


@transaction.atomic
def meeting_add_photos(*, actor: User, meeting: Meeting, photos) -> list[MeetingPhoto]:
    """Photos of the meeting, each kept as soon as it is chosen (until the minutes are published)."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    photos = list(photos)
    if not photos:
        raise DomainError(_("Choose a photo."), code="photo_required", field="photos")
    if locked.photos.count() + len(photos) > MEETING_MAX_PHOTOS:
        raise DomainError(
            _("A meeting keeps at most %(max)d photos.") % {"max": MEETING_MAX_PHOTOS},
            code="too_many_photos",
            field="photos",
        )
    stored = _photos_ok(photos)
    # A meeting has its own time and place: the camera's are not kept.
    return [MeetingPhoto.objects.create(meeting=locked, image=p.image, thumbnail=p.thumbnail) for p in stored]


@transaction.atomic
def meeting_remove_photo(*, actor: User, photo: MeetingPhoto) -> Meeting:
    locked = _meeting_locked(photo.meeting)
    _require(actor, locked.compound)
    _require_open(locked)
    names = [name for name in (photo.image.name, photo.thumbnail.name) if name]
    storage = photo.image.storage
    MeetingPhoto.objects.filter(pk=photo.pk).delete()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
    return locked


@transaction.atomic
def meeting_publish_minutes(
    *, actor: User, meeting: Meeting, minutes: str | None = None, decisions: str | None = None
) -> Meeting:
    """Publish the minutes and decisions (the first version): the compound's public page shows them, and the
    meeting is frozen; later changes are corrections (``meeting_correct_minutes``)."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    if locked.status == MeetingStatus.CANCELLED:
        raise DomainError(_("The meeting was cancelled."), code="meeting_cancelled")
    if locked.status == MeetingStatus.PUBLISHED:
        raise DomainError(
            _("The minutes are already published: publish a correction instead."), code="already_published"
        )
    if locked.held_at > timezone.now():
        raise DomainError(_("Minutes are published after the meeting."), code="meeting_not_held")
    if minutes is not None:
        locked.minutes = minutes.strip()
    if decisions is not None:
        locked.decisions = decisions.strip()
    if not locked.minutes:
        raise DomainError(_("Write the minutes before publishing them."), code="minutes_required", field="minutes")
    now = timezone.now()
    locked.status, locked.minutes_published_at = MeetingStatus.PUBLISHED, now
    locked.save(update_fields=["minutes", "decisions", "status", "minutes_published_at", "updated_at"])
    MinutesVersion.objects.create(
        meeting=locked,
        number=1,
        minutes=locked.minutes,
        decisions=locked.decisions,
        published_by=actor,
        published_at=now,
    )
    return locked


@transaction.atomic
def meeting_correct_minutes(
    *, actor: User, meeting: Meeting, minutes: str, decisions: str | None = None, note: str = ""
) -> MinutesVersion:
    """Correct published minutes: a new version, saying what it corrects; the earlier versions are kept as they
    were published, and the public page shows the latest and that it was corrected."""
    locked = _meeting_locked(meeting)
    _require(actor, locked.compound)
    if locked.status != MeetingStatus.PUBLISHED:
        raise DomainError(
            _("Only published minutes are corrected; until they are published, edit the draft."),
            code="not_published",
        )
    minutes = (minutes or "").strip()
    decisions = locked.decisions if decisions is None else decisions.strip()
    note = (note or "").strip()
    if not minutes:
        raise DomainError(_("Write the minutes before publishing them."), code="minutes_required", field="minutes")
    if not note or len(note) > CORRECTION_NOTE_MAX or _CONTROL.search(note):
        raise DomainError(
            _("Say what the correction changes (at most %(max)d characters).") % {"max": CORRECTION_NOTE_MAX},
            code="note_required",
            field="note",
        )
    if (minutes, decisions) == (locked.minutes, locked.decisions):
        raise DomainError(_("The correction changes nothing."), code="nothing_changed", field="minutes")
    last = locked.minutes_versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = MinutesVersion.objects.create(
        meeting=locked, number=last + 1, minutes=minutes, decisions=decisions, note=note, published_by=actor
    )
    locked.minutes, locked.decisions = minutes, decisions
    locked.save(update_fields=["minutes", "decisions", "updated_at"])
    return version


@transaction.atomic
def meeting_log(
    *,
    actor: User,
    compound: Compound,
    kind: str,
    held_at,
    place: str,
    attendance: int = 0,
    guests: int = 0,
    representatives: str = "",
    buildings: list[Building] | tuple = (),
    topics: list[Topic] | tuple = (),
    new_topic_titles: list[str] | tuple = (),
    minutes: str = "",
    decisions: str = "",
    publish: bool = False,
    photos=(),
) -> Meeting:
    """Record a meeting after the fact in one go (the API's POST with its minutes or photos): scheduled as any
    meeting, with its draft, photos, and the minutes published now or later. A head count without names
    (``attendance``, as it was logged before sign-ins) is kept as the others present."""
    _require(actor, compound)
    if held_at > timezone.now() + timezone.timedelta(days=MEETING_MAX_DAYS_AHEAD):
        raise DomainError(_("The meeting date is too far in the future."), code="bad_date", field="held_at")
    if publish and not minutes.strip():
        raise DomainError(_("Write the minutes before publishing them."), code="minutes_required", field="minutes")
    stored = _photos_ok(list(photos))  # every photo checked before anything is written
    meeting = meeting_schedule(
        actor=actor,
        compound=compound,
        kind=kind,
        held_at=held_at,
        place=place,
        buildings=buildings,
        topics=topics,
        new_topic_titles=new_topic_titles,
    )
    if attendance or guests or representatives.strip() or minutes.strip() or decisions.strip():
        meeting = meeting_record(
            actor=actor,
            meeting=meeting,
            minutes=minutes,
            decisions=decisions,
            guests=(guests or 0) + (attendance or 0),
            representatives=representatives,
        )
    for photo in stored:
        MeetingPhoto.objects.create(meeting=meeting, image=photo.image, thumbnail=photo.thumbnail)
    if publish:
        meeting = meeting_publish_minutes(actor=actor, meeting=meeting)
    return meeting


# --- the owners' roll and its import ---

ROLL_COLUMNS = ("building", "stairwell", "unit", "owner_name", "owner_phone", "area")
ROLL_HEADERS = {  # accepted column titles, Chinese or English
    "building": ("楼栋", "楼栋号", "building"),
    "stairwell": ("单元", "stairwell"),
    "unit": ("房号", "户号", "unit"),
    "owner_name": ("业主", "业主姓名", "owner", "owner_name"),
    "owner_phone": ("电话", "联系电话", "phone", "owner_phone"),
    "area": ("专有部分面积", "面积", "area"),
}
# Files up to this many rows are imported within the request; larger ones by a worker (RollImportJob), so a
# 40,000-row roll never hits the web server's timeout. Settings may lower it (the tests do).
ROLL_INLINE_MAX_ROWS = 2000
# A compound has hundreds or a few thousand units; a file many times that is a mistake, not a roll.
ROLL_MAX_ROWS = 100_000
ROLL_PROGRESS_EVERY = 1000  # rows between two progress updates of a job


def roll_inline_max_rows() -> int:
    return getattr(settings, "ROLL_IMPORT_INLINE_MAX_ROWS", ROLL_INLINE_MAX_ROWS)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def roll_file_format(upload) -> str:
    name = (getattr(upload, "name", "") or "").lower()
    for extension in ("xlsx", "csv"):
        if name.endswith(f".{extension}"):
            return extension
    raise DomainError(_("Upload a .csv or .xlsx file."), code="bad_file", field="file")


def _open_sheet(upload):
    from openpyxl import load_workbook

    upload.seek(0)
    try:
        sheet = load_workbook(upload, read_only=True, data_only=True).active
    except Exception:
        raise DomainError(_("The file is not a readable XLSX workbook."), code="bad_file", field="file") from None
    if sheet is None or not hasattr(sheet, "iter_rows"):
        raise DomainError(_("The file is not a readable XLSX workbook."), code="bad_file", field="file")
    return sheet


def _xlsx_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel keeps every number as a float: 1.0 is the stairwell 1, 101.0 the unit 101
    return str(value).strip()


def _too_many_rows(count: int) -> DomainError:
    return DomainError(
        _("The file has more than %(max)d rows: split it.") % {"max": ROLL_MAX_ROWS}, code="too_many_rows", field="file"
    )


def _read_rows(upload, file_format: str) -> list[list[str]]:
    """Every row of the file as text cells; a file that cannot be read is refused as a whole."""
    if file_format == "xlsx":
        sheet = _open_sheet(upload)
        rows = []
        try:
            for row in sheet.iter_rows(values_only=True):
                rows.append([_xlsx_cell(cell) for cell in row])
                if len(rows) > ROLL_MAX_ROWS + 1:
                    raise _too_many_rows(ROLL_MAX_ROWS)
        except DomainError:
            raise
        except Exception:
            raise DomainError(_("The file is not a readable XLSX workbook."), code="bad_file", field="file") from None
        return rows
    upload.seek(0)
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(_("The CSV file is neither UTF-8 nor GB18030 text."), code="bad_file", field="file")
    reader = csv.reader(io.StringIO(text))
    rows = []
    try:
        for row in reader:
            rows.append([cell.strip() for cell in row])
            if len(rows) > ROLL_MAX_ROWS + 1:
                raise _too_many_rows(ROLL_MAX_ROWS)
    except csv.Error:
        raise DomainError(
            _("The CSV file cannot be read (line %(line)d).") % {"line": reader.line_num}, code="bad_file", field="file"
        ) from None
    return rows


def _row_count_at_most(upload, file_format: str) -> int | None:
    """The number of rows when it is cheap to know before reading the whole file (an XLSX sheet's recorded
    dimension), else None."""
    if file_format != "xlsx":
        return None
    try:
        return _open_sheet(upload).max_row
    finally:
        upload.seek(0)


def _column_map(header: list[str]) -> dict[str, int]:
    mapping = {}
    lowered = [h.strip().lower() for h in header]
    for column, titles in ROLL_HEADERS.items():
        for index, title in enumerate(lowered):
            if title in {t.lower() for t in titles}:
                mapping[column] = index
                break
    missing = [c for c in ("building", "unit", "owner_name", "area") if c not in mapping]
    if missing:
        raise DomainError(
            _("The header row lacks the columns: %(columns)s (expected 楼栋, 单元, 房号, 业主, 电话, 专有部分面积).")
            % {"columns": ", ".join(missing)},
            code="bad_header",
            field="file",
        )
    return mapping


# Buildings are named "1号楼" in the place tree (communities demo and generator), and rolls write the same
# building as "1", "1号楼", "1栋", "1幢", "1#", "1#楼" or with full-width digits: they are one building.
_BUILDING_SUFFIX = re.compile(r"(?:号楼|#楼|号|栋|幢|楼|座|#)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def building_key(text: str) -> str:
    """The building designation without its spelling: width, spaces, case and the 号楼/栋/幢/# suffix."""
    text = "".join(unicodedata.normalize("NFKC", text).split()).lower()
    return _BUILDING_SUFFIX.sub("", text) or text


def _unit_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _building_lookup(compound: Compound):
    """``find(text)`` → (building, None) or (None, message): an exact number first, then the spelling-free key,
    which is refused when two of the compound's buildings share it (e.g. both "1号楼" and "1栋" exist)."""
    exact, by_key = {}, {}
    for building in compound.buildings.all():
        exact[unicodedata.normalize("NFKC", building.number).strip()] = building
        by_key.setdefault(building_key(building.number), []).append(building)

    def find(text: str):
        building = exact.get(unicodedata.normalize("NFKC", text).strip())
        if building is not None:
            return building, None
        matches = by_key.get(building_key(text), [])
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, _("the building “%(b)s” could be %(names)s: write it as in the compound's records") % {
                "b": text,
                "names": "、".join(sorted(b.number for b in matches)),
            }
        return None, _("unknown building “%(b)s”") % {"b": text}

    return find


@dataclass(frozen=True)
class _RollRow:
    building: Building
    stairwell: int
    unit: str
    owner_name: str
    owner_phone: str
    area: Decimal


def _check_roll(compound: Compound, rows: list[list[str]], progress=None) -> tuple[list[_RollRow], list]:
    """Check every row against the compound's buildings and the model's limits, in memory (two queries in all:
    the buildings here, the existing units when writing). Returns the rows to write and the errors, each
    (row number in the file, message); a unit given twice — however its building is spelt — is an error."""
    columns = _column_map(rows[0])
    find_building = _building_lookup(compound)
    limits = {name: OwnerUnit._meta.get_field(name).max_length for name in ("unit", "owner_name", "owner_phone")}
    labels = {"unit": _("the unit"), "owner_name": _("the owner"), "owner_phone": _("the phone")}
    parsed, errors, first_seen = [], [], {}

    def cell(row, name):
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) and row[index] else ""

    for number, row in enumerate(rows[1:], start=2):
        if progress is not None and number % ROLL_PROGRESS_EVERY == 0:
            progress(number - 1)
        joined = "".join(row)
        if not joined.strip():
            continue
        problems = []
        if _CONTROL.search(joined):
            problems.append(_("a cell contains control characters"))
        building, problem = find_building(cell(row, "building"))
        if problem:
            problems.append(problem)
        unit = _unit_key(cell(row, "unit"))
        owner = cell(row, "owner_name")
        phone = cell(row, "owner_phone")
        if not unit:
            problems.append(_("the unit is missing"))
        if not owner:
            problems.append(_("the owner is missing"))
        for name, value in (("unit", unit), ("owner_name", owner), ("owner_phone", phone)):
            if len(value) > limits[name]:
                problems.append(
                    _("%(field)s is longer than %(max)d characters") % {"field": labels[name], "max": limits[name]}
                )
        try:
            area = Decimal(cell(row, "area"))
            if (
                not area.is_finite()
                or area <= 0
                or area >= Decimal("10000000")
                or area != area.quantize(Decimal("0.01"))
            ):
                raise InvalidOperation
        except InvalidOperation:
            area = None
            problems.append(
                _("the area “%(a)s” is not a positive number of m² with at most two decimals")
                % {"a": cell(row, "area")}
            )
        stairwell_text = cell(row, "stairwell") or "1"
        stairwell = int(stairwell_text) if stairwell_text.isdecimal() and 0 < int(stairwell_text) < 100 else None
        if stairwell is None:
            problems.append(_("the stairwell “%(s)s” is not a number from 1 to 99") % {"s": stairwell_text[:20]})
        if building is not None and unit:
            earlier = first_seen.setdefault((building.pk, unit), number)
            if earlier != number:
                problems.append(_("the unit appears twice in the file (also row %(row)d)") % {"row": earlier})
        if problems:
            errors.append((number, "；".join(problems)))
        else:
            parsed.append(_RollRow(building, stairwell, unit, owner, phone, area))
    return parsed, errors


def _write_roll(compound: Compound, parsed: list[_RollRow], actor: User | None = None) -> tuple[int, int]:
    """Create the new units and update the changed ones in bulk. The compound's row is locked first, so two
    imports of one compound run one after the other and never both create the same unit. Each new or changed
    unit's history gets an "imported" entry with what changed."""
    Compound.objects.select_for_update().filter(pk=compound.pk).first()
    existing = {
        (building_id, unit): (pk, stairwell, owner, phone, area, owner_id)
        for pk, building_id, unit, stairwell, owner, phone, area, owner_id in OwnerUnit.objects.filter(
            compound=compound, retired_at__isnull=True
        ).values_list("pk", "building_id", "unit", "stairwell", "owner_name", "owner_phone", "area", "owner_id")
    }
    now = timezone.now()
    new, changed, keep = [], [], {}
    for row in parsed:
        current = existing.get((row.building.pk, row.unit))
        if current is None:
            new.append(row)
        elif current[1:5] != (row.stairwell, row.owner_name, row.owner_phone, row.area) or current[5] is None:
            changed.append((current[0], row))
            if current[2:4] == (row.owner_name, row.owner_phone) and current[5] is not None:
                keep[current[0]] = current[5]  # the same owner as before (perhaps one told apart by the ID tail)
    owner_ids = _roll_owners(compound, new + [row for pk, row in changed if pk not in keep])
    if connection.vendor == "postgresql":
        _write_roll_set_based(compound, new, changed, now, owner_ids, keep)
    else:  # the demo's SQLite: small rolls
        OwnerUnit.objects.bulk_create(
            [
                OwnerUnit(
                    compound=compound,
                    building=row.building,
                    stairwell=row.stairwell,
                    unit=row.unit,
                    owner_name=row.owner_name,
                    owner_phone=row.owner_phone,
                    owner_id=owner_ids[row.owner_name, row.owner_phone],
                    area=row.area,
                )
                for row in new
            ],
            batch_size=500,
        )
        OwnerUnit.objects.bulk_update(
            [
                OwnerUnit(
                    pk=pk,
                    stairwell=row.stairwell,
                    owner_name=row.owner_name,
                    owner_phone=row.owner_phone,
                    owner_id=keep.get(pk) or owner_ids[row.owner_name, row.owner_phone],
                    area=row.area,
                    updated_at=now,
                )
                for pk, row in changed
            ],
            ["stairwell", "owner_name", "owner_phone", "owner", "area", "updated_at"],
            batch_size=500,
        )
    _record_import(compound, new, changed, existing, now, actor)
    return len(new), len(changed)


def _record_import(compound, new, changed, existing, now, actor) -> None:
    """One history entry per unit the import created or changed: two queries (the new units' ids, one insert per
    5,000 entries), however many rows."""
    if not new and not changed:
        return
    written = dict(
        (((building_id, unit), pk))
        for pk, building_id, unit in OwnerUnit.objects.filter(
            compound=compound, retired_at__isnull=True, unit__in={row.unit for row in new}
        ).values_list("pk", "building_id", "unit")
    )
    history = []
    for row in new:
        changes = {
            "stairwell": [None, row.stairwell],
            "owner": [None, row.owner_name],
            "area": [None, f"{row.area:.2f}"],
        }
        history.append((written.get((row.building.pk, row.unit)), changes))
    for pk, row in changed:
        _pk, stairwell, name, phone, area, _owner = existing[row.building.pk, row.unit]
        changes = {
            key: [old, new_value]
            for key, old, new_value in (
                ("stairwell", stairwell, row.stairwell),
                ("owner_name", name, row.owner_name),
                ("owner_phone", phone, row.owner_phone),
                ("area", f"{area:.2f}", f"{row.area:.2f}"),
            )
            if old != new_value
        }
        history.append((pk, changes))
    UnitChange.objects.bulk_create(
        [
            UnitChange(
                owner_unit_id=pk, action=UnitChange.Action.IMPORTED, changes=changes, actor=actor, created_at=now
            )
            for pk, changes in history
            if pk is not None
        ],
        batch_size=5000,
    )


def _roll_owners(compound: Compound, rows: list[_RollRow]) -> dict[tuple[str, str], int]:
    """The owner of each (name, phone) of the rows: the compound's existing owner of that name and phone (the
    oldest, should there be namesakes told apart by their ID tails), or a new person owner. Two queries however
    many rows (plus one insert per 5,000 new owners)."""
    wanted = {(row.owner_name, row.owner_phone) for row in rows}
    if not wanted:
        return {}
    found: dict[tuple[str, str], int] = {}
    names = {name for name, _phone in wanted}
    for pk, name, phone in (
        Owner.objects.filter(compound=compound, name__in=names).order_by("-pk").values_list("pk", "name", "phone")
    ):
        if (name, phone) in wanted:
            found[name, phone] = pk  # ordered newest first: the oldest one wins
    missing = sorted(wanted - found.keys())
    created = Owner.objects.bulk_create(
        [Owner(compound=compound, name=name, phone=phone) for name, phone in missing], batch_size=5000
    )
    found.update({(owner.name, owner.phone): owner.pk for owner in created})
    return found


ROLL_WRITE_CHUNK = 10_000


def _write_roll_set_based(
    compound: Compound, new: list[_RollRow], changed: list[tuple[int, _RollRow]], now, owner_ids, keep
) -> None:
    """One INSERT … SELECT FROM unnest(arrays) and one UPDATE … FROM unnest(arrays) per 10,000 units: no model
    instances (bulk_create spent most of a 20,000-row import building and preparing them; bulk_update's CASE per
    row took minutes). Values were checked against the model's limits in _check_roll."""
    table = OwnerUnit._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(new), ROLL_WRITE_CHUNK):
            chunk = new[start : start + ROLL_WRITE_CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (compound_id, building_id, stairwell, unit, owner_name, owner_phone, owner_id, "
                "area, updated_at) SELECT %s, b, s, u, n, p, o, a, %s FROM unnest(%s::bigint[], %s::smallint[], "
                "%s::text[], %s::text[], %s::text[], %s::bigint[], %s::numeric[]) AS t(b, s, u, n, p, o, a)",
                [
                    compound.pk,
                    now,
                    [r.building.pk for r in chunk],
                    [r.stairwell for r in chunk],
                    [r.unit for r in chunk],
                    [r.owner_name for r in chunk],
                    [r.owner_phone for r in chunk],
                    [owner_ids[r.owner_name, r.owner_phone] for r in chunk],
                    [r.area for r in chunk],
                ],
            )
        for start in range(0, len(changed), ROLL_WRITE_CHUNK):
            chunk = changed[start : start + ROLL_WRITE_CHUNK]
            cursor.execute(
                f"UPDATE {table} AS o SET stairwell = t.s, owner_name = t.n, owner_phone = t.p, owner_id = t.w, "
                "area = t.a, updated_at = %s FROM unnest(%s::bigint[], %s::smallint[], %s::text[], %s::text[], "
                "%s::bigint[], %s::numeric[]) AS t(id, s, n, p, w, a) WHERE o.id = t.id",
                [
                    now,
                    [pk for pk, _ in chunk],
                    [r.stairwell for _, r in chunk],
                    [r.owner_name for _, r in chunk],
                    [r.owner_phone for _, r in chunk],
                    [keep.get(pk) or owner_ids[r.owner_name, r.owner_phone] for pk, r in chunk],
                    [r.area for _, r in chunk],
                ],
            )


def _import_rows(compound: Compound, rows: list[list[str]], progress=None, actor: User | None = None) -> ImportReport:
    if not rows:
        raise DomainError(_("The file is empty."), code="bad_file", field="file")
    parsed, errors = _check_roll(compound, rows, progress)
    if errors:
        return ImportReport(errors=errors)
    created, updated = _write_roll(compound, parsed, actor)
    return ImportReport(created=created, updated=updated)


@transaction.atomic
def owner_roll_import(*, actor: User, compound: Compound, upload) -> ImportReport:
    """Import the owners' roll from CSV or XLSX within the call. Every row is checked first; if any row is wrong,
    nothing is imported and the report lists each bad row. Existing units are updated, new ones created."""
    _require(actor, compound)
    return _import_rows(compound, _read_rows(upload, roll_file_format(upload)), actor=actor)


def owner_roll_submit(*, actor: User, compound: Compound, upload) -> ImportReport | RollImportJob:
    """The import as web pages and the API start it: a file of up to ``roll_inline_max_rows()`` rows is imported
    now (the report), a larger one is stored privately and imported by a worker (the job, to poll)."""
    _require(actor, compound)
    file_format = roll_file_format(upload)
    limit = roll_inline_max_rows()
    if file_format == "csv":
        rows = _read_rows(upload, file_format)  # cheap for CSV: read once, and kept for the inline import
        if len(rows) - 1 <= limit:
            with transaction.atomic():
                return _import_rows(compound, rows, actor=actor)
        total = len(rows) - 1
    else:
        size = _row_count_at_most(upload, file_format)
        if size is not None and size - 1 <= limit:
            return owner_roll_import(actor=actor, compound=compound, upload=upload)
        total = max((size or 1) - 1, 0)
    return roll_import_job_create(
        actor=actor, compound=compound, upload=upload, file_format=file_format, rows_total=total
    )


@transaction.atomic
def roll_import_job_create(
    *, actor: User, compound: Compound, upload, file_format: str, rows_total: int = 0
) -> RollImportJob:
    """Store the file privately and queue its import (the task gets the job's id once this transaction has
    committed, so a worker never looks for a job that is not there yet)."""
    _require(actor, compound)
    upload.seek(0)
    job = RollImportJob(
        compound=compound,
        created_by=actor,
        file_format=file_format,
        rows_total=rows_total,
        language=translation.get_language() or "",
    )
    job.file.save(f"roll.{file_format}", upload, save=False)
    job.save()
    # The task by its registered name: consultations.tasks imports this module, not the other way round.
    # robust: a broker that is down must not turn the upload, already committed, into a 500; the job then stays
    # queued and its page says so.
    transaction.on_commit(lambda: current_app.tasks["consultations.run_roll_import"].delay(job.pk), robust=True)
    return job


def _job_update(job: RollImportJob, **values) -> None:
    for name, value in values.items():
        setattr(job, name, value)
    RollImportJob.objects.filter(pk=job.pk).update(**values)


def roll_import_job_run(*, job_id: int) -> RollImportJob | None:
    language = RollImportJob.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):  # the report in the uploader's language
        return _roll_import_job_run(job_id)


def _roll_import_job_run(job_id: int) -> RollImportJob | None:
    """Run a queued import: check every row (progress is written as it goes, outside the write transaction, so
    a page can poll it), then write all units and mark the job succeeded in one transaction — or write nothing
    and mark it failed with the report. A job that already finished is left as it is, so a redelivered task (a
    killed worker) runs a job at most once to its end; one killed mid-run wrote nothing and runs again."""
    with transaction.atomic():
        job = (
            RollImportJob.objects.select_for_update().select_related("compound", "created_by").filter(pk=job_id).first()
        )
        if job is None or job.finished:
            return job
        _job_update(job, status=RollImportStatus.RUNNING, started_at=timezone.now(), rows_done=0)
    try:
        if not can_manage(job.created_by, job.compound):  # the role may have been withdrawn since the upload
            raise PermissionDenied
        with job.file.open("rb") as stored:
            rows = _read_rows(stored, job.file_format)
        if not rows:
            raise DomainError(_("The file is empty."), code="bad_file", field="file")
        _job_update(job, rows_total=len(rows) - 1)
        parsed, errors = _check_roll(job.compound, rows, progress=lambda done: _job_update(job, rows_done=done))
        if errors:
            _job_update(
                job,
                status=RollImportStatus.FAILED,
                rows_done=job.rows_total,
                finished_at=timezone.now(),
                errors=[{"row": row, "message": message} for row, message in errors],
            )
        else:
            with transaction.atomic():
                created, updated = _write_roll(job.compound, parsed, job.created_by)
                _job_update(
                    job,
                    status=RollImportStatus.SUCCEEDED,
                    rows_done=job.rows_total,
                    created_count=created,
                    updated_count=updated,
                    finished_at=timezone.now(),
                )
    except DomainError as error:
        _job_update(job, status=RollImportStatus.FAILED, failure=error.message, finished_at=timezone.now())
    except PermissionDenied:
        _job_update(
            job,
            status=RollImportStatus.FAILED,
            finished_at=timezone.now(),
            failure=_("You may no longer import the roll of this compound."),
        )
    except Exception:
        _job_update(
            job,
            status=RollImportStatus.FAILED,
            finished_at=timezone.now(),
            failure=_("The import failed unexpectedly; nothing was imported. Try again later."),
        )
        raise
    finally:
        if job.finished and job.file:
            job.file.delete(save=False)  # owners' personal data: kept no longer than the import needs it
            RollImportJob.objects.filter(pk=job.pk).update(file="")
    return job


# --- owners and per-unit changes of the roll ---

OWNER_NAME_MAX = Owner._meta.get_field("name").max_length
OWNER_PHONE_MAX = Owner._meta.get_field("phone").max_length
UNIT_MAX = OwnerUnit._meta.get_field("unit").max_length
_ID_TAIL = re.compile(r"^[0-9A-Za-z]{0,4}$")


def _owner_clean(*, name: str, phone: str, id_tail: str, kind: str) -> tuple[str, str, str]:
    name, phone, id_tail = (name or "").strip(), (phone or "").strip(), (id_tail or "").strip().upper()
    if not name:
        raise DomainError(_("Give the owner's name."), code="required", field="name")
    if len(name) > OWNER_NAME_MAX or _CONTROL.search(name):
        raise DomainError(
            _("The name is at most %(max)d characters of text.") % {"max": OWNER_NAME_MAX},
            code="bad_name",
            field="name",
        )
    if len(phone) > OWNER_PHONE_MAX or _CONTROL.search(phone):
        raise DomainError(
            _("The phone is at most %(max)d characters of text.") % {"max": OWNER_PHONE_MAX},
            code="bad_phone",
            field="phone",
        )
    if not _ID_TAIL.match(id_tail):
        raise DomainError(
            _("Give only the last 4 characters of the ID card (digits or X)."), code="bad_id_tail", field="id_tail"
        )
    if kind not in OwnerKind.values:
        raise DomainError(_("Choose the kind of owner."), code="bad_kind", field="kind")
    return name, phone, id_tail


def _owner_unique(compound_id: int, name: str, phone: str, id_tail: str, exclude: int | None = None) -> None:
    same = Owner.objects.filter(compound_id=compound_id, name=name, phone=phone, id_tail=id_tail)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise DomainError(
            _(
                "This compound already has an owner of this name, phone and ID tail: choose that owner, or tell "
                "the two apart by the last 4 characters of the ID card."
            ),
            code="owner_exists",
            field="name",
        )


@transaction.atomic
def owner_create(
    *, actor: User, compound: Compound, name: str, phone: str = "", id_tail: str = "", kind: str = OwnerKind.PERSON
) -> Owner:
    """A new owner of the compound (a person, the developer holding unsold units, or the housing authority)."""
    _require(actor, compound)
    name, phone, id_tail = _owner_clean(name=name, phone=phone, id_tail=id_tail, kind=kind)
    _owner_unique(compound.pk, name, phone, id_tail)
    return Owner.objects.create(compound=compound, kind=kind, name=name, phone=phone, id_tail=id_tail)


OWNER_EDITABLE = ("name", "phone", "id_tail", "kind")


@transaction.atomic
def owner_update(*, actor: User, owner: Owner, **values) -> Owner:
    """Change an owner's name, phone, ID tail or kind. Their current units show the new name and phone, and each
    unit's history records the change."""
    locked = Owner.objects.select_for_update(of=("self",)).select_related("compound").get(pk=owner.pk)
    _require(actor, locked.compound)
    merged = {name: values.get(name, getattr(locked, name)) for name in OWNER_EDITABLE}
    name, phone, id_tail = _owner_clean(**merged)
    merged.update(name=name, phone=phone, id_tail=id_tail)
    changed = [name_ for name_ in OWNER_EDITABLE if merged[name_] != getattr(locked, name_)]
    if not changed:
        return locked
    _owner_unique(locked.compound_id, name, phone, id_tail, exclude=locked.pk)
    for name_ in changed:
        setattr(locked, name_, merged[name_])
    locked.save(update_fields=[*changed, "updated_at"])
    if {"name", "phone"} & set(changed):
        units = list(OwnerUnit.objects.filter(owner=locked, retired_at__isnull=True).select_for_update())
        now = timezone.now()
        history = []
        for unit in units:
            diff = {
                column: [getattr(unit, column), value]
                for column, value in (("owner_name", name), ("owner_phone", phone))
                if getattr(unit, column) != value
            }
            unit.owner_name, unit.owner_phone, unit.updated_at = name, phone, now
            if diff:
                history.append(UnitChange(owner_unit=unit, action=UnitChange.Action.EDITED, changes=diff, actor=actor))
        OwnerUnit.objects.bulk_update(units, ["owner_name", "owner_phone", "updated_at"])
        UnitChange.objects.bulk_create(history)
    return locked


def _area_clean(value) -> Decimal:
    try:
        area = Decimal(str(value).strip())
        if not area.is_finite() or area <= 0 or area >= Decimal("10000000") or area != area.quantize(Decimal("0.01")):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise DomainError(
            _("The area is a positive number of m² with at most two decimals."), code="bad_area", field="area"
        ) from None
    return area.quantize(Decimal("0.01"))


def _stairwell_clean(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 100:
        raise DomainError(_("The stairwell is a number from 1 to 99."), code="bad_stairwell", field="stairwell")
    return value


def _owner_of(compound: Compound, owner: Owner | None) -> Owner:
    if owner is None or owner.compound_id != compound.pk:
        raise DomainError(_("Choose an owner of this compound."), code="foreign_owner", field="owner")
    return owner


@transaction.atomic
def owner_unit_add(
    *,
    actor: User,
    compound: Compound,
    building: Building,
    unit: str,
    area,
    owner: Owner,
    stairwell: int = 1,
    note: str = "",
) -> OwnerUnit:
    """Add one unit to the roll (beside the file import), held by an owner of the compound; its history
    records who added it."""
    _require(actor, compound)
    if building is None or building.compound_id != compound.pk:
        raise DomainError(_("Choose a building of this compound."), code="building_required", field="building")
    unit = _unit_key(unit or "")
    if not unit or len(unit) > UNIT_MAX or _CONTROL.search(unit):
        raise DomainError(
            _("Give the unit, at most %(max)d characters.") % {"max": UNIT_MAX}, code="bad_unit", field="unit"
        )
    area, stairwell, owner = _area_clean(area), _stairwell_clean(stairwell), _owner_of(compound, owner)
    Compound.objects.select_for_update().filter(pk=compound.pk).first()  # one at a time with the imports
    if OwnerUnit.objects.filter(building=building, unit=unit, retired_at__isnull=True).exists():
        raise DomainError(
            _("Unit %(unit)s of this building is already on the roll.") % {"unit": unit},
            code="unit_exists",
            field="unit",
        )
    created = OwnerUnit.objects.create(
        compound=compound,
        building=building,
        stairwell=stairwell,
        unit=unit,
        owner=owner,
        owner_name=owner.name,
        owner_phone=owner.phone,
        area=area,
    )
    UnitChange.objects.create(
        owner_unit=created,
        action=UnitChange.Action.ADDED,
        changes={
            "unit": [None, unit],
            "stairwell": [None, stairwell],
            "area": [None, str(area)],
            "owner": [None, owner.name],
        },
        note=(note or "")[:200],
        actor=actor,
    )
    return created


@transaction.atomic
def owner_unit_update(
    *, actor: User, owner_unit: OwnerUnit, area=None, owner: Owner | None = None, stairwell=None, note: str = ""
) -> OwnerUnit:
    """Change a unit's area, owner or stairwell; the unit's history records old and new values. A vote already
    open keeps the area and owner it froze."""
    locked = OwnerUnit.objects.select_for_update(of=("self",)).select_related("compound", "owner").get(pk=owner_unit.pk)
    _require(actor, locked.compound)
    if locked.retired_at is not None:
        raise DomainError(_("This unit has been retired from the roll."), code="unit_retired")
    diff, fields = {}, []
    if area is not None:
        area = _area_clean(area)
        if area != locked.area:
            diff["area"] = [str(locked.area), str(area)]
            locked.area = area
            fields.append("area")
    if stairwell is not None:
        stairwell = _stairwell_clean(stairwell)
        if stairwell != locked.stairwell:
            diff["stairwell"] = [locked.stairwell, stairwell]
            locked.stairwell = stairwell
            fields.append("stairwell")
    if owner is not None:
        owner = _owner_of(locked.compound, owner)
        if owner.pk != locked.owner_id:
            diff["owner"] = [locked.owner.name if locked.owner else locked.owner_name, owner.name]
            locked.owner, locked.owner_name, locked.owner_phone = owner, owner.name, owner.phone
            fields += ["owner", "owner_name", "owner_phone"]
    if not fields:
        return locked
    locked.save(update_fields=[*fields, "updated_at"])
    UnitChange.objects.create(
        owner_unit=locked, action=UnitChange.Action.EDITED, changes=diff, note=(note or "")[:200], actor=actor
    )
    return locked


@transaction.atomic
def owner_unit_retire(*, actor: User, owner_unit: OwnerUnit, note: str = "") -> OwnerUnit:
    """Take a unit off the roll without deleting it: votes that froze it keep it; later votes leave it out, and
    its label may be entered again."""
    locked = OwnerUnit.objects.select_for_update(of=("self",)).select_related("compound").get(pk=owner_unit.pk)
    _require(actor, locked.compound)
    if locked.retired_at is not None:
        raise DomainError(_("This unit has been retired from the roll."), code="unit_retired")
    locked.retired_at = timezone.now()
    locked.save(update_fields=["retired_at", "updated_at"])
    UnitChange.objects.create(
        owner_unit=locked,
        action=UnitChange.Action.RETIRED,
        changes={"retired_at": [None, locked.retired_at.isoformat()]},
        note=(note or "")[:200],
        actor=actor,
    )
    return locked


# --- votes ---


def may_see_ballots(user, vote: Vote) -> bool:
    """The vote's organiser and officials over the compound."""
    scope = get_scope(user)
    return (
        scope.is_global
        or vote.organiser_id == user.pk
        or (scope.is_official and can_change_compound(user, vote.topic.compound))
    )


@transaction.atomic
def vote_create(
    *,
    actor: User,
    topic: Topic,
    title: str,
    matter_type: str,
    electorate: str = Electorate.COMPOUND,
    building: Building | None = None,
    stairwell: int | None = None,
) -> Vote:
    _require(actor, topic.compound)
    if topic.step != Step.DELIBERATION:
        raise DomainError(
            _("Votes are held at the deliberation step (the topic is at “%(step)s”).")
            % {"step": topic.get_step_display()},
            code="wrong_step",
        )
    if electorate == Electorate.COMPOUND:
        building, stairwell = None, None
    elif building is None or building.compound_id != topic.compound_id:
        raise DomainError(_("Choose a building of this compound."), code="building_required", field="building")
    if electorate == Electorate.BUILDING:
        stairwell = None
    elif electorate == Electorate.STAIRWELL and not stairwell:
        raise DomainError(_("Choose the stairwell."), code="stairwell_required", field="stairwell")
    if not title.strip():
        raise DomainError(_("Write the question put to the owners."), code="required", field="title")
    vote = Vote(
        topic=topic,
        title=title.strip(),
        matter_type=matter_type,
        electorate=electorate,
        building=building,
        stairwell=stairwell,
        organiser=actor,
    )
    vote.full_clean()
    vote.save()
    return vote


def _electorate_units(vote: Vote):
    units = OwnerUnit.objects.filter(compound_id=vote.topic.compound_id, retired_at__isnull=True)
    if vote.electorate in (Electorate.BUILDING, Electorate.STAIRWELL):
        units = units.filter(building_id=vote.building_id)
    if vote.electorate == Electorate.STAIRWELL:
        units = units.filter(stairwell=vote.stairwell)
    return units.select_related("building")


@transaction.atomic
def vote_open(*, actor: User, vote: Vote) -> Vote:
    """Open the vote and freeze its electorate: each current (not retired) unit with its owner and area as they
    are now."""
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.DRAFT:
        raise DomainError(_("Only a draft vote can be opened."), code="not_draft")
    units = list(_electorate_units(locked))
    if not units:
        raise DomainError(
            _("The owners' roll has no units for this electorate: import it first."), code="empty_electorate"
        )
    Voter.objects.bulk_create(
        [
            Voter(
                vote=locked,
                owner_unit=u,
                unit_label=f"{u.building.number} {u.unit}"[:40],
                owner_name=u.owner_name,
                owner_id=u.owner_id,
                area=u.area,
            )
            for u in units
        ]
    )
    locked.status, locked.opened_at = VoteStatus.OPEN, timezone.now()
    locked.save(update_fields=["status", "opened_at", "updated_at"])
    return locked


CONFIRMATION_REF_MAX = Ballot._meta.get_field("confirmation_ref").max_length


@transaction.atomic
def ballot_record(
    *,
    actor: User,
    vote: Vote,
    voter: Voter,
    choice: str,
    channel: str = BallotChannel.PAPER,
    scan=None,
    confirmation_ref: str = "",
) -> Ballot:
    """Enter one unit's ballot. Staff enter every ballot, so each comes with its evidence: a paper ballot with
    its scan, an owner's online ballot with the platform's confirmation reference, and a ballot staff enter on
    the owner's behalf with an attachment (e.g. the signed authorisation) or a confirmation reference (e.g. the
    recorded call's number). Who entered it is kept (``entered_by``) and the tally shows each channel."""
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.OPEN:
        raise DomainError(_("The vote is not open."), code="vote_not_open")
    if voter.vote_id != locked.pk:
        raise DomainError(_("This unit is not in the vote's electorate."), code="not_in_electorate", field="voter")
    if channel not in BallotChannel.values:
        raise DomainError(_("Choose how the ballot was cast."), code="bad_channel", field="channel")
    confirmation_ref = (confirmation_ref or "").strip()
    if len(confirmation_ref) > CONFIRMATION_REF_MAX or _CONTROL.search(confirmation_ref):
        raise DomainError(
            _("The confirmation reference is at most %(max)d characters of text.") % {"max": CONFIRMATION_REF_MAX},
            code="bad_confirmation_ref",
            field="confirmation_ref",
        )
    if channel == BallotChannel.PAPER and scan is None:
        raise DomainError(_("Attach the scan of the paper ballot."), code="scan_required", field="scan")
    if channel == BallotChannel.ONLINE and not confirmation_ref:
        raise DomainError(
            _("Give the online platform's confirmation reference of the owner's ballot."),
            code="confirmation_required",
            field="confirmation_ref",
        )
    if channel == BallotChannel.STAFF and scan is None and not confirmation_ref:
        raise DomainError(
            _(
                "A ballot entered on the owner's behalf needs its evidence: attach it (e.g. the signed "
                "authorisation) or give a confirmation reference."
            ),
            code="evidence_required",
            field="confirmation_ref",
        )
    if scan is not None:
        try:
            scan = prepare_photo(scan).image  # no EXIF: a phone's GPS would say where the voter lives
        except ValidationError as error:
            raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="scan") from None
    # An owner votes once, with all their units of the electorate (Article 278 counts them once by head and
    # with all their area): the ballot is recorded for each of the owner's units, with the same evidence.
    units = [voter]
    if voter.owner_id is not None:
        units = list(Voter.objects.filter(vote=locked, owner_id=voter.owner_id).order_by("pk"))
    if Ballot.objects.filter(voter__in=units).exists():
        raise DomainError(
            _("Unit %(unit)s has already voted.") % {"unit": voter.unit_label}
            if len(units) == 1
            else _("The owner of unit %(unit)s has already voted.") % {"unit": voter.unit_label},
            code="already_voted",
            field="voter",
        )
    ballot = Ballot.objects.create(
        voter=voter,
        choice=choice,
        channel=channel,
        scan=scan or "",
        confirmation_ref=confirmation_ref,
        entered_by=actor,
    )
    others = [
        Ballot(
            voter=unit,
            choice=choice,
            channel=channel,
            scan=ballot.scan.name if ballot.scan else "",
            confirmation_ref=confirmation_ref,
            entered_by=actor,
            cast_at=ballot.cast_at,
        )
        for unit in units
        if unit.pk != voter.pk
    ]
    Ballot.objects.bulk_create(others)
    return ballot


def vote_tally(vote: Vote):
    if "voters" in getattr(vote, "_prefetched_objects_cache", {}):  # a page of votes (selectors.votes)
        rows = [
            (voter.area, voter.ballot.choice, voter.ballot.channel, voter.owner_id)
            if hasattr(voter, "ballot")
            else (voter.area, None, None, voter.owner_id)
            for voter in vote.voters.all()
        ]
    else:
        rows = vote.voters.values_list("area", "ballot__choice", "ballot__channel", "owner_id")
    return tally(voters=rows, major=is_major(vote.matter_type))


@transaction.atomic
def vote_close(*, actor: User, vote: Vote) -> Vote:
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.OPEN:
        raise DomainError(_("The vote is not open."), code="vote_not_open")
    result = vote_tally(locked)
    locked.result = (
        VoteResult.PASSED
        if result.passed
        else VoteResult.FAILED_PARTICIPATION
        if not result.participation_met
        else VoteResult.FAILED_APPROVAL
    )
    locked.status, locked.closed_at = VoteStatus.CLOSED, timezone.now()
    locked.save(update_fields=["status", "result", "closed_at", "updated_at"])
    election = LeadElection.objects.filter(vote=locked).first()
    if election is not None and locked.result == VoteResult.PASSED:
        _lead_election_apply(actor=actor, election=election, vote=locked, for_owners=result.for_owners)
    return locked


# --- building lead elections: a vote of the building's owners that elects its lead ---


@transaction.atomic
def lead_election_create(
    *,
    actor: User,
    topic: Topic,
    building: Building,
    candidate_name: str,
    candidate_phone: str = "",
    service_phone: str = "",
    term_starts_on=None,
    term_ends_on=None,
    title: str = "",
) -> LeadElection:
    """Put a candidate for building lead to the vote of the building's owners (a draft vote of the topic, opened,
    balloted and closed as any vote). When it passes, the candidate becomes the building's lead."""
    candidate_name = (candidate_name or "").strip()
    if not candidate_name or len(candidate_name) > 50:
        raise DomainError(
            _("Give the candidate's name (at most 50 characters)."), code="required", field="candidate_name"
        )
    if term_starts_on and term_ends_on and term_ends_on < term_starts_on:
        raise DomainError(_("The term cannot end before it starts."), code="invalid_term", field="term_ends_on")
    candidate_phone, service_phone = (candidate_phone or "").strip(), (service_phone or "").strip()
    message = _("Enter a phone number (digits, spaces, + ( ) -; at most 20 characters).")
    if candidate_phone and not community_services.PHONE_PATTERN.match(candidate_phone):
        raise DomainError(message, code="bad_phone", field="candidate_phone")
    if service_phone and not community_services.PHONE_PATTERN.match(service_phone):
        raise DomainError(message, code="bad_phone", field="service_phone")
    vote = vote_create(
        actor=actor,
        topic=topic,
        title=(title or "").strip()
        or _("Elect %(name)s as the building lead of %(building)s")
        % {"name": candidate_name, "building": building.number},
        matter_type=MatterType.OTHER,
        electorate=Electorate.BUILDING,
        building=building,
    )
    return LeadElection.objects.create(
        vote=vote,
        candidate_name=candidate_name,
        candidate_phone=candidate_phone,
        service_phone=service_phone,
        term_starts_on=term_starts_on,
        term_ends_on=term_ends_on,
    )


def _lead_election_apply(*, actor: User, election: LeadElection, vote: Vote, for_owners: int) -> None:
    """The vote passed: the candidate is the building's lead from the day it closed (the earlier lead's record is
    ended by the communities service), with the owners in favour as the candidate's votes."""
    closed_on = timezone.localdate(vote.closed_at)
    lead = community_services.building_lead_record(
        actor=actor,
        building=vote.building,
        name=election.candidate_name,
        phone=election.candidate_phone,
        service_phone=election.service_phone,
        chosen_by=LeadChoice.ELECTED,
        chosen_on=closed_on,
        term_starts_on=election.term_starts_on,
        term_ends_on=election.term_ends_on,
        candidates=[{"name": election.candidate_name, "votes": for_owners}],
        basis=(_("Owners' vote: %(title)s (no. %(id)d)") % {"title": vote.title, "id": vote.pk})[:200],
    )
    election.lead = lead
    election.save(update_fields=["lead"])


# --- residents' problems ---


@transaction.atomic
def problem_record(
    *,
    actor: User,
    compound: Compound,
    description: str,
    channel: str,
    raised_by_name: str = "",
    raised_by_phone: str = "",
    building: Building | None = None,
    assigned_to: User | None = None,
) -> ResidentProblem:
    _require(actor, compound)
    if not description.strip():
        raise DomainError(_("Describe the problem."), code="required", field="description")
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("The building is not in this compound."), code="foreign_building", field="building")
    if assigned_to is not None and not compound_staff(compound).filter(pk=assigned_to.pk).exists():
        raise DomainError(
            _(
                "Assign the problem to the compound's community secretary or to an official of its "
                "subdistrict or district."
            ),
            code="invalid_assignee",
            field="assigned_to",
        )
    problem = ResidentProblem.objects.create(
        compound=compound,
        building=building,
        description=description.strip(),
        channel=channel,
        raised_by_name=raised_by_name.strip(),
        raised_by_phone=raised_by_phone.strip(),
        assigned_to=assigned_to,
        created_by=actor,
        tracking_code=new_code(ResidentProblem, "tracking_code"),
    )
    events.problem_assigned(problem=problem, actor=actor)
    return problem


@transaction.atomic
def problem_answer(*, actor: User, problem: ResidentProblem, answer: str, resolved: bool = False) -> ResidentProblem:
    locked = (
        ResidentProblem.objects.select_for_update()
        .select_related("compound__community__subdistrict")
        .get(pk=problem.pk)
    )
    _require(actor, locked.compound)
    if locked.status == ProblemStatus.RESOLVED:
        raise DomainError(_("The problem is already resolved."), code="already_resolved")
    if not answer.strip():
        raise DomainError(_("Write the answer."), code="required", field="answer")
    now = timezone.now()
    first_answer = locked.answered_at is None
    locked.answer = answer.strip()
    locked.answered_at = locked.answered_at or now
    locked.status = ProblemStatus.RESOLVED if resolved else ProblemStatus.ANSWERED
    locked.resolved_at = now if resolved else None
    locked.save(update_fields=["answer", "answered_at", "status", "resolved_at", "updated_at"])
    events.problem_answered(problem=locked, actor=actor, first_answer=first_answer)
    return locked


# --- residents in the loop: reports from the plate's QR code, publishing, the satisfaction survey ---

# Codes a resident reads off a slip or a screen and types: no 0/O, 1/I/L. 31⁸ ≈ 8.5 × 10¹¹ codes, drawn by
# ``secrets``: a code cannot be guessed, and the public pages' miss limit stops anyone trying.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
MAX_REPORT_LENGTH = 2000


def new_code(model, field: str) -> str:
    """A fresh random code, unused in ``model.field`` (a clash is one in billions; the unique index has the last
    word)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not model.objects.filter(**{field: code}).exists():
            return code


def normalize_code(text: str) -> str:
    """What a resident typed, as stored: upper case, without spaces or dashes."""
    return re.sub(r"[\s\-]", "", str(text or "")).upper()[:20]


@transaction.atomic
def problem_report_from_plate(
    *,
    compound: Compound,
    description: str,
    building: Building | None = None,
    raised_by_name: str = "",
    raised_by_phone: str = "",
    photo=None,
) -> ResidentProblem:
    """A resident's own report from the public page the plate's QR code opens: no sign-in, no actor. The photo
    is checked and re-encoded without metadata (a HEIC photo becomes a JPEG); the compound's secretaries are told
    at once (after the commit). Returns the problem with its tracking code."""
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe the problem."), code="required", field="description")
    if len(description) > MAX_REPORT_LENGTH:
        raise DomainError(
            _("Keep the description under %(n)s characters.") % {"n": MAX_REPORT_LENGTH},
            code="too_long",
            field="description",
        )
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("The building is not in this compound."), code="foreign_building", field="building")
    stored = None
    if photo is not None:
        try:
            stored = prepare_photo(photo)  # no EXIF: a phone's GPS would say where the resident lives
        except ValidationError as error:
            raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="photo") from None
    problem = ResidentProblem.objects.create(
        compound=compound,
        building=building,
        description=description,
        channel=Channel.PLATE_QR,
        raised_by_name=(raised_by_name or "").strip()[:50],
        raised_by_phone=(raised_by_phone or "").strip()[:20],
        tracking_code=new_code(ResidentProblem, "tracking_code"),
        photo=stored.image if stored else "",
        thumbnail=stored.thumbnail if stored else "",
    )
    events.problem_reported(problem=problem)
    return problem


@transaction.atomic
def problem_publish(*, actor: User, problem: ResidentProblem, published: bool) -> ResidentProblem:
    """Show the problem, its status and its answer on the compound's public page (and the answer on the tracking
    page), or take them off. Never the reporter's name or phone. Publishing again keeps the first date."""
    locked = (
        ResidentProblem.objects.select_for_update()
        .select_related("compound__community__subdistrict")
        .get(pk=problem.pk)
    )
    _require(actor, locked.compound)
    if published == (locked.published_at is not None):
        return locked
    locked.published_at = timezone.now() if published else None
    locked.save(update_fields=["published_at", "updated_at"])
    return locked


def _handed_over(compound: Compound) -> bool:
    return Project.objects.filter(compound=compound, status=ProjectStatus.HANDED_OVER).exists()


@transaction.atomic
def survey_open(*, actor: User, compound: Compound) -> Survey:
    """Open the satisfaction survey of a compound whose renovation is handed over: one code per current unit of
    the owners' roll, to print on a slip for each household."""
    _require(actor, compound)
    Compound.objects.select_for_update().filter(pk=compound.pk).first()  # one opening at a time per compound
    if not _handed_over(compound):
        raise DomainError(
            _("The survey opens once a renovation project of the compound is handed over."), code="not_handed_over"
        )
    if Survey.objects.filter(compound=compound, closed_at__isnull=True).exists():
        raise DomainError(_("A survey of this compound is already open."), code="survey_open")
    units = list(
        OwnerUnit.objects.filter(compound=compound, retired_at__isnull=True)
        .select_related("building")
        .order_by("building__number", "stairwell", "unit")
    )
    if not units:
        raise DomainError(
            _("The compound's owners' roll has no units: enter the roll before opening the survey."),
            code="no_units",
        )
    survey = Survey.objects.create(compound=compound, opened_by=actor)
    codes = set()
    while len(codes) < len(units):
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    taken = set(SurveyCode.objects.filter(code__in=codes).values_list("code", flat=True))
    codes = [code for code in codes if code not in taken]
    while len(codes) < len(units):
        codes.append(new_code(SurveyCode, "code"))
    SurveyCode.objects.bulk_create(
        SurveyCode(survey=survey, owner_unit=unit, unit_label=f"{unit.building.number} {unit.unit}", code=code)
        for unit, code in zip(units, codes, strict=True)
    )
    return survey


@transaction.atomic
def survey_close(*, actor: User, survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=survey.pk)
    _require(actor, locked.compound)
    if locked.closed_at is not None:
        raise DomainError(_("The survey is already closed."), code="already_closed")
    locked.closed_at = timezone.now()
    locked.save(update_fields=["closed_at", "updated_at"])
    return locked


def survey_code_lookup(code: str) -> SurveyCode | None:
    return SurveyCode.objects.select_related("survey__compound").filter(code=normalize_code(code)).first()


@transaction.atomic
def survey_answer(
    *,
    code: str,
    overall: int,
    quality: int | None = None,
    site_conduct: int | None = None,
    communication: int | None = None,
    comment: str = "",
) -> SurveyResponse:
    """A household answers with its slip's code, once: a used code is refused (the row lock and the one-to-one
    answer make two racing answers one)."""
    locked = SurveyCode.objects.select_for_update().select_related("survey").filter(code=normalize_code(code)).first()
    if locked is None:
        raise DomainError(_("This code is unknown. Check the code on your slip."), code="unknown_code", field="code")
    if locked.used_at is not None:
        raise DomainError(
            _("This code has already been used: each household answers once."), code="code_used", field="code"
        )
    if locked.survey.closed_at is not None:
        raise DomainError(_("This survey is closed."), code="survey_closed", field="code")
    for name, value in (
        ("overall", overall),
        ("quality", quality),
        ("site_conduct", site_conduct),
        ("communication", communication),
    ):
        if value is None and name == "overall":
            raise DomainError(_("Choose your overall satisfaction."), code="required", field=name)
        if value is not None and not 1 <= int(value) <= 5:
            raise DomainError(_("Choose a rating from 1 to 5."), code="out_of_range", field=name)
    now = timezone.now()
    response = SurveyResponse.objects.create(
        survey=locked.survey,
        code=locked,
        overall=overall,
        quality=quality,
        site_conduct=site_conduct,
        communication=communication,
        comment=(comment or "").strip()[:2000],
        created_at=now,
    )
    locked.used_at = now
    locked.save(update_fields=["used_at"])
    return response
