"""Every write of the planning app: declarations and their review, annual plans, batches and items, and the
project created from a plan item.

Each service checks who may act and the preconditions, refuses with DomainError (PermissionDenied for roles),
locks the row it changes, records the step in the declaration's history and notifies the declarer after commit.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Company, Compound, District, User
from consultations.choices import Electorate, MatterType, VoteResult, VoteStatus
from consultations.models import Topic, Vote
from notifications.services import notify_once
from planning import permissions as perms
from planning.choices import (
    EDITABLE_STATUSES,
    AttachmentKind,
    BatchKind,
    DeclarationStatus,
    NotificationKind,
    ReviewAction,
)
from planning.models import (
    AnnualPlan,
    Declaration,
    DeclarationAttachment,
    DeclarationFunding,
    DeclarationItem,
    DeclarationReview,
    PlanBatch,
    PlanItem,
)
from projects.choices import CATEGORY_UNITS, FundingSource, ScopeCategory, WorkClass
from projects.models import Project
from projects.services import project_create, project_set_funding, scope_item_create
from renovation_portal.errors import DomainError
from renovation_portal.uploads import prepare_photo, validate_document

WILLINGNESS_MATTERS = (MatterType.RENOVATION_WILLINGNESS,)
MAX_ATTACHMENTS = 30


# --- declarations ---


def _require_willingness(compound: Compound, topic: Topic | None, vote: Vote | None) -> None:
    """ "要我改 → 我要改": a declaration rests on a passed, compound-wide vote of the owners on renovating."""
    if topic is None or topic.compound_id != compound.pk:
        raise DomainError(
            _("Choose the consultation topic of this compound behind the declaration."),
            code="topic_required",
            field="topic",
        )
    if vote is None or vote.topic_id != topic.pk:
        raise DomainError(_("Choose the willingness vote of this topic."), code="vote_required", field="vote")
    if vote.matter_type not in WILLINGNESS_MATTERS or vote.electorate != Electorate.COMPOUND:
        raise DomainError(
            _("The vote must be the whole compound's vote on its willingness to renovate (“%(title)s” is not).")
            % {"title": vote.title},
            code="not_a_willingness_vote",
            field="vote",
        )
    if vote.status != VoteStatus.CLOSED or vote.result != VoteResult.PASSED:
        raise DomainError(
            _(
                "A compound is declared only after its owners voted for the renovation: the vote “%(title)s” has "
                "not passed."
            )
            % {"title": vote.title},
            code="vote_not_passed",
            field="vote",
        )


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter an amount in yuan."), code="invalid_amount", field=field) from None
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), code="negative_amount", field=field)
    if amount >= Decimal("1e12"):
        raise DomainError(_("The amount is too large."), code="invalid_amount", field=field)
    return amount


def _clean_items(items: list[dict]) -> list[DeclarationItem]:
    cleaned = []
    for index, item in enumerate(items, start=1):
        work_class, category = item.get("work_class"), item.get("category")
        if work_class not in WorkClass.values or category not in ScopeCategory.values:
            raise DomainError(
                _("Item %(n)d: choose its class and category.") % {"n": index}, code="invalid_item", field="items"
            )
        description = str(item.get("description") or "").strip()
        if not description:
            description = str(ScopeCategory(category).label)
        quantity = _money(item.get("quantity", 0), "items")
        cost = _money(item.get("estimated_cost", 0), "items")
        if cost <= 0:
            raise DomainError(
                _("Item %(n)d: give its estimated cost.") % {"n": index}, code="invalid_item", field="items"
            )
        cleaned.append(
            DeclarationItem(
                work_class=work_class,
                category=category,
                description=description[:120],
                quantity=quantity,
                unit=str(item.get("unit") or CATEGORY_UNITS.get(category, ""))[:20],
                estimated_cost=cost,
            )
        )
    return cleaned


def _clean_funding(funding: dict) -> dict[str, Decimal]:
    cleaned = {}
    for source, amount in funding.items():
        if source not in FundingSource.values:
            raise DomainError(_("Unknown funding source: %(source)s") % {"source": source}, code="invalid_source")
        value = _money(amount, "funding")
        if value:
            cleaned[source] = value
    return cleaned


def _write_items_and_funding(declaration: Declaration, items, funding) -> None:
    if items is not None:
        declaration.items.all().delete()
        for item in items:
            item.declaration = declaration
        DeclarationItem.objects.bulk_create(items)
        declaration.estimated_cost = sum((item.estimated_cost for item in items), Decimal(0))
        declaration.save(update_fields=["estimated_cost", "updated_at"])
    if funding is not None:
        declaration.funding.all().delete()
        DeclarationFunding.objects.bulk_create(
            [DeclarationFunding(declaration=declaration, source=s, amount=a) for s, a in funding.items()]
        )


def _counts(values: dict) -> dict:
    counts = {}
    for name in ("buildings_affected", "households_affected", "residents_affected"):
        if name in values:
            value = values[name]
            if not isinstance(value, int) or value < 0:
                raise DomainError(_("Enter a whole number, 0 or more."), code="invalid_count", field=name)
            counts[name] = value
    return counts


@transaction.atomic
def declaration_create(
    *,
    actor: User,
    compound: Compound,
    topic: Topic | None,
    vote: Vote | None,
    needs_summary: str,
    items: list[dict] | None = None,
    funding: dict | None = None,
    **counts,
) -> Declaration:
    """A subdistrict official (or the community secretary) declares a compound: a draft until submitted."""
    if not perms.can_declare(actor, compound):
        raise PermissionDenied
    _require_willingness(compound, topic, vote)
    if not needs_summary.strip():
        raise DomainError(_("Summarise the residents' needs."), code="required", field="needs_summary")
    if Declaration.objects.filter(compound=compound, status__in=EDITABLE_STATUSES + (DeclarationStatus.SUBMITTED,)):
        raise DomainError(
            _("%(compound)s already has a declaration in progress: amend that one.") % {"compound": compound.name},
            code="declaration_in_progress",
            field="compound",
        )
    cleaned_items = _clean_items(items or [])
    cleaned_funding = _clean_funding(funding or {})
    declaration = Declaration.objects.create(
        compound=compound,
        declared_by=actor,
        topic=topic,
        vote=vote,
        needs_summary=needs_summary.strip(),
        **_counts(counts),
    )
    _write_items_and_funding(declaration, cleaned_items, cleaned_funding)
    return declaration


DECLARATION_EDITABLE_FIELDS = ("needs_summary", "topic", "vote", "buildings_affected", "households_affected",
                               "residents_affected")  # fmt: skip


def _locked(declaration: Declaration) -> Declaration:
    return (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("compound__community__subdistrict")
        .get(pk=declaration.pk)
    )


def _require_editable(actor: User, declaration: Declaration) -> None:
    if not perms.can_declare(actor, declaration.compound):
        raise PermissionDenied
    if declaration.status not in EDITABLE_STATUSES:
        raise DomainError(
            _("A declaration can be changed only as a draft or when returned (it is “%(status)s”).")
            % {"status": declaration.get_status_display()},
            code="not_editable",
        )


@transaction.atomic
def declaration_update(
    *, actor: User, declaration: Declaration, items: list[dict] | None = None, funding: dict | None = None, **changes
) -> Declaration:
    """Amend a draft or a returned declaration (``items`` and ``funding``, when given, replace the old ones)."""
    locked = _locked(declaration)
    _require_editable(actor, locked)
    unknown = set(changes) - set(DECLARATION_EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("Fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="unknown_field",
        )
    if "topic" in changes or "vote" in changes:
        _require_willingness(locked.compound, changes.get("topic", locked.topic), changes.get("vote", locked.vote))
    if "needs_summary" in changes:
        changes["needs_summary"] = changes["needs_summary"].strip()
        if not changes["needs_summary"]:
            raise DomainError(_("Summarise the residents' needs."), code="required", field="needs_summary")
    changes.update(_counts(changes))
    cleaned_items = _clean_items(items) if items is not None else None
    cleaned_funding = _clean_funding(funding) if funding is not None else None
    for name, value in changes.items():
        setattr(locked, name, value)
    if changes:
        locked.save(update_fields=[*changes, "updated_at"])
    _write_items_and_funding(locked, cleaned_items, cleaned_funding)
    return locked


@transaction.atomic
def declaration_add_attachment(
    *, actor: User, declaration: Declaration, upload, title: str = ""
) -> DeclarationAttachment:
    """Attach a survey photo (JPEG, PNG or WebP; stored without its metadata) or a PDF (drawings, reports)."""
    locked = _locked(declaration)
    _require_editable(actor, locked)
    if locked.attachments.count() >= MAX_ATTACHMENTS:
        raise DomainError(
            _("At most %(count)d attachments per declaration.") % {"count": MAX_ATTACHMENTS},
            code="too_many_attachments",
            field="file",
        )
    try:
        head = upload.read(8)
        upload.seek(0)
        if head.startswith(b"%PDF-"):
            validate_document(upload)
            attachment = DeclarationAttachment(declaration=locked, kind=AttachmentKind.PDF, uploaded_by=actor)
            upload.name = "document.pdf"
            attachment.file.save("document.pdf", upload, save=False)
        else:
            stored = prepare_photo(upload)
            attachment = DeclarationAttachment(declaration=locked, kind=AttachmentKind.PHOTO, uploaded_by=actor)
            attachment.file.save(stored.image.name, stored.image, save=False)
            attachment.thumbnail.save(stored.thumbnail.name, stored.thumbnail, save=False)
    except ValidationError as error:
        raise DomainError(error.messages[0], code=error.code or "invalid_file", field="file") from None
    attachment.title = (title or "").strip()[:120]
    attachment.save()
    Declaration.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return attachment


@transaction.atomic
def declaration_remove_attachment(*, actor: User, attachment: DeclarationAttachment) -> None:
    locked = _locked(attachment.declaration)
    _require_editable(actor, locked)
    attachment.file.delete(save=False)
    if attachment.thumbnail:
        attachment.thumbnail.delete(save=False)
    attachment.delete()
    Declaration.objects.filter(pk=locked.pk).update(updated_at=timezone.now())


@transaction.atomic
def declaration_submit(*, actor: User, declaration: Declaration, note: str = "") -> Declaration:
    """Submit (or resubmit after a return) for the district's review: a new round."""
    locked = _locked(declaration)
    _require_editable(actor, locked)
    _require_willingness(locked.compound, locked.topic, locked.vote)
    if not locked.items.exists():
        raise DomainError(_("Add at least one proposed item with its cost."), code="no_items", field="items")
    funded = sum((row.amount for row in locked.funding.all()), Decimal(0))
    if funded != locked.estimated_cost:
        raise DomainError(
            _(
                "The proposed funding (%(funded)s yuan) must add up to the estimated cost (%(cost)s yuan): "
                "adjust the funding split."
            )
            % {"funded": f"{funded:,.2f}", "cost": f"{locked.estimated_cost:,.2f}"},
            code="funding_mismatch",
            field="funding",
        )
    if locked.households_affected == 0:
        raise DomainError(_("Give the households affected."), code="required", field="households_affected")
    locked.status = DeclarationStatus.SUBMITTED
    locked.round += 1
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "round", "submitted_at", "updated_at"])
    DeclarationReview.objects.create(
        declaration=locked, round=locked.round, action=ReviewAction.SUBMITTED, actor=actor, note=note.strip()
    )
    return locked


