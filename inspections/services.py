"""Every write of the inspections app: planning the weekly unannounced rounds, filing inspections with their
findings, and the life of a rectification issue (submit evidence → verify and close, or send back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.choices import InspectionTier, RoleKind
from communities.models import User
from communities.scoping import get_scope
from inspections import events
from inspections.choices import (
    DEFAULT_DEADLINE_DAYS,
    ChecklistKind,
    ChecklistStatus,
    InspectionStatus,
    IssueAction,
    IssueOrigin,
    IssueStatus,
    ItemKind,
    Outcome,
    PhotoKind,
    Severity,
)
from inspections.models import (
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionGroup,
    InspectionResult,
    IssueEvent,
    IssuePhoto,
    RectificationIssue,
)
from projects.models import Project
from renovation_portal.errors import DomainError
from renovation_portal.uploads import StoredPhoto, prepare_photos

WORKDAYS = 5


# --- who may do what ---


def is_inspector(user, tier: int | None = None) -> bool:
    scope = get_scope(user)
    if scope.is_global:
        return True
    if RoleKind.INSPECTOR not in scope.role_kinds:
        return False
    return tier is None or tier in scope.inspector_tiers


def can_inspect(user, project: Project, tier: int) -> bool:
    """Inspectors of the tier whose place scope covers the project (tier 1 also community and subdistrict
    staff: their secretaries and officials patrol their own compounds)."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    covered = Project.objects.visible_to(user).filter(pk=project.pk).exists()
    if not covered:
        return False
    if tier == InspectionTier.SITE:
        return bool(
            scope.role_kinds.intersection(
                {
                    RoleKind.INSPECTOR,
                    RoleKind.COMMUNITY_SECRETARY,
                    RoleKind.SUBDISTRICT_OFFICIAL,
                    RoleKind.DISTRICT_OFFICIAL,
                }
            )
        )
    return is_inspector(user, tier) or (
        tier == InspectionTier.LEADERSHIP and RoleKind.DISTRICT_OFFICIAL in scope.role_kinds
    )


# The community's own staff: its secretary and the tier-1 inspectors bound to it (who patrol its compounds).
COMMUNITY_STAFF = (RoleKind.COMMUNITY_SECRETARY, RoleKind.INSPECTOR)


def is_community_staff(user, community_id: int | None) -> bool:
    if community_id is None or not get_scope(user).role_kinds.intersection(COMMUNITY_STAFF):
        return False
    return user.roles.filter(kind__in=COMMUNITY_STAFF, community_id=community_id).exists()


def is_issue_assignee(user, issue: RectificationIssue) -> bool:
    """Who answers for the issue: the members of its contractor, the property service staff of its property service
    company, or the staff of its responsible community (an aftercare patrol's finding for the community)."""
    scope = get_scope(user)
    if issue.contractor_id is not None and issue.contractor_id in scope.company_ids:
        return True
    if issue.property_company_id is not None and issue.property_company_id in scope.property_company_ids:
        return True
    return issue.community_id is not None and is_community_staff(user, issue.community_id)


# The name the inspection pages and their tests know; a contractor is one kind of assignee.
is_issue_contractor = is_issue_assignee


def can_verify_patrol_issue(user, issue: RectificationIssue) -> bool:
    """An aftercare patrol's finding is verified by the place that keeps the compound: the staff of its community
    (secretary, community-bound inspectors), its subdistrict's officials or its district's — never by whoever
    answers for it (a finding for the community goes up to the subdistrict)."""
    if is_issue_assignee(user, issue):
        return False
    scope = get_scope(user)
    if scope.is_global:
        return True
    community = issue.project.compound.community
    return user.roles.filter(
        Q(kind__in=COMMUNITY_STAFF, community_id=community.pk)
        | Q(kind=RoleKind.SUBDISTRICT_OFFICIAL, subdistrict_id=community.subdistrict_id)
        | Q(kind=RoleKind.DISTRICT_OFFICIAL, district_id=community.subdistrict.district_id)
    ).exists()


