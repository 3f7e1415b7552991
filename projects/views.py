"""Web pages of the projects app. Every write calls a service in projects/services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities.models import Community, Company, Subdistrict
from communities.scoping import get_object_for, get_scope
from projects import permissions as perms
from projects import selectors, services
from projects.choices import FundingSource, ProjectStatus
from projects.exports import FUNDING_COLUMNS
from projects.filtersets import FundingEntryFilterSet, ProjectFilterSet
from projects.forms import (
    ConfirmationForm,
    FundingEntryForm,
    FundingForm,
    PlanVersionForm,
    ProgressReportForm,
    ProjectForm,
    ScopeItemForm,
    TransitionForm,
)
from projects.models import PlanVersion, ProgressPhoto, Project, ScopeItem
from renovation_portal import pending_photos
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.idempotency import form_key, replayed_address, submit_once
from renovation_portal.uploads import serve_private_image


def _project(request, pk, queryset=None):
    if queryset is None:
        queryset = selectors.project_list(request.user)
    return get_object_for(request.user, queryset, pk)


def _form_error(form, error):
    """Put a refused service call on the form: its field if it names one the form has, else the top."""
    if isinstance(error, ValidationError):
        form.add_error(None, error)
    else:
        form.add_error(error.field if error.field in form.fields else None, error.message)


PROJECT_COLUMNS = [
    Column(gettext_lazy("Project"), "name"),
    Column(gettext_lazy("Compound"), "compound__name"),
    Column(gettext_lazy("Compound code"), "compound__code"),
    Column(gettext_lazy("Community"), "compound__community__name"),
    Column(gettext_lazy("Subdistrict"), "compound__community__subdistrict__name"),
    Column(gettext_lazy("Batch"), "batch"),
    Column(gettext_lazy("Status"), "status", dict(ProjectStatus.choices)),
    Column(gettext_lazy("Contractor"), "contractor__name"),
    Column(gettext_lazy("Budget (yuan)"), "budget"),
    Column(gettext_lazy("Planned start"), "planned_start"),
    Column(gettext_lazy("Planned finish"), "planned_finish"),
    Column(gettext_lazy("Actual start"), "actual_start"),
    Column(gettext_lazy("Actual finish"), "actual_finish"),
    Column(gettext_lazy("Progress (%)"), "progress_percent"),
]


@login_required
def project_list(request):
    base = selectors.project_list(request.user)
    filterset = ProjectFilterSet(request.GET or None, queryset=base)
    projects = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    projects = projects.order_by("-batch", "compound__code")
    fmt = requested_format(request)
    if fmt:
        return export_response(projects, PROJECT_COLUMNS, _("projects"), fmt)
    page = Paginator(projects, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/project_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "status_counts": selectors.status_counts(request.user),
            "subdistricts": Subdistrict.objects.visible_to(request.user),
            "communities": Community.objects.visible_to(request.user),
            "contractors": Company.objects.filter(kind="contractor", projects__in=base).distinct().order_by("name"),
            "batches": base.order_by("-batch").values_list("batch", flat=True).distinct(),
        },
    )


@login_required
def project_detail(request, pk):
    project = _project(request, pk, selectors.project_detail_queryset(request.user))
    plans = list(project.plan_versions.all())
    current_plan = plans[0] if plans else None
    scope_items = list(project.scope_items.all())
    user = request.user
    return render(
        request,
        "projects/project_detail.html",
        {
            "project": project,
            "events": project.events.all(),
            "plans": plans,
            "current_plan": current_plan,
            "confirmations": selectors.confirmation_matrix(current_plan),
            "confirmable": perms.confirmable_parties(user, project) if current_plan else [],
            "confirm_form": ConfirmationForm(parties=perms.confirmable_parties(user, project)),
            "scope_items": scope_items,
            "dig_once": selectors.dig_once_conflicts(scope_items),
            "reports": project.reports.all(),
            "transitions": services.available_transitions(user, project),
            "can_edit": perms.can_edit_project(user, project),
            "can_manage_scope": perms.can_manage_scope(user, project),
            "can_file_report": perms.can_file_report(user, project) and project.status == ProjectStatus.CONSTRUCTION,
            "missing_confirmations": services.missing_confirmations(project),
            "funding_rows": _funding_rows(selectors.funding_totals(Project.objects.filter(pk=project.pk))),
            "funding_entries": project.funding_entries.all(),
            "funding_stages": perms.recordable_stages(user, project),
        },
    )


def _funding_rows(totals):
    """(label, totals) per source that has any money, then the sum of all sources."""
    rows = [
        (label, totals[source])
        for source, label in FundingSource.choices
        if any((totals[source].planned, totals[source].allocated, totals[source].spent))
    ]
    return {"sources": rows, "total": selectors.funding_total(totals)}


@login_required
def project_edit(request, pk):
    project = _project(request, pk)
    if not perms.can_edit_project(request.user, project):
        raise PermissionDenied
    form = ProjectForm(request.POST or None, instance=Project.objects.get(pk=project.pk))
    funding = FundingForm(request.POST or None, project=project, prefix="funding")
    if request.method == "POST" and form.is_valid() and funding.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.PROJECT_EDITABLE_FIELDS}
        try:
            services.project_update(
                actor=request.user, project=project, expected_version=form.cleaned_data["version"], **changes
            )
            services.project_set_funding(actor=request.user, project=project, amounts=funding.cleaned_data)
        except (DomainError, ValidationError) as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/project_form.html", {"form": form, "funding": funding, "project": project})


@login_required
@require_POST
def project_transition(request, pk, name):
    project = _project(request, pk)
    service = services.TRANSITION_SERVICES.get(name)
    if service is None:
        raise Http404
    form = TransitionForm(request.POST)
    note = form.data.get("note", "")[:2000]
    try:
        service(actor=request.user, project=project, note=note)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": services.TRANSITIONS[name].label})
    return redirect("projects:project-detail", pk=project.pk)


@login_required
def project_liaisons(request, pk):
    """Hook subdistrict leaders (挂钩领导) to the project or unhook them: officials over the project."""
    project = get_object_for(
        request.user, selectors.project_list(request.user), pk, action="change", can=perms.is_official_for
    )
    candidates = services.liaison_candidates(project)
    error = None
    if request.method == "POST":
        user_id = request.POST.get("user", "")
        leader = candidates.filter(pk=int(user_id)).first() if user_id.isdecimal() else None
        try:
            if request.POST.get("action") == "remove":
                if leader is not None:
                    services.project_remove_liaison(actor=request.user, project=project, user=leader)
            else:
                services.project_add_liaison(actor=request.user, project=project, user=leader)
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:project-liaisons", pk=project.pk)
    hooked = list(project.liaisons.order_by("display_name", "username"))
    return render(
        request,
        "projects/project_liaisons.html",
        {
            "project": project,
            "hooked": hooked,
            "candidates": [user for user in candidates if user not in hooked],
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def plan_create(request, pk):
    project = _project(request, pk)
    if not perms.can_manage_scope(request.user, project):
        raise PermissionDenied
    form = PlanVersionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_version_create(actor=request.user, project=project, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(
                request,
                _("Plan version %(number)d saved. Earlier confirmations no longer count.") % {"number": plan.number},
            )
            return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/plan_form.html", {"form": form, "project": project})


@login_required
@require_POST
def plan_confirm(request, pk, plan_pk):
    project = _project(request, pk)
    plan = get_object_for(request.user, PlanVersion.objects.filter(project=project), plan_pk)
    form = ConfirmationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the party that confirms."))
    else:
        try:
            services.plan_confirm(actor=request.user, plan_version=plan, **form.cleaned_data)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Confirmation recorded."))
    return redirect("projects:project-detail", pk=project.pk)


@login_required
def scope_item_edit(request, pk, item_pk=None):
    project = _project(request, pk)
    if not perms.can_manage_scope(request.user, project):
        raise PermissionDenied
    item = get_object_for(request.user, ScopeItem.objects.filter(project=project), item_pk) if item_pk else None
    form = ScopeItemForm(request.POST or None, instance=ScopeItem.objects.get(pk=item.pk) if item else None)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in services.SCOPE_EDITABLE_FIELDS}
        try:
            if item is None:
                services.scope_item_create(actor=request.user, project=project, **data)
            else:
                services.scope_item_update(actor=request.user, scope_item=item, **data)
        except (DomainError, ValidationError) as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:project-detail", pk=project.pk)
    return render(request, "projects/scope_item_form.html", {"form": form, "project": project, "item": item})


@login_required
def report_create(request, pk):
    """File a progress report. Photos upload as they are chosen and survive any error; the browser keeps the
    report as a draft until it is sent, with its form key, so a double send files one report."""
    project = _project(request, pk)
    if not perms.can_file_report(request.user, project):
        raise PermissionDenied
    if request.method == "POST" and (address := replayed_address(request)):
        return redirect(address)  # sent twice (a double tap, a resend after a lost connection): filed once
    items = project.scope_items.order_by("category", "id")
    form = ProgressReportForm(request.POST or None, scope_items=items)
    photo_ids = []
    if request.method == "POST":
        photo_ids, refused = pending_photos.collect(request, "photos")
        for message in refused:
            form.add_error("photos", message)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def file():
            try:
                photos = pending_photos.load(request.user, photo_ids)
            except ValidationError as error:
                raise DomainError(error.messages[0], code=error.code or "photo_gone", field="photos") from None
            services.progress_report_file(
                actor=request.user,
                project=project,
                report_date=data["report_date"],
                work_done=data["work_done"],
                percent_complete=data["percent_complete"],
                manpower=data["manpower"] or 0,
                weather=data["weather"],
                issues_met=data["issues_met"],
                quantities=form.quantities(),
                photos=[services.PhotoUpload(file=photo) for photo in photos],
            )
            pending_photos.discard(request.user, photo_ids)
            return reverse("projects:project-detail", args=[project.pk])

        try:
            address, _replayed = submit_once(request, file)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Progress report filed."))
            return redirect(address)
    return render(
        request,
        "projects/report_form.html",
        {
            "form": form,
            "project": project,
            "pending": pending_photos.photos_of(request.user, photo_ids),
            "form_key": form_key(request),
            "draft_key": f"u{request.user.pk}-report-{project.pk}",
        },
    )


@login_required
def funding_entry_list(request):
    """The funding ledger of every project in the user's scope, filtered and exported."""
    base = selectors.funding_entry_list(request.user)
    filterset = FundingEntryFilterSet(request.GET or None, queryset=base)
    entries = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    if filterset.is_bound and not filterset.is_valid():
        entries = base.none()
    entries = entries.order_by("-date", "-id")
    fmt = requested_format(request)
    if fmt:
        return export_response(entries, FUNDING_COLUMNS, _("funding"), fmt)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/funding_list.html",
        {
            "filter": filterset if filterset.is_bound else FundingEntryFilterSet(queryset=base),
            "page": page,
            "query": query.urlencode(),
            "stage_totals": selectors.funding_stage_sums(entries),
        },
    )


