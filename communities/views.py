"""Web pages for the place tree and the per-role home page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from communities import selectors, services
from communities.filtersets import CompoundFilterSet
from communities.forms import BuildingForm, CompoundForm
from communities.models import Building, Compound
from communities.permissions import can_change_building, can_change_compound
from communities.scoping import get_object_for
from renovation_portal.errors import DomainError


@login_required
def home(request):
    return render(request, "home.html", selectors.home_context(request.user))


@login_required
def compound_list(request):
    filterset = CompoundFilterSet(request.GET or None, queryset=selectors.compound_list(request.user),
                                  user=request.user)
    queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else selectors.compound_list(request.user)
    page = Paginator(queryset.order_by("code"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "communities/compound_list.html",
                  {"filter": filterset, "page": page, "query": query.urlencode()})


@login_required
def compound_detail(request, pk):
    compound = get_object_for(request.user, selectors.compound_detail_queryset(request.user), pk)
    return render(request, "communities/compound_detail.html", {
        "compound": compound,
        "buildings": compound.buildings.all(),
        "can_edit": can_change_compound(request.user, compound),
    })


def _edit(request, obj, form_class, service, service_kwarg, template, can):
    if not can(request.user, obj):
        raise PermissionDenied
    form = form_class(request.POST or None, instance=type(obj).objects.get(pk=obj.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form_class._meta.fields}
        try:
            service(actor=request.user, **{service_kwarg: obj}, **changes)
        except DomainError as error:
            form.add_error(error.field, error.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:compound-detail", pk=obj.pk if isinstance(obj, Compound) else obj.compound_id)
    return render(request, template, {"form": form, "object": obj})


@login_required
def compound_edit(request, pk):
    compound = get_object_for(request.user, selectors.compound_list(request.user), pk)
    return _edit(request, compound, CompoundForm, services.compound_update, "compound",
                 "communities/compound_form.html", can_change_compound)


@login_required
def building_edit(request, pk):
    building = get_object_for(request.user, Building.objects.select_related("compound__community__subdistrict"), pk)
    return _edit(request, building, BuildingForm, services.building_update, "building",
                 "communities/building_form.html", can_change_building)