def can_verify(user, issue: RectificationIssue) -> bool:
    """Inspectors of the tier that found the issue or a higher one (and district officials, above every tier)
    verify and close (销号) or send back — a tier-1 community patrol never closes a district group's finding —
    and never a member of the issue's contractor. A patrol's finding: ``can_verify_patrol_issue``."""
    if issue.origin == IssueOrigin.PATROL:
        return can_verify_patrol_issue(user, issue)
    if is_issue_contractor(user, issue):
        return False
    scope = get_scope(user)
    if scope.is_global:
        return True
    ranks = RoleKind.DISTRICT_OFFICIAL in scope.role_kinds or (
        RoleKind.INSPECTOR in scope.role_kinds and any(tier >= issue.tier for tier in scope.inspector_tiers)
    )
    return ranks and Project.objects.visible_to(user).filter(pk=issue.project_id).exists()


# --- the weekly tier-2 rounds ---


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@transaction.atomic
def plan_weekly_round(*, week: date, district_id: int | None = None) -> list[Inspection]:
    """Plan one unannounced tier-2 inspection for every compound whose project is not yet accepted.

    Compounds are spread evenly over the active tier-2 groups (each gets the least-loaded group) and each
    group's visits over the five working days; a group is not sent to the compound it inspected last week when
    another group can go. Planning a week twice adds nothing.
    """
    week = monday_of(week)
    groups = list(
        InspectionGroup.objects.filter(tier=InspectionTier.DISTRICT, active=True)
        .filter(**({"district_id": district_id} if district_id else {}))
        .order_by("id")
    )
    if not groups:
        return []
    template = current_template(InspectionTier.DISTRICT, district_id)
    projects = Project.objects.unaccepted().select_related("compound__community__subdistrict")
    if district_id:
        projects = projects.filter(compound__community__subdistrict__district_id=district_id)
    # One project per compound (the latest batch); already planned this week: skipped.
    chosen = {}
    for project in projects.order_by("compound_id", "-batch", "-id"):
        chosen.setdefault(project.compound_id, project)
    planned = set(Inspection.objects.filter(week=week).values_list("project_id", flat=True))
    last_week = dict(
        Inspection.objects.filter(week=week - timedelta(days=7)).values_list("project__compound_id", "group_id")
    )
    load = {group.id: 0 for group in groups}
    for existing in Inspection.objects.filter(week=week).values("group_id").annotate(n=Count("id")):
        load[existing["group_id"]] = existing["n"]
    created = []
    for compound_id, project in sorted(chosen.items()):
        if project.pk in planned:
            continue
        candidates = sorted(groups, key=lambda g: (load[g.id], g.id))
        avoid = last_week.get(compound_id)
        group = next((g for g in candidates if g.id != avoid and load[g.id] == load[candidates[0].id]), None) or next(
            (g for g in candidates if g.id != avoid), candidates[0]
        )
        day = week + timedelta(days=load[group.id] % WORKDAYS)
        load[group.id] += 1
        created.append(
            Inspection(
                project=project,
                tier=InspectionTier.DISTRICT,
                group=group,
                template=template,
                planned_date=day,
                week=week,
                unannounced=True,
            )
        )
    return Inspection.objects.bulk_create(created)


def current_template(tier: int, district_id: int | None = None) -> ChecklistTemplate:
    """The latest published checklist of the tier: the district's own if it has one, else the programme-wide.
    Aftercare standards (kind "aftercare") are never an inspection's checklist."""
    candidates = ChecklistTemplate.objects.filter(
        tier=tier, status=ChecklistStatus.PUBLISHED, kind=ChecklistKind.INSPECTION
    )
    template = (
        candidates.filter(Q(district__isnull=True) | Q(district_id=district_id))
        .order_by(F("district_id").desc(nulls_last=True), "-version", "-id")
        .first()
    )
    if template is None:
        raise DomainError(_("There is no checklist for this tier yet."), code="no_checklist")
    return template


@transaction.atomic
def checklist_new_version(*, actor: User, template: ChecklistTemplate, items: list[dict]) -> ChecklistTemplate:
    """Publish the next version of a checklist with these items in one step: the draft, its items and the
    publication of ``checklist_start_version``, ``checklist_update_draft`` and ``checklist_publish``, so only those
    who may publish it may do it (district officials of its district; an administrator for a programme-wide one).
    Inspections keep the version they used."""
    draft = checklist_start_version(actor=actor, template=template)
    checklist_update_draft(actor=actor, template=draft, items=[ItemInput(**item) for item in items])
    return checklist_publish(actor=actor, template=draft)


