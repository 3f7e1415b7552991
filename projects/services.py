"""Every write to projects: creation and edits, the lifecycle transitions, plans and their six-party
confirmation, scope items and progress reports.

Each transition is one function that checks who may do it and its preconditions, locks the project row,
changes the status and records the change (actor, time, note) in the project's history — all in one
transaction. Guards refuse with DomainError (shown to the user as it is), PermissionDenied for roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.choices import CompanyKind, RoleKind
from communities.models import Company, Compound, User
from communities.scoping import get_scope
from projects import permissions as perms
from projects.choices import CATEGORY_UNITS, Party, ProjectStatus
from projects.hooks import completion_blockers
from projects.models import (
    PlanConfirmation,
    PlanVersion,
    ProgrammeTarget,
    ProgressPhoto,
    ProgressReport,
    Project,
    ProjectEvent,
    ProjectFunding,
    ReportQuantity,
    ScopeItem,
)
from renovation_portal.errors import ConflictError, DomainError
from renovation_portal.uploads import prepare_photos

# --- creation and edits ---

PROJECT_EDITABLE_FIELDS = (
    "name",
    "batch",
    "contractor",
    "budget",
    "engineering_coordinator",
    "engineering_coordinator_phone",
    "masses_coordinator",
    "planned_start",
    "planned_finish",
)


def _require_epc_contractor(contractor: Company | None) -> None:
    """A project's contractor is the EPC contractor that designs and builds it: a designer, supervisor or
    property company cannot hold that place."""
    if contractor is not None and contractor.kind != CompanyKind.CONTRACTOR:
        raise DomainError(
            _("%(company)s is a %(kind)s, not an EPC contractor: choose an EPC contractor.")
            % {"company": contractor.name, "kind": contractor.get_kind_display()},
            code="not_a_contractor",
            field="contractor",
        )


@transaction.atomic
def project_create(
    *, actor: User, compound: Compound, name: str, batch: int, contractor: Company | None = None, **fields
) -> Project:
    """Officials over the compound open its renovation project; its masses general coordinator defaults to the
    compound's party-branch secretary."""
    project = Project(compound=compound, name=name, batch=batch, contractor=contractor, **fields)
    if not perms.can_edit_project(actor, project):
        raise PermissionDenied
    _require_epc_contractor(contractor)
    if not project.masses_coordinator and compound.party_branch is not None:
        project.masses_coordinator = compound.party_branch.secretary_name
    project.full_clean()
    project.save()
    ProjectEvent.objects.create(project=project, to_status=project.status, actor=actor, note=_("Project opened."))
    return project


