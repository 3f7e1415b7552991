"""Every write of the consultations app: needs, topics and their seven steps, meetings, the owners' roll and its
import, votes and ballots, residents' problems."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Building, Compound, User
from communities.permissions import can_change_compound, compound_staff
from communities.scoping import get_scope
from consultations.choices import STEP_ORDER, Electorate, ProblemStatus, Step, VoteResult, VoteStatus
from consultations.models import (Ballot, Meeting, MeetingPhoto, Need, OwnerUnit, ResidentProblem, Topic,
                                  TopicStepEvent, Vote, Voter)
from consultations.tally import is_major, tally
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
def need_record(*, actor: User, compound: Compound, channel: str, category: str, content: str,
                building: Building | None = None, raised_by_name: str = "", raised_by_phone: str = "",
                on_behalf_role: str = "", topic: Topic | None = None) -> Need:
    _require(actor, compound)
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("The building is not in this compound."), code="foreign_building", field="building")
    if topic is not None and topic.compound_id != compound.pk:
        raise DomainError(_("The topic belongs to another compound."), code="foreign_topic", field="topic")
    if not content.strip():
        raise DomainError(_("Describe the need."), code="required", field="content")
    need = Need(compound=compound, building=building, channel=channel, category=category, content=content.strip(),
                raised_by_name=raised_by_name.strip(), raised_by_phone=raised_by_phone.strip(),
                on_behalf_role=on_behalf_role, topic=topic, recorded_by=actor)
    need.full_clean()
    need.save()
    return need


# --- topics and the seven steps ---

@transaction.atomic
def topic_create(*, actor: User, compound: Compound, title: str, description: str = "",
                 needs: list[Need] | tuple = ()) -> Topic:
    _require(actor, compound)
    if not title.strip():
        raise DomainError(_("Give the topic a title."), code="required", field="title")
    topic = Topic.objects.create(compound=compound, title=title.strip(), description=description.strip(),
                                 created_by=actor)
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
    Step.DRAFT_TOPIC: ("description",), Step.RESEARCH: ("research_notes",), Step.DELIBERATION: ("decision",),
    Step.APPLY_RESULT: ("result_summary", "plan_version", "scope_items"), Step.SUPERVISION: ("supervision_notes",),
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
        raise DomainError(_("At step “%(step)s” only its own record can be written.")
                          % {"step": locked.get_step_display()}, code="wrong_step_record")
    scope_items = record.pop("scope_items", None)
    plan = record.get("plan_version")
    if plan is not None and plan.project.compound_id != locked.compound_id:
        raise DomainError(_("The plan version belongs to another compound's project."), code="foreign_plan",
                          field="plan_version")
    for name, value in record.items():
        setattr(locked, name, value.strip() if isinstance(value, str) else value)
    if record:
        locked.save(update_fields=[*record, "updated_at"])
    if scope_items is not None:
        if any(item.project.compound_id != locked.compound_id for item in scope_items):
            raise DomainError(_("A work item belongs to another compound's project."), code="foreign_item",
                              field="scope_items")
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
    TopicStepEvent.objects.create(topic=locked, from_step=previous, to_step=locked.step, actor=actor,
                                  note=note.strip())
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


# --- meetings ---

@transaction.atomic
def meeting_log(*, actor: User, compound: Compound, kind: str, held_at, place: str, attendance: int = 0,
                representatives: str = "", topics: list[Topic] | tuple = (), new_topic_titles: list[str] | tuple = (),
                minutes: str = "", decisions: str = "", publish: bool = False, photos=()) -> Meeting:
    """Log a meeting in one go: agenda topics (existing ones, and new ones created from their titles), minutes,
    decisions, photos; publish the minutes now or later."""
    _require(actor, compound)
    if held_at > timezone.now() + timezone.timedelta(days=60):
        raise DomainError(_("The meeting date is too far in the future."), code="bad_date", field="held_at")
    if publish and not minutes.strip():
        raise DomainError(_("Write the minutes before publishing them."), code="minutes_required", field="minutes")
    if any(topic.compound_id != compound.pk for topic in topics):
        raise DomainError(_("An agenda topic belongs to another compound."), code="foreign_topic", field="topics")
    stored = _photos_ok(list(photos))
    meeting = Meeting.objects.create(
        compound=compound, kind=kind, held_at=held_at, place=place.strip(), convener=actor, attendance=attendance,
        representatives=representatives.strip(), minutes=minutes.strip(), decisions=decisions.strip(),
        minutes_published_at=timezone.now() if publish else None)
    created = [topic_create(actor=actor, compound=compound, title=title) for title in new_topic_titles
               if title.strip()]
    meeting.topics.set([*topics, *created])
    for photo in stored:  # a meeting has its own time and place: the camera's are not kept
        MeetingPhoto.objects.create(meeting=meeting, image=photo.image, thumbnail=photo.thumbnail)
    return meeting


@transaction.atomic
def meeting_publish_minutes(*, actor: User, meeting: Meeting, minutes: str | None = None,
                            decisions: str | None = None) -> Meeting:
    locked = Meeting.objects.select_for_update().select_related("compound__community__subdistrict").get(
        pk=meeting.pk)
    _require(actor, locked.compound)
    if minutes is not None:
        locked.minutes = minutes.strip()
    if decisions is not None:
        locked.decisions = decisions.strip()
    if not locked.minutes:
        raise DomainError(_("Write the minutes before publishing them."), code="minutes_required", field="minutes")
    locked.minutes_published_at = locked.minutes_published_at or timezone.now()
    locked.save(update_fields=["minutes", "decisions", "minutes_published_at", "updated_at"])
    return locked


# --- the owners' roll and its import ---

ROLL_COLUMNS = ("building", "stairwell", "unit", "owner_name", "owner_phone", "area")
ROLL_HEADERS = {  # accepted column titles, Chinese or English
    "building": ("楼栋", "楼栋号", "building"), "stairwell": ("单元", "stairwell"), "unit": ("房号", "户号", "unit"),
    "owner_name": ("业主", "业主姓名", "owner", "owner_name"), "owner_phone": ("电话", "联系电话", "phone", "owner_phone"),
    "area": ("专有部分面积", "面积", "area"),
}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number in the file, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_rows(upload) -> list[list[str]]:
    name = (getattr(upload, "name", "") or "").lower()
    upload.seek(0)
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(upload, read_only=True, data_only=True).active
        except Exception:
            raise DomainError(_("The file is not a readable XLSX workbook."), code="bad_file", field="file") from None
        return [["" if cell is None else str(cell).strip() for cell in row] for row in sheet.iter_rows(values_only=True)]
    if name.endswith(".csv"):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError(_("The CSV file is neither UTF-8 nor GB18030 text."), code="bad_file", field="file")
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    raise DomainError(_("Upload a .csv or .xlsx file."), code="bad_file", field="file")


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
        raise DomainError(_("The header row lacks the columns: %(columns)s (expected 楼栋, 单元, 房号, 业主, 电话, "
                            "专有部分面积).") % {"columns": ", ".join(missing)}, code="bad_header", field="file")
    return mapping


@transaction.atomic
def owner_roll_import(*, actor: User, compound: Compound, upload) -> ImportReport:
    """Import the owners' roll from CSV or XLSX. Every row is checked first; if any row is wrong, nothing is
    imported and the report lists each bad row. Existing units are updated, new ones created."""
    _require(actor, compound)
    rows = _read_rows(upload)
    if not rows:
        raise DomainError(_("The file is empty."), code="bad_file", field="file")
    columns = _column_map(rows[0])
    buildings = {b.number: b for b in compound.buildings.all()}
    buildings.update({b.number.removesuffix("号楼"): b for b in buildings.values()})
    report, parsed, seen = ImportReport(), [], set()

    def cell(row, name):
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) and row[index] else ""

    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        problems = []
        building = buildings.get(cell(row, "building"))
        if building is None:
            problems.append(_("unknown building “%(b)s”") % {"b": cell(row, "building")})
        unit = cell(row, "unit")
        if not unit:
            problems.append(_("the unit is missing"))
        owner = cell(row, "owner_name")
        if not owner:
            problems.append(_("the owner is missing"))
        try:
            area = Decimal(cell(row, "area"))
            if area <= 0 or area >= Decimal("10000000"):
                raise InvalidOperation
        except InvalidOperation:
            area = None
            problems.append(_("the area “%(a)s” is not a positive number of m²") % {"a": cell(row, "area")})
        stairwell_text = cell(row, "stairwell") or "1"
        stairwell = int(stairwell_text) if stairwell_text.isdigit() and 0 < int(stairwell_text) < 100 else None
        if stairwell is None:
            problems.append(_("the stairwell “%(s)s” is not a number") % {"s": stairwell_text})
        key = (cell(row, "building"), unit)
        if key in seen:
            problems.append(_("the unit appears twice in the file"))
        seen.add(key)
        if problems:
            report.errors.append((number, "；".join(problems)))
        else:
            parsed.append((building, stairwell, unit, owner, cell(row, "owner_phone")[:20], area))
    if report.errors:
        transaction.set_rollback(True)
        return report
    existing = {(u.building_id, u.unit): u for u in OwnerUnit.objects.filter(compound=compound)}
    for building, stairwell, unit, owner, phone, area in parsed:
        current = existing.get((building.pk, unit))
        if current is None:
            OwnerUnit.objects.create(compound=compound, building=building, stairwell=stairwell, unit=unit,
                                     owner_name=owner, owner_phone=phone, area=area)
            report.created += 1
        elif (current.stairwell, current.owner_name, current.owner_phone, current.area) != (
                stairwell, owner, phone, area):
            current.stairwell, current.owner_name, current.owner_phone, current.area = stairwell, owner, phone, area
            current.save(update_fields=["stairwell", "owner_name", "owner_phone", "area", "updated_at"])
            report.updated += 1
    return report


# --- votes ---

def may_see_ballots(user, vote: Vote) -> bool:
    """The vote's organiser and officials over the compound."""
    scope = get_scope(user)
    return scope.is_global or vote.organiser_id == user.pk or (
        scope.is_official and can_change_compound(user, vote.topic.compound))