# --- filing an inspection ---


@dataclass
class FindingInput:
    description: str
    location: str
    severity: str
    item: ChecklistItem | None = None
    deadline: date | None = None
    photos: list = field(default_factory=list)


@dataclass
class ResultInput:
    item: ChecklistItem
    outcome: str = ""
    score: int | None = None
    note: str = ""


@transaction.atomic
def inspection_start(*, actor: User, project: Project, tier: int) -> Inspection:
    """An inspection begun on the spot (site patrols, the leadership evaluation)."""
    if not can_inspect(actor, project, tier):
        raise PermissionDenied
    return Inspection.objects.create(
        project=project,
        tier=tier,
        template=current_template(tier, project.compound.community.subdistrict.district_id),
        planned_date=timezone.localdate(),
    )


@transaction.atomic
def inspection_file(
    *, actor: User, inspection: Inspection, results: list[ResultInput], findings: list[FindingInput], summary: str = ""
) -> Inspection:
    """File the checklist and the findings. Every failed item needs a finding; each finding becomes a
    rectification issue assigned to the project's contractor, with a deadline by severity."""
    locked = (
        Inspection.objects.select_for_update()
        .select_related("project__compound__community__subdistrict", "template")
        .get(pk=inspection.pk)
    )
    if not can_inspect(actor, locked.project, locked.tier):
        raise PermissionDenied
    if locked.status == InspectionStatus.FILED:
        raise DomainError(_("This inspection has already been filed."), code="already_filed")
    items = {item.pk: item for item in locked.template.items.all()}
    if any(result.item.pk not in items for result in results):
        raise DomainError(_("A result refers to an item of another checklist."), code="foreign_item", field="results")
    foreign = sorted({f.item.pk for f in findings if f.item is not None and f.item.pk not in items})
    if foreign:
        raise DomainError(
            _("A finding refers to item %(items)s, which is not on this inspection's checklist.")
            % {"items": ", ".join(str(pk) for pk in foreign)},
            code="foreign_item",
            field="findings",
        )
    _check_answers(items, results, findings)
    finding_photos = []
    for finding in findings:
        try:
            finding_photos.append(prepare_photos(finding.photos))  # checked and stripped of EXIF before any write
        except ValidationError as error:
            raise ChecklistError(
                error.messages[0],
                code=error.code or "photo_invalid",
                field="photos",
                item_errors={finding.item.pk: error.messages[0]} if finding.item else {},
            ) from None
    InspectionResult.objects.bulk_create(
        [
            InspectionResult(inspection=locked, item_id=r.item.pk, outcome=r.outcome, score=r.score, note=r.note[:300])
            for r in results
        ]
    )
    today = timezone.localdate()
    project = locked.project
    for finding, photos in zip(findings, finding_photos):
        issue = RectificationIssue.objects.create(
            inspection=locked,
            project=project,
            contractor_id=project.contractor_id,
            found_by=actor,
            item=finding.item,
            kind=finding.item.code if finding.item else "other",
            description=finding.description.strip(),
            location=finding.location.strip(),
            severity=finding.severity,
            tier=locked.tier,
            deadline=finding.deadline or today + timedelta(days=DEFAULT_DEADLINE_DAYS[finding.severity]),
        )
        opened = IssueEvent.objects.create(issue=issue, action=IssueAction.OPENED, actor=actor)
        _save_photos(issue, PhotoKind.FINDING, photos)
        events.issue_assigned(issue=issue, event=opened, actor=actor)
    scores = [r.score for r in results if r.score is not None]
    locked.status, locked.inspector, locked.filed_at = InspectionStatus.FILED, actor, timezone.now()
    locked.summary, locked.score = summary.strip(), (sum(scores) if scores else None)
    locked.save(update_fields=["status", "inspector", "filed_at", "summary", "score", "updated_at"])
    return locked


class ChecklistError(DomainError):
    """A checklist refused, with what is wrong with each item it concerns (``item_errors``: item id → message),
    so that the form marks each of them and not only the first."""

    def __init__(self, message, *, code: str, field: str, item_errors: dict[int, str]):
        super().__init__(message, code=code, field=field)
        self.item_errors = item_errors