@transaction.atomic
def project_update(*, actor: User, project: Project, expected_version: int | None = None, **changes) -> Project:
    """Edit basic data. ``expected_version`` is the version the editor loaded: if someone saved in between,
    the edit is refused with a conflict instead of overwriting theirs."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if not perms.can_edit_project(actor, locked):
        raise PermissionDenied
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(
            _(
                "Someone else changed this project while you were editing it. Reload the page to "
                "see their changes, then make yours again."
            ),
            code="edit_conflict",
        )
    unknown = set(changes) - set(PROJECT_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if "contractor" in changes:
        _require_epc_contractor(changes["contractor"])
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if changed:
        locked.full_clean(exclude=["compound", "liaisons"])
        locked.version = F("version") + 1
        locked.save(update_fields=[*changed, "version", "updated_at"])
        locked.refresh_from_db()
    return locked


def liaison_candidates(project: Project):
    """Who may be hooked to a project: subdistrict officials of its subdistrict and district officials of its
    district (the subdistrict leadership members and the district leaders)."""
    community = project.compound.community
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(roles__kind=RoleKind.SUBDISTRICT_OFFICIAL, roles__subdistrict_id=community.subdistrict_id)
            | Q(roles__kind=RoleKind.DISTRICT_OFFICIAL, roles__district_id=community.subdistrict.district_id)
        )
        .distinct()
        .order_by("display_name", "username")
    )


@transaction.atomic
def project_add_liaison(*, actor: User, project: Project, user: User) -> Project:
    """Hook a subdistrict leader (挂钩) to the project: subdistrict officials of the project's subdistrict and
    district officials set them."""
    locked = Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=project.pk)
    if not perms.is_official_for(actor, locked):
        raise PermissionDenied
    if user is None or not liaison_candidates(locked).filter(pk=user.pk).exists():
        raise DomainError(
            _("Only an official of the project's subdistrict or district can be hooked to it."),
            code="not_a_leader",
            field="user",
        )
    if not locked.liaisons.filter(pk=user.pk).exists():
        locked.liaisons.add(user)
        locked.version = F("version") + 1
        locked.save(update_fields=["version", "updated_at"])
        locked.refresh_from_db()
    return locked


@transaction.atomic
def project_remove_liaison(*, actor: User, project: Project, user: User) -> Project:
    """Unhook a leader from the project (removing one who is not hooked changes nothing)."""
    locked = Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=project.pk)
    if not perms.is_official_for(actor, locked):
        raise PermissionDenied
    if locked.liaisons.filter(pk=user.pk).exists():
        locked.liaisons.remove(user)
        locked.version = F("version") + 1
        locked.save(update_fields=["version", "updated_at"])
        locked.refresh_from_db()
    return locked


@transaction.atomic
def project_set_funding(*, actor: User, project: Project, amounts: dict[str, Decimal]) -> None:
    """Set the amount of each funding source (a zero removes the source)."""
    if not perms.can_edit_project(actor, project):
        raise PermissionDenied
    for source, amount in amounts.items():
        if amount is None or amount == 0:
            ProjectFunding.objects.filter(project=project, source=source).delete()
        elif amount < 0:
            raise DomainError(_("A funding amount cannot be negative."), code="negative_amount", field=source)
        else:
            ProjectFunding.objects.update_or_create(project=project, source=source, defaults={"amount": amount})


# --- the lifecycle ---


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str | None  # None: back to the status before suspension
    label: object  # a lazy translation
    note_required: bool = False


TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "start_survey",
            (ProjectStatus.PLANNING,),
            ProjectStatus.SURVEY_DESIGN,
            gettext_lazy("Start survey and design"),
        ),
        Transition(
            "submit_plan",
            (ProjectStatus.SURVEY_DESIGN,),
            ProjectStatus.PLAN_CONFIRMATION,
            gettext_lazy("Submit the plan for six-party confirmation"),
        ),
        Transition(
            "start_construction",
            (ProjectStatus.PLAN_CONFIRMATION,),
            ProjectStatus.CONSTRUCTION,
            gettext_lazy("Start construction"),
        ),
        Transition(
            "request_acceptance",
            (ProjectStatus.CONSTRUCTION,),
            ProjectStatus.COMPLETION_ACCEPTANCE,
            gettext_lazy("Request completion acceptance"),
        ),
        Transition(
            "accept_completion",
            (ProjectStatus.COMPLETION_ACCEPTANCE,),
            ProjectStatus.HANDED_OVER,
            gettext_lazy("Accept completion and hand over"),
        ),
        Transition(
            "reject_acceptance",
            (ProjectStatus.COMPLETION_ACCEPTANCE,),
            ProjectStatus.CONSTRUCTION,
            gettext_lazy("Send back to construction"),
            note_required=True,
        ),
        Transition(
            "suspend",
            (
                ProjectStatus.PLANNING,
                ProjectStatus.SURVEY_DESIGN,
                ProjectStatus.PLAN_CONFIRMATION,
                ProjectStatus.CONSTRUCTION,
                ProjectStatus.COMPLETION_ACCEPTANCE,
            ),
            ProjectStatus.SUSPENDED,
            gettext_lazy("Suspend"),
            note_required=True,
        ),
        Transition("resume", (ProjectStatus.SUSPENDED,), None, gettext_lazy("Resume")),
    )
}


def _move(*, actor: User, project: Project, name: str, note: str, allowed, guard=None) -> Project:
    transition = TRANSITIONS[name]
    locked = Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=project.pk)
    if not allowed(actor, locked):
        raise PermissionDenied
    if locked.status not in transition.sources:
        raise DomainError(
            _("“%(action)s” is not possible while the project is in “%(status)s”.")
            % {"action": transition.label, "status": locked.get_status_display()},
            code="invalid_transition",
        )
    if transition.note_required and not note.strip():
        raise DomainError(_("Give a reason."), code="note_required", field="note")
    if guard is not None:
        guard(locked)
    previous = locked.status
    target = transition.target or locked.status_before_suspension or ProjectStatus.PLANNING
    locked.status = target
    locked.status_before_suspension = previous if target == ProjectStatus.SUSPENDED else ""
    today = timezone.localdate()
    update_fields = ["status", "status_before_suspension", "version", "updated_at"]
    if target == ProjectStatus.CONSTRUCTION and locked.actual_start is None:
        locked.actual_start = today
        update_fields.append("actual_start")
    if target == ProjectStatus.HANDED_OVER:
        locked.actual_finish = today
        update_fields.append("actual_finish")
    locked.version = F("version") + 1
    locked.save(update_fields=update_fields)
    locked.refresh_from_db()
    ProjectEvent.objects.create(project=locked, from_status=previous, to_status=target, actor=actor, note=note.strip())
    return locked


def missing_confirmations(project: Project) -> list[str]:
    """The parties that have not confirmed the current plan version (all six when there is none)."""
    plan = project.current_plan()
    if plan is None:
        return list(Party.values)
    confirmed = set(plan.confirmations.values_list("party", flat=True))
    return [party for party in Party.values if party not in confirmed]


def _require_plan(project: Project) -> None:
    if project.current_plan() is None:
        raise DomainError(_("Add the renovation plan before submitting it for confirmation."), code="no_plan")


def _require_six_parties(project: Project) -> None:
    missing = missing_confirmations(project)
    if missing:
        names = "、".join(str(Party(party).label) for party in missing)
        raise DomainError(
            _(
                "Construction cannot start before all six parties confirmed the current plan. "
                "Still missing: %(parties)s."
            )
            % {"parties": names},
            code="confirmations_missing",
        )


def _require_ready_to_build(project: Project) -> None:
    """Construction starts only with the six parties' confirmation and the project's three responsible people:
    a hooked subdistrict leader (挂钩领导), the engineering and the masses general coordinators."""
    _require_six_parties(project)
    missing = []
    if not project.liaisons.exists():
        missing.append(str(gettext_lazy("hooked subdistrict leader")))
    if not project.engineering_coordinator.strip():
        missing.append(str(Project._meta.get_field("engineering_coordinator").verbose_name))
    if not project.masses_coordinator.strip():
        missing.append(str(Project._meta.get_field("masses_coordinator").verbose_name))
    if missing:
        raise DomainError(
            _("Construction cannot start before the project has: %(people)s.") % {"people": "、".join(missing)},
            code="coordinators_missing",
        )


def _require_finished(project: Project) -> None:
    if project.progress_percent < 100:
        raise DomainError(
            _("Completion acceptance needs the works 100%% complete (now %(percent)d%%).")
            % {"percent": project.progress_percent},
            code="not_finished",
        )


def _require_no_blockers(project: Project) -> None:
    reasons = completion_blockers(project)
    if reasons:
        raise DomainError(
            _("Completion cannot be accepted yet: %(reasons)s") % {"reasons": "；".join(reasons)},
            code="completion_blocked",
        )


def _manager(user, project) -> bool:
    return perms.is_contractor_for(user, project) or perms.is_official_for(user, project)


@transaction.atomic
def project_start_survey(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(actor=actor, project=project, name="start_survey", note=note, allowed=_manager)


@transaction.atomic
def project_submit_plan(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(actor=actor, project=project, name="submit_plan", note=note, allowed=_manager, guard=_require_plan)


@transaction.atomic
def project_start_construction(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(
        actor=actor,
        project=project,
        name="start_construction",
        note=note,
        allowed=_manager,
        guard=_require_ready_to_build,
    )


@transaction.atomic
def project_request_acceptance(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(
        actor=actor, project=project, name="request_acceptance", note=note, allowed=_manager, guard=_require_finished
    )


@transaction.atomic
def project_accept_completion(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(
        actor=actor,
        project=project,
        name="accept_completion",
        note=note,
        allowed=perms.is_district_official_for,
        guard=_require_no_blockers,
    )


@transaction.atomic
def project_reject_acceptance(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(
        actor=actor, project=project, name="reject_acceptance", note=note, allowed=perms.is_district_official_for
    )


@transaction.atomic
def project_suspend(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(actor=actor, project=project, name="suspend", note=note, allowed=perms.is_official_for)


@transaction.atomic
def project_resume(*, actor: User, project: Project, note: str = "") -> Project:
    return _move(actor=actor, project=project, name="resume", note=note, allowed=perms.is_official_for)


TRANSITION_SERVICES = {
    "start_survey": project_start_survey,
    "submit_plan": project_submit_plan,
    "start_construction": project_start_construction,
    "request_acceptance": project_request_acceptance,
    "accept_completion": project_accept_completion,
    "reject_acceptance": project_reject_acceptance,
    "suspend": project_suspend,
    "resume": project_resume,
}
TRANSITION_PERMISSIONS = {
    "start_survey": _manager,
    "submit_plan": _manager,
    "start_construction": _manager,
    "request_acceptance": _manager,
    "accept_completion": perms.is_district_official_for,
    "reject_acceptance": perms.is_district_official_for,
    "suspend": perms.is_official_for,
    "resume": perms.is_official_for,
}


def available_transitions(user, project: Project) -> list[Transition]:
    """The transitions this user may attempt now (guards are checked when they do)."""
    return [
        t
        for name, t in TRANSITIONS.items()
        if project.status in t.sources and TRANSITION_PERMISSIONS[name](user, project)
    ]


# --- plans and the six-party confirmation ---


@transaction.atomic
def plan_version_create(*, actor: User, project: Project, summary: str, changes: str = "") -> PlanVersion:
    """A new version of the plan; confirmations of earlier versions no longer count."""
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if not perms.can_manage_scope(actor, locked):
        raise PermissionDenied
    if locked.status in (ProjectStatus.HANDED_OVER,):
        raise DomainError(_("The project is handed over; its plan can no longer change."), code="project_closed")
    if not summary.strip():
        raise DomainError(_("Describe the plan."), code="required", field="summary")
    number = (locked.plan_versions.aggregate(top=Max("number"))["top"] or 0) + 1
    return PlanVersion.objects.create(
        project=locked, number=number, summary=summary.strip(), changes=changes.strip(), created_by=actor
    )


@transaction.atomic
def plan_confirm(
    *, actor: User, plan_version: PlanVersion, party: str, signatory: str = "", note: str = ""
) -> PlanConfirmation:
    """Record one party's confirmation of the current plan version."""
    project = Project.objects.select_for_update().get(pk=plan_version.project_id)
    if party not in Party.values:
        raise DomainError(_("Unknown party."), code="invalid_party", field="party")
    if not perms.can_confirm_for(actor, project, party):
        raise PermissionDenied
    current = project.current_plan()
    if current is None or current.pk != plan_version.pk:
        raise DomainError(
            _("Only the current plan version can be confirmed; version %(number)d has been replaced.")
            % {"number": plan_version.number},
            code="plan_superseded",
        )
    if plan_version.confirmations.filter(party=party).exists():
        raise DomainError(
            _("%(party)s has already confirmed this version.") % {"party": Party(party).label},
            code="already_confirmed",
            field="party",
        )
    return PlanConfirmation.objects.create(
        plan_version=plan_version, party=party, confirmed_by=actor, signatory=signatory.strip(), note=note.strip()
    )