def _notify_declarer(declaration: Declaration, kind: str, title: str, body: str) -> None:
    recipient_id, pk, period = declaration.declared_by_id, declaration.pk, f"round:{declaration.round}"
    url = reverse("planning:declaration-detail", args=[pk])
    transaction.on_commit(
        lambda: notify_once(
            recipient_id=recipient_id,
            kind=kind,
            subject_key=f"declaration:{pk}",
            period_key=period,
            title=title,
            body=body,
            url=url,
        )
    )


def _decide(*, actor: User, declaration: Declaration, action: str, note: str, reason_required: bool) -> Declaration:
    locked = _locked(declaration)
    if not perms.can_review(actor, locked):
        raise PermissionDenied
    if locked.status != DeclarationStatus.SUBMITTED:
        raise DomainError(
            _("Only a submitted declaration can be reviewed (it is “%(status)s”).")
            % {"status": locked.get_status_display()},
            code="not_submitted",
        )
    note = (note or "").strip()
    if reason_required and not note:
        raise DomainError(_("Give the reasons."), code="reason_required", field="reason")
    locked.status = {
        ReviewAction.RETURNED: DeclarationStatus.RETURNED,
        ReviewAction.APPROVED: DeclarationStatus.APPROVED,
        ReviewAction.REJECTED: DeclarationStatus.REJECTED,
    }[action]
    fields = ["status", "updated_at"]
    if reason_required:
        locked.last_reason = note
        fields.append("last_reason")
    if action != ReviewAction.RETURNED:
        locked.decided_at = timezone.now()
        fields.append("decided_at")
    locked.save(update_fields=fields)
    DeclarationReview.objects.create(declaration=locked, round=locked.round, action=action, actor=actor, note=note)
    return locked