@transaction.atomic
def vote_create(*, actor: User, topic: Topic, title: str, matter_type: str, electorate: str = Electorate.COMPOUND,
                building: Building | None = None, stairwell: int | None = None) -> Vote:
    _require(actor, topic.compound)
    if topic.step != Step.DELIBERATION:
        raise DomainError(_("Votes are held at the deliberation step (the topic is at “%(step)s”).")
                          % {"step": topic.get_step_display()}, code="wrong_step")
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
    vote = Vote(topic=topic, title=title.strip(), matter_type=matter_type, electorate=electorate,
                building=building, stairwell=stairwell, organiser=actor)
    vote.full_clean()
    vote.save()
    return vote


def _electorate_units(vote: Vote):
    units = OwnerUnit.objects.filter(compound_id=vote.topic.compound_id)
    if vote.electorate in (Electorate.BUILDING, Electorate.STAIRWELL):
        units = units.filter(building_id=vote.building_id)
    if vote.electorate == Electorate.STAIRWELL:
        units = units.filter(stairwell=vote.stairwell)
    return units.select_related("building")


@transaction.atomic
def vote_open(*, actor: User, vote: Vote) -> Vote:
    """Open the vote and freeze its electorate: each unit with its owner and area as they are now."""
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.DRAFT:
        raise DomainError(_("Only a draft vote can be opened."), code="not_draft")
    units = list(_electorate_units(locked))
    if not units:
        raise DomainError(_("The owners' roll has no units for this electorate: import it first."),
                          code="empty_electorate")
    Voter.objects.bulk_create([Voter(vote=locked, owner_unit=u, unit_label=f"{u.building.number} {u.unit}",
                                     owner_name=u.owner_name, area=u.area) for u in units])
    locked.status, locked.opened_at = VoteStatus.OPEN, timezone.now()
    locked.save(update_fields=["status", "opened_at", "updated_at"])
    return locked