def _check_answers(items: dict, results: list[ResultInput], findings: list[FindingInput]) -> None:
    """Every item answered (a scored one within its weight), every failed item with a finding, every finding
    complete. Refuses with the first kind of problem's message and every item's own (``ChecklistError``)."""
    problems: dict[int, str] = {}
    answered = {result.item.pk for result in results if result.outcome or result.score is not None}
    unanswered = [pk for pk in items if pk not in answered]
    for pk in unanswered:
        problems[pk] = _("Answer this item.")
    bad_scores = []
    for result in results:
        item = items[result.item.pk]
        if item.kind == "score" and (result.score is None or result.score > item.max_score):
            bad_scores.append(_("Score “%(item)s” between 0 and %(max)d.") % {"item": item.text, "max": item.max_score})
            problems.setdefault(item.pk, bad_scores[-1])
    failed = {r.item.pk for r in results if r.outcome == Outcome.FAIL}
    without_finding = sorted(failed - {f.item.pk for f in findings if f.item is not None})
    for pk in without_finding:
        problems.setdefault(pk, _("A failed item needs a finding."))
    incomplete = [
        finding
        for finding in findings
        if finding.severity not in Severity.values or not finding.description.strip() or not finding.location.strip()
    ]
    for finding in incomplete:
        if finding.item is not None:
            problems.setdefault(
                finding.item.pk, _("Describe the finding, say where it is and choose how serious it is.")
            )
    if unanswered:
        raise ChecklistError(
            _("Answer every item of the checklist."), code="incomplete_checklist", field="results", item_errors=problems
        )
    if bad_scores:
        raise ChecklistError(bad_scores[0], code="bad_score", field="results", item_errors=problems)
    if without_finding:
        raise ChecklistError(
            _("Each failed item needs a finding: %(items)s.")
            % {"items": "、".join(items[pk].text for pk in without_finding)},
            code="finding_missing",
            field="findings",
            item_errors=problems,
        )
    if incomplete:
        raise ChecklistError(
            _("Each finding needs a description, a location and a severity."),
            code="incomplete_finding",
            field="findings",
            item_errors=problems,
        )


# The checks of a filled-in checklist, for the aftercare patrols too (their checklists are aftercare standards).
def check_answers(items: dict, results: list[ResultInput], findings: list[FindingInput]) -> None:
    _check_answers(items, results, findings)


# --- rectification issues ---


def _save_photos(issue, kind: str, photos: list[StoredPhoto], round: int = 0) -> None:
    """Photos as ``prepare_photos`` left them: no EXIF in the file; the camera's time and position as fields.
    ``round``: 0 for the finding's, N for the evidence of the Nth submission."""
    for photo in photos:
        IssuePhoto.objects.create(
            issue=issue,
            kind=kind,
            round=round,
            image=photo.image,
            thumbnail=photo.thumbnail,
            taken_at=photo.taken_at,
            latitude=photo.latitude,
            longitude=photo.longitude,
        )


def _lock(issue):
    return (
        RectificationIssue.objects.select_for_update()
        .select_related("project__compound__community__subdistrict")
        .get(pk=issue.pk)
    )


@transaction.atomic
def issue_submit_rectification(*, actor: User, issue: RectificationIssue, note: str, photos=()) -> RectificationIssue:
    """The contractor reports the fix with evidence photos."""
    locked = _lock(issue)
    if not is_issue_assignee(actor, locked):
        raise PermissionDenied
    if locked.status != IssueStatus.OPEN:
        raise DomainError(_("Only an open issue can be submitted."), code="not_open")
    if not note.strip():
        raise DomainError(_("Describe the rectification."), code="required", field="note")
    photos = list(photos)
    if not photos:
        raise DomainError(_("Attach at least one evidence photo."), code="evidence_required", field="photos")
    try:
        stored = prepare_photos(photos)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="photos") from None
    round = 1 + IssueEvent.objects.filter(issue=locked, action=IssueAction.SUBMITTED).count()
    _save_photos(locked, PhotoKind.EVIDENCE, stored, round=round)
    locked.status, locked.rectification_note, locked.submitted_at = IssueStatus.SUBMITTED, note.strip(), timezone.now()
    locked.save(update_fields=["status", "rectification_note", "submitted_at", "updated_at"])
    event = IssueEvent.objects.create(issue=locked, action=IssueAction.SUBMITTED, actor=actor, note=note.strip())
    events.evidence_submitted(issue=locked, event=event, actor=actor)
    return locked


