"""Web pages for setting up a district's inspections (district officials): groups and their members, the
checklist builder (draft → publish, versions), and the tier-3 ranking (officials)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from communities.scoping import get_object_for, get_scope
from inspections import selectors, services
from inspections.choices import ChecklistKind, ChecklistStatus
from inspections.forms import ChecklistForm, GroupEditForm, GroupForm, ItemFormSet, managed_districts
from renovation_portal.errors import DomainError


def _require_setup_role(user):
    if not managed_districts(user).exists():
        raise PermissionDenied


def _managed(user, obj) -> bool:
    return services.is_district_official_of(user, obj.district_id)


@login_required
def group_list(request):
    _require_setup_role(request.user)
    form = GroupForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.inspection_group_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Saved."))
            return redirect("inspections:group-detail", pk=group.pk)
    return render(
        request,
        "inspections/setup/group_list.html",
        {"groups": selectors.inspection_groups(request.user).order_by("-active", "tier", "name"), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def group_detail(request, pk):
    group = get_object_for(request.user, selectors.inspection_groups(request.user), pk, action="change", can=_managed)
    form = GroupEditForm(
        request.POST if request.POST.get("action") == "save" else None,
        initial={"name": group.name, "tier": group.tier},
    )
    error = None
    if request.method == "POST":
        action = request.POST.get("action")
        user_id = request.POST.get("user", "")
        try:
            if action == "save":
                if not form.is_valid():
                    raise DomainError(_("Correct the errors below."), code="invalid")
                services.inspection_group_update(actor=request.user, group=group, **form.cleaned_data)
            elif action == "add_member":
                user = (
                    services.group_member_candidates(group.district_id).filter(pk=int(user_id)).first()
                    if user_id.isdecimal()
                    else None
                )
                services.inspection_group_add_member(actor=request.user, group=group, user=user)
            elif action == "remove_member":
                member = group.members.filter(pk=int(user_id)).first() if user_id.isdecimal() else None
                if member is not None:
                    services.inspection_group_remove_member(actor=request.user, group=group, user=member)
            elif action in ("deactivate", "activate"):
                services.inspection_group_update(actor=request.user, group=group, active=action == "activate")
            else:
                raise DomainError(_("Unknown action."), code="unknown_action")
        except DomainError as refused:
            error = refused.message
        else:
            messages.success(request, _("Saved."))
            return redirect("inspections:group-detail", pk=group.pk)
    members = list(group.members.order_by("display_name", "username"))
    return render(
        request,
        "inspections/setup/group_detail.html",
        {
            "group": group,
            "form": form,
            "members": members,
            "candidates": [u for u in services.group_member_candidates(group.district_id) if u not in members],
            "error": error,
        },
        status=400 if error else 200,
    )


@login_required
def checklist_list(request):
    """Every checklist in scope; ``?kind=aftercare`` the aftercare standards only (``inspection`` the others)."""
    checklists = selectors.checklists(request.user)
    kind = request.GET.get("kind", "")
    if kind in ChecklistKind.values:
        checklists = checklists.filter(kind=kind)
    districts = list(managed_districts(request.user))
    return render(
        request,
        "inspections/setup/checklist_list.html",
        {
            "checklists": checklists,
            "can_create": bool(districts),
            "districts": districts,
            "kind": kind,
            "kinds": ChecklistKind.choices,
        },
    )


@login_required
@require_POST
def checklist_seed_aftercare(request):
    """A district official gives the district the default aftercare standards (environment, safety, order)."""
    district = managed_districts(request.user).filter(pk=request.POST.get("district") or 0).first()
    if district is None:
        messages.error(request, _("Choose a district you set up."))
    else:
        services.checklist_seed_aftercare_standards(actor=request.user, district=district)
        messages.success(
            request, _("The default aftercare standards are ready for %(district)s.") % {"district": district}
        )
    return redirect(f"{reverse('inspections:checklist-list')}?kind=aftercare")


def _item_inputs(formset) -> list:
    return [
        services.ItemInput(
            text=row["text"],
            kind=row["kind"],
            guideline_ref=row.get("guideline_ref") or "",
            max_score=row.get("max_score") or 0,
            code=row.get("code") or "",
        )
        for row in formset.cleaned_data
        if row and not row.get("DELETE")
    ]


def _builder(request, template, form, formset, status=200):
    return render(
        request,
        "inspections/setup/checklist_form.html",
        {"template": template, "form": form, "formset": formset},
        status=status,
    )


def _refused(form, error):
    form.add_error(error.field if error.field in form.fields else None, error.message)


@login_required
def checklist_create(request):
    _require_setup_role(request.user)
    form = ChecklistForm(request.POST or None, user=request.user)
    formset = ItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            try:
                template = services.checklist_create(
                    actor=request.user, **form.cleaned_data, items=_item_inputs(formset)
                )
            except DomainError as error:
                _refused(form, error)
            else:
                messages.success(request, _("Draft saved. Publish it when it is complete."))
                return redirect("inspections:checklist-edit", pk=template.pk)
        return _builder(request, None, form, formset, status=400)
    return _builder(request, None, form, formset)


@login_required
def checklist_edit(request, pk):
    """A draft: the builder. A published version: its items, read-only, with "start the next version"."""
    template = get_object_for(request.user, selectors.checklists(request.user), pk)
    may_manage = _managed(request.user, template)
    if template.status == ChecklistStatus.PUBLISHED or not may_manage:
        if request.method == "POST":
            raise PermissionDenied
        return render(
            request, "inspections/setup/checklist_detail.html", {"template": template, "may_manage": may_manage}
        )
    form = ChecklistForm(user=request.user)  # name, tier and district are fixed once created
    initial = [
        {
            "text": item.text,
            "kind": item.kind,
            "guideline_ref": item.guideline_ref,
            "max_score": item.max_score or None,
            "code": item.code,
        }
        for item in template.items.all()
    ]
    formset = ItemFormSet(request.POST or None, prefix="items", initial=None if request.POST else initial)
    if request.method == "POST":
        if formset.is_valid():
            try:
                services.checklist_update_draft(actor=request.user, template=template, items=_item_inputs(formset))
            except DomainError as error:
                formset._non_form_errors = formset.error_class([error.message])
            else:
                messages.success(request, _("Draft saved. Publish it when it is complete."))
                return redirect("inspections:checklist-edit", pk=template.pk)
        return _builder(request, template, form, formset, status=400)
    return _builder(request, template, form, formset)


@login_required
def checklist_item_row(request):
    """htmx: one more empty item row for the builder (and the form count raised out of band)."""
    try:
        index = int(request.GET.get("items-TOTAL_FORMS", ""))
    except ValueError:
        raise Http404 from None
    if not 0 <= index < 200:
        raise Http404
    formset = ItemFormSet(prefix="items")
    return render(
        request,
        "inspections/setup/checklist_item_row.html",
        {
            "item": formset._construct_form(index, empty_permitted=True, use_required_attribute=False),
            "total": index + 1,
        },
    )


@login_required
@require_POST
def checklist_publish(request, pk):
    template = get_object_for(request.user, selectors.checklists(request.user), pk, action="change", can=_managed)
    try:
        services.checklist_publish(actor=request.user, template=template)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Published: new inspections use this version."))
    return redirect("inspections:checklist-edit", pk=template.pk)


@login_required
@require_POST
def checklist_new_version(request, pk):
    template = get_object_for(request.user, selectors.checklists(request.user), pk, action="change", can=_managed)
    try:
        draft = services.checklist_start_version(actor=request.user, template=template)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("inspections:checklist-edit", pk=template.pk)
    return redirect("inspections:checklist-edit", pk=draft.pk)


@login_required
def ranking(request):
    """Projects ranked by their latest tier-3 evaluation score (officials)."""
    if not get_scope(request.user).is_official:
        raise PermissionDenied
    return render(request, "inspections/setup/ranking.html", {"rows": selectors.tier3_ranking(request.user)})