@transaction.atomic
def ballot_record(*, actor: User, vote: Vote, voter: Voter, choice: str, paper: bool = True,
                  scan=None) -> Ballot:
    """Enter one unit's ballot (staff enter paper ballots with the scan attached)."""
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.OPEN:
        raise DomainError(_("The vote is not open."), code="vote_not_open")
    if voter.vote_id != locked.pk:
        raise DomainError(_("This unit is not in the vote's electorate."), code="not_in_electorate", field="voter")
    if paper and scan is None:
        raise DomainError(_("Attach the scan of the paper ballot."), code="scan_required", field="scan")
    if scan is not None:
        try:
            scan = prepare_photo(scan).image  # no EXIF: a phone's GPS would say where the voter lives
        except ValidationError as error:
            raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="scan") from None
    if Ballot.objects.filter(voter=voter).exists():
        raise DomainError(_("Unit %(unit)s has already voted.") % {"unit": voter.unit_label},
                          code="already_voted", field="voter")
    return Ballot.objects.create(voter=voter, choice=choice, paper=paper, scan=scan or "", entered_by=actor)


def vote_tally(vote: Vote):
    if "voters" in getattr(vote, "_prefetched_objects_cache", {}):  # a page of votes (selectors.votes)
        rows = [(voter.area, voter.ballot.choice if hasattr(voter, "ballot") else None) for voter in vote.voters.all()]
    else:
        rows = vote.voters.values_list("area", "ballot__choice")
    return tally(voters=rows, major=is_major(vote.matter_type))


