"""Every write to projects: creation and edits, the lifecycle transitions, plans and their six-party
confirmation, scope items and progress reports.

Each transition is one function that checks who may do it and its preconditions, locks the project row,
changes the status and records the change (actor, time, note) in the project's history — all in one
transaction. Guards refuse with DomainError (shown to the user as it is), PermissionDenied for roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.choices import CompanyKind, RoleKind
from communities.models import Company, Compound, User
from communities.scoping import get_scope
from projects import permissions as perms
from projects.choices import CATEGORY_UNITS, FundingSource, FundingStage, Party, ProjectStatus
from projects.hooks import completion_blockers, project_handed_over, project_origin
from projects.models import (
    FundingEntry,
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
    TargetShare,
)
from renovation_portal.errors import ConflictError, DomainError
from renovation_portal.uploads import prepare_photos

# --- creation and edits ---

PROJECT_EDITABLE_FIELDS = (
    "name",
    "batch",
    "contractor",
    "contract_number",
    "contract_amount",
    "awarded_on",
    "designer",
    "supervisor",
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


def _require_company_kind(company: Company | None, kind: str, field: str) -> None:
    """The designer and supervisor of the six parties are companies of that kind."""
    if company is not None and company.kind != kind:
        raise DomainError(
            _("%(company)s is a %(kind)s, not a %(wanted)s.")
            % {"company": company.name, "kind": company.get_kind_display(), "wanted": CompanyKind(kind).label},
            code="wrong_company_kind",
            field=field,
        )


def _require_award(project: Project) -> None:
    """An EPC award names its contractor: a contract number, amount or date without one is refused."""
    awarded = project.contract_number.strip() or project.contract_amount is not None or project.awarded_on
    if awarded and project.contractor_id is None:
        raise DomainError(
            _("Choose the EPC contractor the contract is awarded to."), code="contractor_required", field="contractor"
        )
    if project.awarded_on and project.awarded_on > timezone.localdate():
        raise DomainError(_("The award date cannot be in the future."), code="future_date", field="awarded_on")


@transaction.atomic
def project_create(
    *,
    actor: User,
    compound: Compound | None = None,
    name: str = "",
    batch: int | None = None,
    contractor: Company | None = None,
    plan_item: int | None = None,
    **fields,
) -> Project:
    """Officials over the compound open its renovation project, with the EPC award (contractor, contract number,
    amount and date) and the designer and supervisor when known; its masses general coordinator defaults to the
    compound's party-branch secretary. ``plan_item``: the id of the annual-plan item the project comes from (its
    compound, year and name are the defaults; the item is linked to the new project)."""
    link = None
    if plan_item is not None:
        origin = project_origin(actor, plan_item)
        if origin is None:
            raise DomainError(_("Unknown plan item."), code="unknown_plan_item", field="plan_item")
        defaults, link = origin
        if compound is not None and compound.pk != defaults["compound"].pk:
            raise DomainError(
                _("The plan item is for %(compound)s: a project of another compound cannot come from it.")
                % {"compound": defaults["compound"].name},
                code="plan_item_compound",
                field="compound",
            )
        compound = defaults["compound"]
        batch = batch or defaults["batch"]
        name = name or defaults["name"]
    if compound is None:
        raise DomainError(_("Choose the compound."), code="required", field="compound")
    if not name.strip():
        name = _("%(compound)s renovation") % {"compound": compound.name}
    project = Project(
        compound=compound, name=name.strip(), batch=batch or timezone.localdate().year, contractor=contractor, **fields
    )
    if not perms.can_edit_project(actor, project):
        raise PermissionDenied
    _require_epc_contractor(contractor)
    _require_company_kind(project.designer, CompanyKind.DESIGNER, "designer")
    _require_company_kind(project.supervisor, CompanyKind.SUPERVISOR, "supervisor")
    _require_award(project)
    if not project.masses_coordinator and getattr(compound, "party_branch", None) is not None:
        project.masses_coordinator = compound.party_branch.secretary_name
    try:
        project.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(messages[0], code="invalid", field=None if field == "__all__" else field) from None
    project.save()
    note = _("Project opened.")
    if project.contractor_id:
        note += " " + _("EPC contract %(number)s awarded to %(company)s.") % {
            "number": project.contract_number or "—",
            "company": project.contractor.name,
        }
    ProjectEvent.objects.create(project=project, to_status=project.status, actor=actor, note=note)
    if link is not None:
        link(project)
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
    if "designer" in changes:
        _require_company_kind(changes["designer"], CompanyKind.DESIGNER, "designer")
    if "supervisor" in changes:
        _require_company_kind(changes["supervisor"], CompanyKind.SUPERVISOR, "supervisor")
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


# --- funding: the ledger of allocations, disbursements and spending ---

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # what the amount column holds (14 digits, 2 of them decimals)
# Per project and source, the total of a stage may not pass the total of the stage before it.
FUNDING_CEILINGS = {FundingStage.DISBURSED: FundingStage.ALLOCATED, FundingStage.SPENT: FundingStage.DISBURSED}


def money(value, *, field: str = "amount") -> Decimal:
    """An amount of yuan as an exact Decimal to the fen: more than zero, at most two decimals. A float is refused
    (0.1 + 0.2 is not 0.3 in binary); text and Decimals are read exactly."""
    if isinstance(value, (float, bool)) or value is None:
        raise DomainError(_("Enter the amount in yuan, e.g. 1234.56."), code="invalid_amount", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise DomainError(_("Enter the amount in yuan, e.g. 1234.56."), code="invalid_amount", field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter the amount in yuan, e.g. 1234.56."), code="invalid_amount", field=field)
    if amount <= 0:
        raise DomainError(_("The amount must be more than zero."), code="not_positive", field=field)
    if amount != amount.quantize(FEN):
        raise DomainError(
            _("Amounts are counted to the fen: give at most two decimals."), code="too_many_decimals", field=field
        )
    if amount > MAX_AMOUNT:
        raise DomainError(_("The amount is too large."), code="too_large", field=field)
    return amount.quantize(FEN)


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


@transaction.atomic
def funding_entry_record(
    *,
    actor: User,
    project: Project,
    source: str,
    stage: str,
    amount,
    date: date,
    document_number: str,
    note: str = "",
) -> FundingEntry:
    """Record an allocation (下达), a disbursement (拨付) or spending of one source's money on a project.

    Per project and source, what is disbursed may not pass what was allocated, nor what is spent what was
    disbursed. The project row is locked first, so two requests recording at the same moment are checked one
    after the other and cannot both pass the ceiling; a refused entry saves nothing."""
    locked = Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=project.pk)
    if stage not in FundingStage.values:
        raise DomainError(_("Choose allocated, disbursed or spent."), code="invalid_stage", field="stage")
    if not perms.can_record_funding(actor, locked, stage):
        raise PermissionDenied
    if source not in FundingSource.values:
        raise DomainError(_("Choose a funding source."), code="invalid_source", field="source")
    amount = money(amount)
    if date is None:
        raise DomainError(_("Give the date."), code="required", field="date")
    if date > timezone.localdate():
        raise DomainError(_("The date cannot be in the future."), code="future_date", field="date")
    document_number = (document_number or "").strip()
    if not document_number:
        raise DomainError(
            _("Give the document number (allocation notice, payment voucher or invoice)."),
            code="required",
            field="document_number",
        )
    if len(document_number) > 80 or len(note or "") > 200:
        raise DomainError(_("The document number or the note is too long."), code="too_long", field="document_number")
    ceiling = FUNDING_CEILINGS.get(stage)
    if ceiling is not None:
        sums = dict(
            FundingEntry.objects.valid()
            .filter(project=locked, source=source, stage__in=(stage, ceiling))
            .order_by()
            .values_list("stage")
            .annotate(total=Sum("amount"))
        )
        limit, done = sums.get(ceiling, Decimal(0)), sums.get(stage, Decimal(0))
        if done + amount > limit:
            params = {
                "source": FundingSource(source).label,
                "ceiling": FundingStage(ceiling).label,
                "stage": FundingStage(stage).label,
                "limit": _yuan(limit),
                "done": _yuan(done),
                "left": _yuan(max(limit - done, Decimal(0))),
            }
            message = (
                _(
                    "This disbursement exceeds the allocation: %(source)s allocated %(limit)s, already disbursed "
                    "%(done)s, so at most %(left)s can still be disbursed. Nothing was saved."
                )
                if stage == FundingStage.DISBURSED
                else _(
                    "This spending exceeds the disbursements: %(source)s disbursed %(limit)s, already spent "
                    "%(done)s, so at most %(left)s can still be spent. Nothing was saved."
                )
            ) % params
            raise DomainError(
                message,
                code="exceeds_allocation" if stage == FundingStage.DISBURSED else "exceeds_disbursement",
                field="amount",
            )
    return FundingEntry.objects.create(
        project=locked,
        source=source,
        stage=stage,
        amount=amount,
        date=date,
        document_number=document_number,
        note=(note or "").strip(),
        recorded_by=actor,
    )


@transaction.atomic
def funding_entry_void(*, actor: User, entry: FundingEntry, reason: str) -> FundingEntry:
    """Void a mistaken entry: it stays in the ledger (who voided it, when, why) and no longer counts. Whoever may
    record its stage may void it, unless the ledger would then break a ceiling (an allocation that was already
    paid out, a disbursement already spent): void the later entries first."""
    locked = (
        Project.objects.select_for_update().select_related("compound__community__subdistrict").get(pk=entry.project_id)
    )
    entry = FundingEntry.objects.get(pk=entry.pk)
    if not perms.can_record_funding(actor, locked, entry.stage):
        raise PermissionDenied
    if entry.voided_at is not None:
        raise DomainError(_("This entry is already voided."), code="already_voided")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for voiding the entry."), code="required", field="reason")
    if len(reason) > 200:
        raise DomainError(_("The reason is too long."), code="too_long", field="reason")
    sums = dict(
        FundingEntry.objects.valid()
        .filter(project=locked, source=entry.source)
        .exclude(pk=entry.pk)
        .order_by()
        .values_list("stage")
        .annotate(total=Sum("amount"))
    )
    for stage, ceiling in FUNDING_CEILINGS.items():
        if sums.get(stage, Decimal(0)) > sums.get(ceiling, Decimal(0)):
            raise DomainError(
                _(
                    "Voiding this entry would leave more %(stage)s than %(ceiling)s for %(source)s: void the later "
                    "entries first."
                )
                % {
                    "stage": FundingStage(stage).label,
                    "ceiling": FundingStage(ceiling).label,
                    "source": FundingSource(entry.source).label,
                },
                code="void_breaks_ceiling",
            )
    entry.voided_at, entry.voided_by, entry.void_reason = timezone.now(), actor, reason
    entry.save(update_fields=["voided_at", "voided_by", "void_reason", "updated_at"])
    return entry


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
    accepted = _move(
        actor=actor,
        project=project,
        name="accept_completion",
        note=note,
        allowed=perms.is_district_official_for,
        guard=_require_no_blockers,
    )
    project_handed_over(accepted, actor)  # e.g. the compound's aftercare opens (projects.hooks)
    return accepted


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
    if to_start < 0 or to_finish < 0:
        raise DomainError(_("A target cannot be negative."), code="negative_target")
    target, _created = ProgrammeTarget.objects.select_for_update().get_or_create(
        district=district, year=year, defaults={"to_start": to_start, "to_finish": to_finish}
    )
    shares = target.shares.aggregate(start=Sum("to_start"), finish=Sum("to_finish"))
    if (shares["start"] or 0) > to_start or (shares["finish"] or 0) > to_finish:
        raise DomainError(
            _(
                "The subdistricts' shares already add up to %(start)d to start and %(finish)d to finish: the "
                "district's target cannot be lower. Lower the shares first."
            )
            % {"start": shares["start"] or 0, "finish": shares["finish"] or 0},
            code="target_below_shares",
        )
    target.to_start, target.to_finish = to_start, to_finish
    target.save(update_fields=["to_start", "to_finish", "updated_at"])
    return target


def _may_set_targets(actor: User, district) -> bool:
    scope = get_scope(actor)
    return scope.is_global or (RoleKind.DISTRICT_OFFICIAL in scope.role_kinds and district.pk in scope.district_ids)


@transaction.atomic
def target_split(*, actor: User, target: ProgrammeTarget, shares: dict) -> list[str]:
    """Split a district's yearly target over its subdistricts: ``shares`` maps a subdistrict to
    ``(to_start, to_finish)`` (0, 0 removes the share). Refused when the shares add up to more than the district's
    target; returns a message for each figure whose shares add up to less (compounds not yet assigned)."""
    locked = ProgrammeTarget.objects.select_for_update().select_related("district").get(pk=target.pk)
    if not _may_set_targets(actor, locked.district):
        raise PermissionDenied
    for subdistrict, (to_start, to_finish) in shares.items():
        if subdistrict.district_id != locked.district_id:
            raise DomainError(
                _("%(subdistrict)s is not in %(district)s.")
                % {"subdistrict": subdistrict.name, "district": locked.district.name},
                code="foreign_subdistrict",
                field="shares",
            )
        if to_start is None or to_finish is None or to_start < 0 or to_finish < 0:
            raise DomainError(_("A target cannot be negative."), code="negative_target", field="shares")
        if to_start == 0 and to_finish == 0:
            TargetShare.objects.filter(target=locked, subdistrict=subdistrict).delete()
        else:
            TargetShare.objects.update_or_create(
                target=locked, subdistrict=subdistrict, defaults={"to_start": to_start, "to_finish": to_finish}
            )
    totals = locked.shares.aggregate(start=Sum("to_start"), finish=Sum("to_finish"))
    start, finish = totals["start"] or 0, totals["finish"] or 0
    over = []
    if start > locked.to_start:
        over.append(_("to start: %(shares)d > %(total)d") % {"shares": start, "total": locked.to_start})
    if finish > locked.to_finish:
        over.append(_("to finish: %(shares)d > %(total)d") % {"shares": finish, "total": locked.to_finish})
    if over:
        raise DomainError(
            _("The subdistricts' shares add up to more than the district's target (%(detail)s).")
            % {"detail": "; ".join(over)},
            code="shares_exceed_target",
            field="shares",
        )
    notes = []
    if start < locked.to_start:
        notes.append(
            _("%(left)d of the district's %(total)d compounds to start are not yet assigned to a subdistrict.")
            % {"left": locked.to_start - start, "total": locked.to_start}
        )
    if finish < locked.to_finish:
        notes.append(
            _("%(left)d of the district's %(total)d compounds to finish are not yet assigned to a subdistrict.")
            % {"left": locked.to_finish - finish, "total": locked.to_finish}
        )
    return notes