@login_required
def funding_entry_create(request, pk):
    """Record an allocation, disbursement or spending on a project: officials, per stage (see permissions)."""
    project = _project(request, pk)
    stages = perms.recordable_stages(request.user, project)
    if not stages:
        raise PermissionDenied
    form = FundingEntryForm(request.POST or None, stages=stages)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.funding_entry_record(actor=request.user, project=project, **form.cleaned_data)
            except DomainError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("Funding entry recorded."))
                return redirect(f"{reverse('projects:project-detail', args=[project.pk])}#funding")
        status = 400
    totals = selectors.funding_totals(Project.objects.filter(pk=project.pk))
    return render(
        request,
        "projects/funding_form.html",
        {"form": form, "project": project, "funding_rows": _funding_rows(totals)},
        status=status,
    )


@login_required
@require_POST
def funding_entry_void(request, pk):
    """Void a mistaken funding entry (whoever may record its stage), with a reason."""
    entry = get_object_for(request.user, selectors.funding_entry_list(request.user), pk)
    try:
        services.funding_entry_void(actor=request.user, entry=entry, reason=request.POST.get("reason", "")[:500])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Entry voided."))
    return redirect(f"{reverse('projects:project-detail', args=[entry.project_id])}#funding")


@login_required
def photo(request, pk, thumbnail=False):
    """A progress photo, to users who may see its project."""
    item = get_object_for(request.user, ProgressPhoto.objects.all(), pk)
    field = item.thumbnail if thumbnail and item.thumbnail else item.image
    return serve_private_image(field)


def contractor_home_items(user):
    """For the contractor section of the home page."""
    return selectors.contractor_action_items(user, get_scope(user).company_ids)