@transaction.atomic
def declaration_return(*, actor: User, declaration: Declaration, reason: str) -> Declaration:
    """Return to the declarer with reasons; they amend and resubmit (a new round)."""
    locked = _decide(
        actor=actor, declaration=declaration, action=ReviewAction.RETURNED, note=reason, reason_required=True
    )
    _notify_declarer(
        locked,
        NotificationKind.DECLARATION_RETURNED,
        _("Declaration of %(compound)s returned") % {"compound": locked.compound.name},
        locked.last_reason,
    )
    return locked


@transaction.atomic
def declaration_approve(*, actor: User, declaration: Declaration, note: str = "") -> Declaration:
    """Approve into the project library (入库)."""
    locked = _decide(
        actor=actor, declaration=declaration, action=ReviewAction.APPROVED, note=note, reason_required=False
    )
    _notify_declarer(
        locked,
        NotificationKind.DECLARATION_APPROVED,
        _("Declaration of %(compound)s approved into the project library") % {"compound": locked.compound.name},
        note,
    )
    return locked


@transaction.atomic
def declaration_reject(*, actor: User, declaration: Declaration, reason: str) -> Declaration:
    locked = _decide(
        actor=actor, declaration=declaration, action=ReviewAction.REJECTED, note=reason, reason_required=True
    )
    _notify_declarer(
        locked,
        NotificationKind.DECLARATION_REJECTED,
        _("Declaration of %(compound)s rejected") % {"compound": locked.compound.name},
        locked.last_reason,
    )
    return locked


