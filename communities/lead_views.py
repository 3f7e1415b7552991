"""Web pages for building leads (楼栋长) and the contact boards (亮牌) of a compound's buildings: the compound's
overview, a building's lead with its history and the form that appoints or records an election, and the board's
entries. Everyone who sees the compound reads them; its editors (the community's secretary, officials above)
change them. The printable plates are public pages (consultations.views.compound_plates)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from communities import selectors, services
from communities.choices import LeadChoice
from communities.forms import BoardContactForm, BuildingLeadForm
from communities.models import BoardContact, Building, BuildingLead
from communities.permissions import can_change_building, can_change_compound
from communities.scoping import get_object_for
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format

# The export of a compound's building leads: the published phone only (the private one stays in the portal).
LEAD_COLUMNS = [
    Column(gettext_lazy("Building"), "building__number"),
    Column(gettext_lazy("Building lead"), "name"),
    Column(gettext_lazy("How chosen"), "chosen_by", dict(LeadChoice.choices)),
    Column(gettext_lazy("Chosen on"), "chosen_on"),
    Column(gettext_lazy("Term starts on"), "term_starts_on"),
    Column(gettext_lazy("Term ends on"), "term_ends_on"),
    Column(gettext_lazy("Published service phone"), "service_phone"),
    Column(gettext_lazy("Basis"), "basis"),
    Column(gettext_lazy("Ended on"), "ended_on"),
]


def _form_error(form, error: DomainError) -> None:
    field = {"candidates": "candidates_text"}.get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.message)


@login_required
def compound_leads(request, pk):
    """A compound's buildings with their lead and how much of each board is filled, and the board's entries."""
    compound = get_object_for(request.user, selectors.compound_list(request.user), pk)
    fmt = requested_format(request)
    if fmt:  # every lead record of the compound, current and past
        leads = BuildingLead.objects.filter(building__compound=compound).order_by("building_id", "-id")
        return export_response(leads, LEAD_COLUMNS, _("building leads"), fmt)
    entries = list(
        BoardContact.objects.filter(compound=compound).select_related("building").order_by("building_id", "role")
    )
    rows = selectors.lead_overview(compound)
    return render(
        request,
        "communities/compound_leads.html",
        {
            "compound": compound,
            "rows": rows,
            "entries": entries,
            "complete": sum(1 for row in rows if not row["missing"]),
            "compound_board": selectors.compound_board(compound),
            "can_edit": can_change_compound(request.user, compound),
        },
    )


def _building_for(user, pk):
    return get_object_for(user, Building.objects.select_related("compound__community__subdistrict"), pk)


@login_required
def building_lead(request, pk):
    """A building's lead: the history to everyone who sees the building, the form to its editors."""
    building = _building_for(request.user, pk)
    can_edit = can_change_building(request.user, building)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = BuildingLeadForm(request.POST or None) if can_edit else None
    if request.method == "POST" and form.is_valid():
        try:
            services.building_lead_record(actor=request.user, building=building, **form.service_data())
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:compound-leads", pk=building.compound_id)
    history = list(BuildingLead.objects.filter(building=building).select_related("recorded_by").order_by("-id"))
    return render(
        request,
        "communities/building_lead.html",
        {"building": building, "compound": building.compound, "form": form, "history": history, "can_edit": can_edit},
    )


@login_required
@require_POST
def building_lead_end(request, pk):
    """End the current lead's term (no successor yet)."""
    building = get_object_for(
        request.user,
        Building.objects.select_related("compound__community__subdistrict"),
        pk,
        action="change",
        can=can_change_building,
    )
    lead = BuildingLead.objects.filter(building=building, ended_on__isnull=True).first()
    if lead is None:
        messages.info(request, _("This building has no current lead."))
    else:
        try:
            services.building_lead_end(actor=request.user, lead=lead)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The lead's term is ended."))
    return redirect("communities:building-lead", pk=building.pk)


@login_required
def board_contact_edit(request, pk):
    """Post a role on the board of every building of the compound, or of one building; POST with ``remove`` takes
    an entry off."""
    compound = get_object_for(
        request.user, selectors.compound_list(request.user), pk, action="change", can=can_change_compound
    )
    if request.method == "POST" and request.POST.get("remove"):
        entry = BoardContact.objects.filter(compound=compound, pk=request.POST["remove"]).first()
        if entry is not None:
            services.board_contact_remove(actor=request.user, entry=entry)
            messages.success(request, _("Removed from the board."))
        return redirect("communities:compound-leads", pk=compound.pk)
    initial = {}
    if request.method == "GET":
        entry = BoardContact.objects.filter(
            compound=compound, pk=request.GET.get("entry") if request.GET.get("entry", "").isdecimal() else None
        ).first()
        if entry is not None:
            initial = {
                "role": entry.role,
                "building": entry.building_id,
                "name": entry.name,
                "service_phone": entry.service_phone,
            }
        elif request.GET.get("role"):
            initial = {"role": request.GET["role"]}
    form = BoardContactForm(request.POST or None, compound=compound, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.board_contact_set(actor=request.user, compound=compound, **form.cleaned_data)
        except DomainError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:compound-leads", pk=compound.pk)
    return render(request, "communities/board_contact_form.html", {"compound": compound, "form": form})