@transaction.atomic
def issue_verify(*, actor: User, issue: RectificationIssue, note: str = "") -> RectificationIssue:
    """An inspector checks the evidence and closes the issue (销号). A contractor never closes its own."""
    locked = _lock(issue)
    if not can_verify(actor, locked):
        raise PermissionDenied
    if locked.status != IssueStatus.SUBMITTED:
        raise DomainError(_("Only a submitted rectification can be verified."), code="not_submitted")
    locked.status, locked.closed_at, locked.closed_by = IssueStatus.CLOSED, timezone.now(), actor
    locked.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    event = IssueEvent.objects.create(issue=locked, action=IssueAction.CLOSED, actor=actor, note=note.strip())
    events.issue_closed(issue=locked, event=event, actor=actor)
    return locked


@transaction.atomic
def issue_send_back(*, actor: User, issue: RectificationIssue, note: str) -> RectificationIssue:
    """The evidence does not convince: the issue is open again, with the reason."""
    locked = _lock(issue)
    if not can_verify(actor, locked):
        raise PermissionDenied
    if locked.status != IssueStatus.SUBMITTED:
        raise DomainError(_("Only a submitted rectification can be sent back."), code="not_submitted")
    if not note.strip():
        raise DomainError(_("Say what is still wrong."), code="required", field="note")
    locked.status = IssueStatus.OPEN
    locked.save(update_fields=["status", "updated_at"])
    event = IssueEvent.objects.create(issue=locked, action=IssueAction.SENT_BACK, actor=actor, note=note.strip())
    events.issue_sent_back(issue=locked, event=event, actor=actor)
    return locked


@transaction.atomic
def patrol_issue_open(
    *,
    actor: User,
    project: Project,
    item: ChecklistItem | None,
    description: str,
    location: str,
    severity: str,
    deadline: date,
    photos: list[StoredPhoto] = (),
    contractor_id: int | None = None,
    property_company_id: int | None = None,
    community_id: int | None = None,
    warranty_category: str = "",
) -> RectificationIssue:
    """An aftercare patrol's finding as a rectification issue (the aftercare app's ``patrol_file`` decides who may
    patrol, who answers for the finding and its deadline, and checks the photos): opened, its photos saved and whoever
    answers for it told — the same life from here on as an inspection's issue."""
    if sum(x is not None for x in (contractor_id, property_company_id, community_id)) != 1:
        raise DomainError(_("Say who answers for the finding."), code="no_assignee", field="findings")
    issue = RectificationIssue.objects.create(
        origin=IssueOrigin.PATROL,
        project=project,
        contractor_id=contractor_id,
        property_company_id=property_company_id,
        community_id=community_id,
        warranty_category=warranty_category,
        found_by=actor,
        item=item,
        kind=item.code if item else ("warranty" if warranty_category else "other"),
        description=description.strip(),
        location=location.strip(),
        severity=severity,
        tier=InspectionTier.SITE,
        deadline=deadline,
    )
    opened = IssueEvent.objects.create(issue=issue, action=IssueAction.OPENED, actor=actor)
    _save_photos(issue, PhotoKind.FINDING, list(photos))
    events.issue_assigned(issue=issue, event=opened, actor=actor)
    return issue


def open_serious_issue_reasons(project) -> list[str]:
    """The completion blocker registered with the projects app."""
    count = (
        RectificationIssue.objects.filter(project=project, severity=Severity.SERIOUS)
        .exclude(status=IssueStatus.CLOSED)
        .count()
    )
    return [_("%(count)d serious rectification issues are not closed") % {"count": count}] if count else []