# --- annual plans ---


@transaction.atomic
def annual_plan_create(*, actor: User, district: District, year: int, note: str = "") -> AnnualPlan:
    """A district official opens the year's plan, with its first batch ("成熟一批")."""
    if not perms.is_district_official_of(actor, district.pk):
        raise PermissionDenied
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise DomainError(_("Enter a year between 2000 and 2100."), code="bad_year", field="year")
    if AnnualPlan.objects.filter(district=district, year=year).exists():
        raise DomainError(
            _("%(district)s already has a plan for %(year)d.") % {"district": district.name, "year": year},
            code="plan_exists",
            field="year",
        )
    plan = AnnualPlan.objects.create(district=district, year=year, note=(note or "").strip(), created_by=actor)
    PlanBatch.objects.create(plan=plan, number=1, kind=BatchKind.MATURE, name=_("Batch 1 (ready now)"))
    return plan


@transaction.atomic
def plan_batch_add(*, actor: User, plan: AnnualPlan, kind: str, name: str = "") -> PlanBatch:
    locked = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if not perms.can_plan(actor, locked):
        raise PermissionDenied
    if kind not in BatchKind.values:
        raise DomainError(_("Choose the kind of batch."), code="invalid_kind", field="kind")
    number = (locked.batches.aggregate(top=Max("number"))["top"] or 0) + 1
    return PlanBatch.objects.create(
        plan=locked, number=number, kind=kind, name=(name or "").strip()[:60] or f"{number} · {BatchKind(kind).label}"
    )


@transaction.atomic
def plan_item_add(*, actor: User, plan: AnnualPlan, batch: PlanBatch, declaration: Declaration) -> PlanItem:
    """Put an approved declaration of the library into a batch of the district's plan."""
    locked = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if not perms.can_plan(actor, locked):
        raise PermissionDenied
    if batch.plan_id != locked.pk:
        raise DomainError(_("Choose a batch of this plan."), code="foreign_batch", field="batch")
    declaration = (
        Declaration.objects.select_for_update(of=("self",))
        .select_related("compound__community__subdistrict")
        .get(pk=declaration.pk)
    )
    if declaration.compound.community.subdistrict.district_id != locked.district_id:
        raise DomainError(
            _("%(compound)s is not in %(district)s.")
            % {"compound": declaration.compound.name, "district": locked.district.name},
            code="foreign_declaration",
            field="declaration",
        )
    if declaration.status != DeclarationStatus.APPROVED:
        raise DomainError(
            _("Only declarations approved into the library can be planned (this one is “%(status)s”).")
            % {"status": declaration.get_status_display()},
            code="not_in_library",
            field="declaration",
        )
    existing = PlanItem.objects.filter(declaration=declaration).select_related("plan").first()
    if existing is not None:
        raise DomainError(
            _("%(compound)s is already in the %(year)d plan.")
            % {"compound": declaration.compound.name, "year": existing.plan.year},
            code="already_planned",
            field="declaration",
        )
    item = PlanItem.objects.create(plan=locked, batch=batch, declaration=declaration, added_by=actor)
    AnnualPlan.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    return item