# --- scope ---

SCOPE_EDITABLE_FIELDS = (
    "category",
    "work_class",
    "name",
    "unit",
    "planned_quantity",
    "excavation_start",
    "excavation_end",
)


@transaction.atomic
def scope_item_create(
    *, actor: User, project: Project, category: str, name: str, planned_quantity: Decimal, unit: str = "", **fields
) -> ScopeItem:
    if not perms.can_manage_scope(actor, project):
        raise PermissionDenied
    item = ScopeItem(
        project=project,
        category=category,
        name=name,
        planned_quantity=planned_quantity,
        unit=unit or CATEGORY_UNITS.get(category, ""),
        **fields,
    )
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def scope_item_update(*, actor: User, scope_item: ScopeItem, **changes) -> ScopeItem:
    locked = ScopeItem.objects.select_for_update().select_related("project__compound__community").get(pk=scope_item.pk)
    if not perms.can_manage_scope(actor, locked.project):
        raise PermissionDenied
    unknown = set(changes) - set(SCOPE_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if changed:
        locked.full_clean()
        locked.save(update_fields=[*changed, "updated_at"])
    return locked


# --- progress reports ---


@dataclass
class PhotoUpload:
    file: object
    taken_at: object = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@transaction.atomic
def progress_report_file(
    *,
    actor: User,
    project: Project,
    report_date: date,
    work_done: str,
    percent_complete: int,
    manpower: int = 0,
    weather: str = "",
    issues_met: str = "",
    quantities: dict[int, Decimal] | None = None,
    photos: list[PhotoUpload] | None = None,
) -> ProgressReport:
    """A contractor files a dated report. Its quantities are added to the scope items' completed quantities,
    and its percent becomes the project's progress. Photos are checked first: a bad photo files nothing."""
    locked = Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=project.pk)
    if not perms.can_file_report(actor, locked):
        raise PermissionDenied
    if locked.status != ProjectStatus.CONSTRUCTION:
        raise DomainError(
            _("Progress reports are filed during construction (the project is in “%(status)s”).")
            % {"status": locked.get_status_display()},
            code="not_in_construction",
        )
    if report_date > timezone.localdate():
        raise DomainError(_("The report date cannot be in the future."), code="future_date", field="report_date")
    if not 0 <= percent_complete <= 100:
        raise DomainError(_("Percent complete is between 0 and 100."), code="invalid_percent", field="percent_complete")
    if not work_done.strip():
        raise DomainError(_("Describe the work done."), code="required", field="work_done")
    photos = photos or []
    try:
        stored = prepare_photos([photo.file for photo in photos])  # checked and stripped of EXIF before any write
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "photo_invalid", field="photos") from None
    quantities = {int(k): Decimal(v) for k, v in (quantities or {}).items() if v not in (None, "", 0)}
    items = {item.pk: item for item in ScopeItem.objects.select_for_update().filter(project=locked, pk__in=quantities)}
    if set(quantities) - set(items):
        raise DomainError(
            _("A quantity refers to a work item of another project."), code="foreign_item", field="quantities"
        )
    if any(value < 0 for value in quantities.values()):
        raise DomainError(_("Quantities cannot be negative."), code="negative_quantity", field="quantities")

    report = ProgressReport.objects.create(
        project=locked,
        report_date=report_date,
        work_done=work_done.strip(),
        percent_complete=percent_complete,
        manpower=manpower,
        weather=weather.strip(),
        issues_met=issues_met.strip(),
        created_by=actor,
    )
    ReportQuantity.objects.bulk_create(
        [ReportQuantity(report=report, scope_item_id=pk, quantity=value) for pk, value in quantities.items()]
    )
    for pk, value in quantities.items():
        ScopeItem.objects.filter(pk=pk).update(
            completed_quantity=F("completed_quantity") + value, updated_at=timezone.now()
        )
    for photo, clean in zip(photos, stored):
        # What the client sent wins; else what the camera wrote (kept here, never in the served file).
        position = (
            (photo.latitude, photo.longitude)
            if photo.latitude is not None and photo.longitude is not None
            else (clean.latitude, clean.longitude)
        )
        ProgressPhoto.objects.create(
            report=report,
            image=clean.image,
            thumbnail=clean.thumbnail,
            taken_at=photo.taken_at or clean.taken_at,
            latitude=position[0],
            longitude=position[1],
        )
    Project.objects.filter(pk=locked.pk).update(
        progress_percent=percent_complete, version=F("version") + 1, updated_at=timezone.now()
    )
    return report


def contractor_company_ids(user) -> list[int]:
    return sorted(get_scope(user).company_ids)


@transaction.atomic
def target_set(*, actor: User, district, year: int, to_start: int, to_finish: int) -> ProgrammeTarget:
    """A district official sets the year's target of compounds to start and to finish (one per year)."""
    scope = get_scope(actor)
    if not (
        scope.is_global or (RoleKind.DISTRICT_OFFICIAL in scope.role_kinds and district.pk in scope.bound_district_ids)
    ):
        raise PermissionDenied
    if not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year between 2000 and 2100."), code="bad_year", field="year")
    target, _created = ProgrammeTarget.objects.update_or_create(
        district=district, year=year, defaults={"to_start": to_start, "to_finish": to_finish}
    )
    return target