def repeat_findings(user=None):
    """Findings of the same kind on one contractor's projects, counted (more than once = a repeat). The inspections'
    findings only, as the scorecard's repeats: an aftercare patrol's warranty defects are counted apart."""
    issues = RectificationIssue.objects.all() if user is None else RectificationIssue.objects.visible_to(user)
    return (
        issues.filter(origin=IssueOrigin.INSPECTION)
        .exclude(contractor__isnull=True)
        .values("contractor_id", "contractor__name", "kind")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .order_by("-count", "contractor__name")
    )


def escalation_recipients(tier: int, district_id: int) -> list[int]:
    """The officials of a tier: tier 2 — district officials and tier-2 inspectors; tier 3 — district officials."""
    from communities.models import Role

    q = Q(kind=RoleKind.DISTRICT_OFFICIAL, district_id=district_id)
    if tier == InspectionTier.DISTRICT:
        q |= Q(kind=RoleKind.INSPECTOR, tier=InspectionTier.DISTRICT, district_id=district_id)
    return sorted(set(Role.objects.filter(q).values_list("user_id", flat=True)))


# --- setting up: inspection groups and checklists (district officials) ---


def is_district_official_of(user, district_id: int | None) -> bool:
    """Officials of that district manage its groups and checklists; the programme-wide checklists (no district)
    only an administrator."""
    scope = get_scope(user)
    if scope.is_global:
        return True
    return (
        district_id is not None
        and RoleKind.DISTRICT_OFFICIAL in scope.role_kinds
        and district_id in set(user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL).values_list("district_id", flat=True))
    )


def group_member_candidates(district_id: int):
    """Users with an inspector role in the district (bound to it, or to a subdistrict or community in it)."""
    in_district = (
        Q(roles__district_id=district_id)
        | Q(roles__subdistrict__district_id=district_id)
        | Q(roles__community__subdistrict__district_id=district_id)
    )
    return (
        User.objects.filter(is_active=True)
        .filter(Q(roles__kind=RoleKind.INSPECTOR) & in_district)
        .distinct()
        .order_by("display_name", "username")
    )