@transaction.atomic
def plan_item_move(*, actor: User, item: PlanItem, batch: PlanBatch) -> PlanItem:
    locked = PlanItem.objects.select_for_update(of=("self",)).select_related("plan").get(pk=item.pk)
    if not perms.can_plan(actor, locked.plan):
        raise PermissionDenied
    if batch.plan_id != locked.plan_id:
        raise DomainError(_("Choose a batch of this plan."), code="foreign_batch", field="batch")
    locked.batch = batch
    locked.save(update_fields=["batch", "updated_at"])
    return locked


@transaction.atomic
def plan_item_remove(*, actor: User, item: PlanItem) -> None:
    """Take a declaration out of the plan (it stays in the library) — not once its project exists."""
    locked = PlanItem.objects.select_for_update(of=("self",)).select_related("plan").get(pk=item.pk)
    if not perms.can_plan(actor, locked.plan):
        raise PermissionDenied
    if locked.project_id is not None:
        raise DomainError(_("The project of this item has been created: it stays in the plan."), code="project_exists")
    locked.delete()


# --- projects from the plan ---


def plan_item_origin(actor: User, plan_item_id: int):
    """For projects.services.project_create(plan_item=...): the item's compound, year and name, and the link that
    records the new project on the item and copies the declared items into the project's scope and the declared
    funding split into its funding plan."""
    item = (
        PlanItem.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .select_related("plan", "declaration__compound__party_branch", "declaration__compound__community__subdistrict")
        .filter(pk=plan_item_id)
        .first()
    )
    if item is None:
        raise DomainError(_("Unknown plan item."), code="unknown_plan_item", field="plan_item")
    if not perms.can_plan(actor, item.plan):
        raise PermissionDenied
    if item.project_id is not None:
        raise DomainError(
            _("The project of this plan item has already been created."), code="project_exists", field="plan_item"
        )
    compound = item.declaration.compound
    defaults = {
        "compound": compound,
        "batch": item.plan.year,
        "name": _("%(compound)s old compound renovation") % {"compound": compound.name},
    }

    def link(project: Project) -> None:
        item.project = project
        item.save(update_fields=["project", "updated_at"])
        # The declared funding split is the project's funding plan (planned per source), so the ledger's
        # planned column and execution rates start from what the library approved.
        project_set_funding(
            actor=actor, project=project, amounts={row.source: row.amount for row in item.declaration.funding.all()}
        )
        for declared in item.declaration.items.all():
            scope_item_create(
                actor=actor,
                project=project,
                category=declared.category,
                work_class=declared.work_class,
                name=declared.description,
                unit=declared.unit,
                planned_quantity=declared.quantity,
            )

    return defaults, link


@transaction.atomic
def plan_item_create_project(
    *,
    actor: User,
    item: PlanItem,
    contractor: Company | None,
    contract_number: str = "",
    contract_amount: Decimal | None = None,
    awarded_on=None,
    designer: Company | None = None,
    supervisor: Company | None = None,
    name: str = "",
    **fields,
) -> Project:
    """The plan item becomes a renovation project with its EPC award, through projects' project_create. The
    budget defaults to the declared estimate."""
    if contractor is None:
        raise DomainError(
            _("Choose the EPC contractor the contract is awarded to."), code="contractor_required", field="contractor"
        )
    if not (contract_number or "").strip():
        raise DomainError(_("Enter the EPC contract number."), code="required", field="contract_number")
    if contract_amount is None:
        raise DomainError(_("Enter the EPC contract amount."), code="required", field="contract_amount")
    if awarded_on is None:
        raise DomainError(_("Enter the date of the award."), code="required", field="awarded_on")
    fields.setdefault("budget", item.declaration.estimated_cost)
    return project_create(
        actor=actor,
        plan_item=item.pk,
        name=name,
        contractor=contractor,
        contract_number=contract_number.strip(),
        contract_amount=_money(contract_amount, "contract_amount"),
        awarded_on=awarded_on,
        designer=designer,
        supervisor=supervisor,
        **fields,
    )
