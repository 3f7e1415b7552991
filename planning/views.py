"""Web pages of the planning app: declarations and their review, the project library, annual plans with their
batches and targets, and the project created from a plan item. Every write calls a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.models import Compound, District, Subdistrict
from communities.scoping import get_object_for, get_scope
from planning import permissions as perms
from planning import selectors, services
from planning.choices import DeclarationStatus, ReviewAction
from planning.filtersets import DeclarationFilterSet
from planning.forms import (
    AttachmentForm,
    AwardForm,
    BatchForm,
    DeclarationForm,
    PlanCreateForm,
    PlanItemForm,
    ReasonForm,
    TargetForm,
    willingness_votes,
)
from planning.models import AnnualPlan, DeclarationAttachment, PlanItem
from planning.querysets import planning_q
from projects.models import ProgrammeTarget
from projects.services import target_set, target_split
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.uploads import serve_private_document, serve_private_image


def _form_error(form, error: DomainError):
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _declarable_compounds(user):
    """The compounds this user may declare: her subdistrict's (official) or her community's (secretary)."""
    return Compound.objects.filter(planning_q(user, "")).order_by("community__name", "name")


DECLARATION_COLUMNS = [
    Column(gettext_lazy("Compound"), "compound__name"),
    Column(gettext_lazy("Compound code"), "compound__code"),
    Column(gettext_lazy("Community"), "compound__community__name"),
    Column(gettext_lazy("Subdistrict"), "compound__community__subdistrict__name"),
    Column(gettext_lazy("Status"), "status", dict(DeclarationStatus.choices)),
    Column(gettext_lazy("Rounds"), "round"),
    Column(gettext_lazy("Estimated cost (yuan)"), "estimated_cost"),
    Column(gettext_lazy("Buildings"), "buildings_affected"),
    Column(gettext_lazy("Households"), "households_affected"),
    Column(gettext_lazy("Residents"), "residents_affected"),
    Column(gettext_lazy("Declared by"), "declared_by__display_name"),
    Column(gettext_lazy("Submitted at"), "submitted_at"),
    Column(gettext_lazy("Decided at"), "decided_at"),
    Column(gettext_lazy("Last reasons"), "last_reason"),
    Column(gettext_lazy("Plan year"), "plan_item__plan__year"),
]


def _declaration_page(request, base, template, name):
    filterset = DeclarationFilterSet(request.GET or None, queryset=base)
    rows = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    fmt = requested_format(request)
    if fmt:
        return export_response(rows, DECLARATION_COLUMNS, name, fmt)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        template,
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "subdistricts": Subdistrict.objects.visible_to(request.user).order_by("name"),
            "may_declare": _declarable_compounds(request.user).exists() and _may_declare_any(request.user),
            "statuses": DeclarationStatus.choices,
        },
    )


def _may_declare_any(user) -> bool:
    scope = get_scope(user)
    return scope.is_global or scope.has_role("subdistrict_official", "community_secretary")


@login_required
def declaration_list(request):
    return _declaration_page(
        request, selectors.declaration_list(request.user), "planning/declaration_list.html", _("declarations")
    )


@login_required
def library(request):
    return _declaration_page(request, selectors.library(request.user), "planning/library.html", _("project library"))


def _declaration_form_context(request, form, declaration=None):
    return {"form": form, "declaration": declaration}


@login_required
def declaration_create(request):
    if not _may_declare_any(request.user):
        raise PermissionDenied
    compounds = _declarable_compounds(request.user)
    form = DeclarationForm(request.POST or None, compounds=compounds, votes=willingness_votes(compounds))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        vote = data["vote"]
        try:
            declaration = services.declaration_create(
                actor=request.user,
                compound=data["compound"],
                topic=vote.topic,
                vote=vote,
                needs_summary=data["needs_summary"],
                items=form.items(),
                funding=form.funding(),
                buildings_affected=data["buildings_affected"],
                households_affected=data["households_affected"],
                residents_affected=data["residents_affected"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Declaration saved as a draft: add attachments, then submit it."))
            return redirect("planning:declaration-detail", declaration.pk)
    return render(request, "planning/declaration_form.html", _declaration_form_context(request, form))


def _declaration(request, pk):
    return get_object_for(request.user, selectors.declaration_detail_queryset(request.user), pk)


@login_required
def declaration_edit(request, pk):
    declaration = _declaration(request, pk)
    if not perms.can_edit_declaration(request.user, declaration):
        raise PermissionDenied
    compounds = Compound.objects.filter(pk=declaration.compound_id)
    form = DeclarationForm(
        request.POST or None, compounds=compounds, votes=willingness_votes(compounds), declaration=declaration
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.declaration_update(
                actor=request.user,
                declaration=declaration,
                items=form.items(),
                funding=form.funding(),
                topic=data["vote"].topic,
                vote=data["vote"],
                needs_summary=data["needs_summary"],
                buildings_affected=data["buildings_affected"],
                households_affected=data["households_affected"],
                residents_affected=data["residents_affected"],
            )
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Declaration saved."))
            return redirect("planning:declaration-detail", declaration.pk)
    return render(request, "planning/declaration_form.html", _declaration_form_context(request, form, declaration))


@login_required
def declaration_detail(request, pk):
    declaration = _declaration(request, pk)
    user = request.user
    return render(
        request,
        "planning/declaration_detail.html",
        {
            "declaration": declaration,
            "items": declaration.items.all(),
            "funding": declaration.funding.all(),
            "attachments": declaration.attachments.all(),
            "reviews": declaration.reviews.all(),
            "can_edit": perms.can_edit_declaration(user, declaration),
            "can_review": perms.can_review(user, declaration) and declaration.status == DeclarationStatus.SUBMITTED,
            "attachment_form": AttachmentForm(),
            "reason_form": ReasonForm(),
            "funded": sum((row.amount for row in declaration.funding.all()), 0),
        },
    )


@login_required
@require_POST
def declaration_submit(request, pk):
    declaration = _declaration(request, pk)
    try:
        services.declaration_submit(actor=request.user, declaration=declaration)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Submitted to the district for review."))
    return redirect("planning:declaration-detail", pk)


@login_required
@require_POST
def declaration_review(request, pk, action):
    declaration = _declaration(request, pk)
    service = {
        ReviewAction.RETURNED: lambda reason: services.declaration_return(
            actor=request.user, declaration=declaration, reason=reason
        ),
        ReviewAction.APPROVED: lambda reason: services.declaration_approve(
            actor=request.user, declaration=declaration, note=reason
        ),
        ReviewAction.REJECTED: lambda reason: services.declaration_reject(
            actor=request.user, declaration=declaration, reason=reason
        ),
    }.get(action)
    if service is None:
        raise Http404
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        service(form.cleaned_data.get("reason", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, {
            ReviewAction.RETURNED: _("Returned to the declarer with your reasons."),
            ReviewAction.APPROVED: _("Approved into the project library."),
            ReviewAction.REJECTED: _("Declaration rejected."),
        }[action])  # fmt: skip
    return redirect("planning:declaration-detail", pk)


@login_required
@require_POST
def attachment_add(request, pk):
    declaration = _declaration(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.declaration_add_attachment(
                actor=request.user,
                declaration=declaration,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("planning:declaration-detail", pk)


@login_required
@require_POST
def attachment_remove(request, pk):
    attachment = get_object_for(request.user, DeclarationAttachment.objects.select_related("declaration"), pk)
    try:
        services.declaration_remove_attachment(actor=request.user, attachment=attachment)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("planning:declaration-detail", attachment.declaration_id)


@login_required
def attachment_file(request, pk, thumbnail=False):
    attachment = get_object_for(request.user, DeclarationAttachment.objects.all(), pk)
    if attachment.kind == "pdf":
        if thumbnail:
            raise Http404
        return serve_private_document(attachment.file, f"declaration-{attachment.declaration_id}-{attachment.pk}.pdf")
    return serve_private_image(attachment.thumbnail if thumbnail and attachment.thumbnail else attachment.file)


# --- annual plans ---


def _plan_districts(user):
    scope = get_scope(user)
    if scope.is_global:
        return District.objects.order_by("code")
    return (
        District.objects.filter(pk__in=sorted(scope.district_ids)).order_by("code")
        if scope.has_role("district_official")
        else District.objects.none()
    )


@login_required
def plan_list(request):
    districts = _plan_districts(request.user)
    form = PlanCreateForm(request.POST or None, districts=districts, initial={"year": timezone.localdate().year})
    if request.method == "POST":
        if not districts.exists():
            raise PermissionDenied
        if form.is_valid():
            try:
                plan = services.annual_plan_create(actor=request.user, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                return redirect("planning:plan-detail", plan.pk)
    return render(
        request,
        "planning/plan_list.html",
        {"plans": selectors.plan_list(request.user), "form": form if districts.exists() else None},
    )


def _plan(request, pk) -> AnnualPlan:
    plan = AnnualPlan.objects.visible_to(request.user).select_related("district").filter(pk=pk).first()
    if plan is None:
        raise Http404
    return plan


def _target(plan):
    return ProgrammeTarget.objects.filter(district=plan.district, year=plan.year).prefetch_related("shares").first()


@login_required
def plan_detail(request, pk):
    plan = _plan(request, pk)
    user = request.user
    may_plan = perms.can_plan(user, plan)
    target = _target(plan)
    subdistricts = Subdistrict.objects.filter(district=plan.district).order_by("code")
    items = list(selectors.plan_items(user, plan))
    batches = list(plan.batches.all())
    for batch in batches:
        batch.rows = [item for item in items if item.batch_id == batch.pk]
    scope = get_scope(user)
    own_shares = (
        [s for s in target.shares.all() if s.subdistrict_id in scope.subdistrict_ids] if target and not may_plan else []
    )
    return render(
        request,
        "planning/plan_detail.html",
        {
            "plan": plan,
            "batches": batches,
            "may_plan": may_plan,
            "target": target if may_plan else None,
            "own_shares": own_shares,
            "target_form": TargetForm(subdistricts=subdistricts, target=target) if may_plan else None,
            "item_form": PlanItemForm(plan=plan, library=selectors.unplanned_library(plan)) if may_plan else None,
            "batch_form": BatchForm() if may_plan else None,
        },
    )


@login_required
@require_POST
def plan_targets(request, pk):
    plan = _plan(request, pk)
    if not perms.can_plan(request.user, plan):
        raise PermissionDenied
    subdistricts = Subdistrict.objects.filter(district=plan.district).order_by("code")
    form = TargetForm(request.POST, subdistricts=subdistricts, target=_target(plan))
    if form.is_valid():
        try:
            with transaction.atomic():
                notes = _set_then_split(request.user, plan, form)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            for note in notes:
                messages.warning(request, note)
            messages.success(request, _("Targets saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("planning:plan-detail", pk)


def _set_then_split(actor, plan, form) -> list[str]:
    """Shares first lowered or removed, then the district's total, then the new shares — one transaction, so that
    a refused split saves nothing (not even the total)."""
    current = _target(plan)
    if current is not None:
        current.shares.all().delete()
    target = target_set(
        actor=actor,
        district=plan.district,
        year=plan.year,
        to_start=form.cleaned_data["to_start"],
        to_finish=form.cleaned_data["to_finish"],
    )
    return target_split(actor=actor, target=target, shares=form.shares())


@login_required
@require_POST
def plan_batch_add(request, pk):
    plan = _plan(request, pk)
    form = BatchForm(request.POST)
    if form.is_valid():
        try:
            services.plan_batch_add(actor=request.user, plan=plan, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
    return redirect("planning:plan-detail", pk)


@login_required
@require_POST
def plan_item_add(request, pk):
    plan = _plan(request, pk)
    if not perms.can_plan(request.user, plan):
        raise PermissionDenied
    form = PlanItemForm(request.POST, plan=plan, library=selectors.unplanned_library(plan))
    if form.is_valid():
        try:
            services.plan_item_add(actor=request.user, plan=plan, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Added to the plan."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("planning:plan-detail", pk)


@login_required
@require_POST
def plan_item_remove(request, pk):
    item = get_object_for(request.user, PlanItem.objects.select_related("plan"), pk)
    try:
        services.plan_item_remove(actor=request.user, item=item)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("planning:plan-detail", item.plan_id)


@login_required
def plan_item_project(request, pk):
    item = get_object_for(request.user, PlanItem.objects.select_related("plan__district", "declaration__compound"), pk)
    if not perms.can_plan(request.user, item.plan):
        raise PermissionDenied
    if item.project_id:
        return redirect("projects:project-detail", item.project_id)
    form = AwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.plan_item_create_project(actor=request.user, item=item, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Project created with its EPC award."))
            return redirect("projects:project-detail", project.pk)
    return render(request, "planning/award_form.html", {"item": item, "form": form})