def _require_group_name(name: str, *, district_id: int, exclude_pk=None) -> str:
    """A group's name, unique among its district's groups (another district may have a group of the same name)."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the group a name."), code="required", field="name")
    if InspectionGroup.objects.filter(district_id=district_id, name=name).exclude(pk=exclude_pk).exists():
        raise DomainError(_("There is already a group of this name."), code="duplicate_name", field="name")
    return name


def _require_tier(tier) -> int:
    if tier not in InspectionTier.values:
        raise DomainError(_("Choose a tier."), code="invalid_tier", field="tier")
    return tier


@transaction.atomic
def inspection_group_create(*, actor: User, district, name: str, tier: int) -> InspectionGroup:
    if not is_district_official_of(actor, district.pk):
        raise PermissionDenied
    return InspectionGroup.objects.create(
        district=district,
        name=_require_group_name(name, district_id=district.pk),
        tier=_require_tier(tier),
        active=True,
    )


@transaction.atomic
def inspection_group_update(*, actor: User, group: InspectionGroup, **changes) -> InspectionGroup:
    """Rename, change the tier, or (re)activate a group. A deactivated group is not sent on new rounds; its past
    inspections keep it."""
    locked = InspectionGroup.objects.select_for_update().get(pk=group.pk)
    if not is_district_official_of(actor, locked.district_id):
        raise PermissionDenied
    unknown = set(changes) - {"name", "tier", "active"}
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if "name" in changes:
        changes["name"] = _require_group_name(changes["name"], district_id=locked.district_id, exclude_pk=locked.pk)
    if "tier" in changes:
        _require_tier(changes["tier"])
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*changes, "updated_at"])
    return locked


def inspection_group_deactivate(*, actor: User, group: InspectionGroup) -> InspectionGroup:
    return inspection_group_update(actor=actor, group=group, active=False)


@transaction.atomic
def inspection_group_add_member(*, actor: User, group: InspectionGroup, user: User | None) -> InspectionGroup:
    locked = InspectionGroup.objects.select_for_update().get(pk=group.pk)
    if not is_district_official_of(actor, locked.district_id):
        raise PermissionDenied
    if user is None or not group_member_candidates(locked.district_id).filter(pk=user.pk).exists():
        raise DomainError(
            _("Only a user with an inspector role in this district can join the group."),
            code="not_an_inspector",
            field="user",
        )
    locked.members.add(user)
    locked.save(update_fields=["updated_at"])
    return locked


@transaction.atomic
def inspection_group_remove_member(*, actor: User, group: InspectionGroup, user: User) -> InspectionGroup:
    locked = InspectionGroup.objects.select_for_update().get(pk=group.pk)
    if not is_district_official_of(actor, locked.district_id):
        raise PermissionDenied
    locked.members.remove(user)
    locked.save(update_fields=["updated_at"])
    return locked


@dataclass
class ItemInput:
    text: str
    kind: str = ItemKind.PASS_FAIL
    guideline_ref: str = ""
    max_score: int = 0
    code: str = ""


def _require_items(tier: int, items: list[ItemInput]) -> list[ItemInput]:
    if not items:
        raise DomainError(_("A checklist needs at least one item."), code="empty_checklist", field="items")
    codes = set()
    for position, item in enumerate(items, start=1):
        item.text, item.guideline_ref, item.code = item.text.strip(), item.guideline_ref.strip(), item.code.strip()
        if not item.text:
            raise DomainError(_("Item %(n)d has no text.") % {"n": position}, code="required", field="items")
        if item.kind not in ItemKind.values:
            raise DomainError(_("Item %(n)d: choose a kind.") % {"n": position}, code="invalid_kind", field="items")
        if item.kind == ItemKind.SCORE and not item.max_score:
            raise DomainError(
                _("Item %(n)d is scored: give it a weight (maximum score).") % {"n": position},
                code="weight_required",
                field="items",
            )
        if item.kind == ItemKind.PASS_FAIL:
            item.max_score = 0
        if not item.code:
            item.code = f"item-{position}"
            while item.code in codes:
                item.code += "x"
        if item.code in codes:
            raise DomainError(
                _("Item code “%(code)s” is used twice.") % {"code": item.code}, code="duplicate_code", field="items"
            )
        codes.add(item.code)
    return items


def _lock_draft(template: ChecklistTemplate, actor: User) -> ChecklistTemplate:
    locked = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
    if not is_district_official_of(actor, locked.district_id):
        raise PermissionDenied
    if locked.status != ChecklistStatus.DRAFT:
        raise DomainError(
            _("A published checklist cannot be changed: start its next version."), code="already_published"
        )
    return locked


def _write_items(template: ChecklistTemplate, items: list[ItemInput]) -> None:
    template.items.all().delete()
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                template=template,
                position=position,
                code=item.code,
                text=item.text,
                kind=item.kind,
                guideline_ref=item.guideline_ref,
                max_score=item.max_score,
            )
            for position, item in enumerate(items, start=1)
        ]
    )


@transaction.atomic
def checklist_create(
    *, actor: User, district, name: str, tier: int, items: list[ItemInput], kind: str = ChecklistKind.INSPECTION
) -> ChecklistTemplate:
    """A new checklist of a district, as a draft (version 1) until it is published. An aftercare standard (kind
    "aftercare") is patrolled like a site patrol: its tier is always 1."""
    if not is_district_official_of(actor, district.pk if district else None):
        raise PermissionDenied
    name = (name or "").strip()
    if not name:
        raise DomainError(_("Give the checklist a name."), code="required", field="name")
    if ChecklistTemplate.objects.filter(name=name).exists():
        raise DomainError(
            _("There is already a checklist of this name: edit it by starting its next version."),
            code="duplicate_name",
            field="name",
        )
    if kind not in ChecklistKind.values:
        raise DomainError(_("Choose what the checklist is for."), code="invalid_kind", field="kind")
    if kind == ChecklistKind.AFTERCARE:
        tier = InspectionTier.SITE
    template = ChecklistTemplate.objects.create(
        name=name, kind=kind, tier=_require_tier(tier), district=district, status=ChecklistStatus.DRAFT
    )
    _write_items(template, _require_items(template.tier, items))
    return template


# The default aftercare standards (《老旧小区改造后续管理工作方案》: environment, safety, order), as seeded for a
# district: (key, name, items as (code, text)). Data in the district's language, as a district would write them.
AFTERCARE_STANDARDS = (
    (
        "environment",
        "环境卫生标准",
        (
            ("env-roads", "道路、广场干净整洁，无积水、无垃圾堆放"),
            ("env-greening", "绿化养护良好，无黄土裸露、无毁绿种菜"),
            ("env-waste", "垃圾分类投放点整洁，按时清运、无满溢"),
            ("env-walls", "外立面、楼道无乱张贴、乱涂画"),
            ("env-drains", "雨污管道通畅，无堵塞、无外溢"),
        ),
    ),
    (
        "safety",
        "安全管理标准",
        (
            ("safety-fire-lane", "消防通道畅通，无占用"),
            ("safety-fire-equipment", "消防设施完好有效，在检验期内"),
            ("safety-charging", "电动车在充电点充电，无飞线充电、无入户充电"),
            ("safety-falling", "外墙、空调架、雨篷牢固，无高空坠物隐患"),
            ("safety-wiring", "公共电气线路规整，无私拉乱接"),
        ),
    ),
    (
        "order",
        "秩序维护标准",
        (
            ("order-parking", "车辆停放在划定车位，无乱停乱放"),
            ("order-structures", "无新增违章搭建"),
            ("order-boards", "公示栏、楼栋亮牌信息及时更新"),
            ("order-spaces", "公共空间无堆物、无圈占"),
        ),
    ),
)


@transaction.atomic
def checklist_seed_aftercare_standards(*, actor: User, district) -> list[ChecklistTemplate]:
    """Give a district the default aftercare standards, published (version 1), named after the district; the
    district then edits them like any checklist (its next version). Seeding twice adds nothing."""
    if not is_district_official_of(actor, district.pk):
        raise PermissionDenied
    seeded = []
    for _key, title, items in AFTERCARE_STANDARDS:
        name = f"{district.name}{title}"
        existing = ChecklistTemplate.objects.filter(name=name).order_by("-version").first()
        if existing is not None:
            seeded.append(existing)
            continue
        template = ChecklistTemplate.objects.create(
            name=name,
            kind=ChecklistKind.AFTERCARE,
            tier=InspectionTier.SITE,
            district=district,
            status=ChecklistStatus.PUBLISHED,
            published_at=timezone.now(),
        )
        _write_items(template, [ItemInput(text=text, code=code) for code, text in items])
        seeded.append(template)
    return seeded


@transaction.atomic
def checklist_update_draft(*, actor: User, template: ChecklistTemplate, items: list[ItemInput]) -> ChecklistTemplate:
    """Replace the items of a draft (a published version is never changed)."""
    locked = _lock_draft(template, actor)
    _write_items(locked, _require_items(locked.tier, items))
    locked.save(update_fields=["updated_at"])
    return locked


@transaction.atomic
def checklist_start_version(*, actor: User, template: ChecklistTemplate) -> ChecklistTemplate:
    """Start the next version of a published checklist: a draft with the latest version's items."""
    if not is_district_official_of(actor, template.district_id):
        raise PermissionDenied
    versions = ChecklistTemplate.objects.select_for_update().filter(name=template.name).order_by("-version")
    latest = versions.first()
    if any(v.status == ChecklistStatus.DRAFT for v in versions):
        raise DomainError(_("This checklist already has a draft: finish it first."), code="draft_exists")
    draft = ChecklistTemplate.objects.create(
        name=latest.name,
        kind=latest.kind,
        tier=latest.tier,
        district=latest.district,
        version=latest.version + 1,
        status=ChecklistStatus.DRAFT,
    )
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                template=draft,
                position=item.position,
                code=item.code,
                text=item.text,
                kind=item.kind,
                guideline_ref=item.guideline_ref,
                max_score=item.max_score,
            )
            for item in latest.items.all()
        ]
    )
    return draft


@transaction.atomic
def checklist_publish(*, actor: User, template: ChecklistTemplate) -> ChecklistTemplate:
    """Publish a draft: new inspections of its tier use it from now on; earlier ones keep theirs."""
    locked = _lock_draft(template, actor)
    if not locked.items.exists():
        raise DomainError(_("A checklist needs at least one item."), code="empty_checklist", field="items")
    locked.status, locked.published_at = ChecklistStatus.PUBLISHED, timezone.now()
    locked.save(update_fields=["status", "published_at", "updated_at"])
    return locked