@transaction.atomic
def vote_close(*, actor: User, vote: Vote) -> Vote:
    locked = Vote.objects.select_for_update().select_related("topic__compound").get(pk=vote.pk)
    _require(actor, locked.topic.compound)
    if locked.status != VoteStatus.OPEN:
        raise DomainError(_("The vote is not open."), code="vote_not_open")
    result = vote_tally(locked)
    locked.result = (VoteResult.PASSED if result.passed else VoteResult.FAILED_PARTICIPATION
                     if not result.participation_met else VoteResult.FAILED_APPROVAL)
    locked.status, locked.closed_at = VoteStatus.CLOSED, timezone.now()
    locked.save(update_fields=["status", "result", "closed_at", "updated_at"])
    return locked


# --- residents' problems ---

@transaction.atomic
def problem_record(*, actor: User, compound: Compound, description: str, channel: str,
                   raised_by_name: str = "", raised_by_phone: str = "", building: Building | None = None,
                   assigned_to: User | None = None) -> ResidentProblem:
    _require(actor, compound)
    if not description.strip():
        raise DomainError(_("Describe the problem."), code="required", field="description")
    if building is not None and building.compound_id != compound.pk:
        raise DomainError(_("The building is not in this compound."), code="foreign_building", field="building")
    if assigned_to is not None and not compound_staff(compound).filter(pk=assigned_to.pk).exists():
        raise DomainError(_("Assign the problem to the compound's community secretary or to an official of its "
                            "subdistrict or district."), code="invalid_assignee", field="assigned_to")
    return ResidentProblem.objects.create(compound=compound, building=building, description=description.strip(),
                                          channel=channel, raised_by_name=raised_by_name.strip(),
                                          raised_by_phone=raised_by_phone.strip(), assigned_to=assigned_to,
                                          created_by=actor)


@transaction.atomic
def problem_answer(*, actor: User, problem: ResidentProblem, answer: str, resolved: bool = False) -> ResidentProblem:
    locked = ResidentProblem.objects.select_for_update().select_related("compound__community__subdistrict").get(
        pk=problem.pk)
    _require(actor, locked.compound)
    if locked.status == ProblemStatus.RESOLVED:
        raise DomainError(_("The problem is already resolved."), code="already_resolved")
    if not answer.strip():
        raise DomainError(_("Write the answer."), code="required", field="answer")
    now = timezone.now()
    locked.answer = answer.strip()
    locked.answered_at = locked.answered_at or now
    locked.status = ProblemStatus.RESOLVED if resolved else ProblemStatus.ANSWERED
    locked.resolved_at = now if resolved else None
    locked.save(update_fields=["answer", "answered_at", "status", "resolved_at", "updated_at"])
    return locked
