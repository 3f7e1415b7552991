"""Web pages for the place tree and the per-role home page."""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from communities import place_import, selectors, services
from communities.choices import PropertyMode
from communities.filtersets import GOVERNANCE_CHOICES, CompoundFilterSet
from communities.forms import (
    BuildingCreateForm,
    BuildingForm,
    CommunityCreateForm,
    CommunityForm,
    CompoundCreateForm,
    CompoundForm,
    OwnersBodyForm,
    PartyBranchForm,
    PropertyServiceForm,
    SubdistrictCreateForm,
    SubdistrictForm,
)
from communities.models import Building, Community, Compound, SecurityPolicy, Subdistrict
from communities.permissions import (
    can_add_building_to,
    can_change_building,
    can_change_community,
    can_change_compound,
    can_change_subdistrict,
    may_add_compounds,
    may_set_up_districts,
)
from communities.scoping import get_object_for
from communities.security import (
    confirmed_device,
    has_passed_second_factor,
    may_reset_second_factors,
    may_set_security_policy,
    second_factor_resettable_users,
)
from renovation_portal.api import api_error_response
from renovation_portal.errors import DomainError
from renovation_portal.exports import Column, export_response, requested_format
from renovation_portal.forms import PortalFormMixin

# The governance bodies edited on the compound page: form, service and the fields shown in the history.
GOVERNANCE_BODIES = {
    "party-branch": (PartyBranchForm, services.party_branch_set, gettext_lazy("Party branch")),
    "owners-body": (
        OwnersBodyForm,
        services.owners_body_elect,
        gettext_lazy("Owners' committee or self-governance group"),
    ),
    "property-service": (PropertyServiceForm, services.property_service_change, gettext_lazy("Property service")),
}


@login_required
def home(request):
    return render(request, "home.html", selectors.home_context(request.user))


COMPOUND_COLUMNS = [
    Column(gettext_lazy("Compound code"), "code"),
    Column(gettext_lazy("Compound"), "name"),
    Column(gettext_lazy("Community"), "community__name"),
    Column(gettext_lazy("Subdistrict"), "community__subdistrict__name"),
    Column(gettext_lazy("District"), "community__subdistrict__district__name"),
    Column(gettext_lazy("Address"), "address"),
    Column(gettext_lazy("Year built"), "year_built"),
    Column(gettext_lazy("Buildings"), "building_count"),
    Column(gettext_lazy("Households"), "household_count"),
    Column(gettext_lazy("Residents"), "resident_count"),
    Column(gettext_lazy("Floor area (m²)"), "floor_area"),
    Column(gettext_lazy("Property service mode"), "property_mode_value", dict(PropertyMode.choices)),
]


@login_required
def compound_list(request):
    base = selectors.compound_list(request.user)
    filterset = CompoundFilterSet(request.GET or None, queryset=base, user=request.user)
    # A filter that does not validate (another subdistrict, a year that is no number) lists nothing and shows its
    # error; never the unfiltered list under the filter's name, on the page or in an export.
    invalid = filterset.is_bound and not filterset.is_valid()
    queryset = (base.none() if invalid else filterset.qs).order_by("code")
    fmt = requested_format(request)
    if fmt and not invalid:  # the filtered list, every row (CSV streamed)
        return export_response(selectors.with_property_mode(queryset), COMPOUND_COLUMNS, _("compounds"), fmt)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "communities/compound_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "can_add_compound": may_add_compounds(request.user),
            # The dashboards' filters the form has no field for, kept when the other filters change.
            "kept": [
                (key, request.GET[key])
                for key in (
                    "province",
                    "city",
                    "district",
                    "compound",
                    "governance",
                    "since",
                    "until",
                    "property_on",
                    "property_managed",
                )
                if request.GET.get(key)
            ],
            "governance_label": dict(GOVERNANCE_CHOICES).get(request.GET.get("governance"), ""),
        },
    )


@login_required
def compound_detail(request, pk):
    compound = get_object_for(request.user, selectors.compound_detail_queryset(request.user), pk)
    return render(
        request,
        "communities/compound_detail.html",
        {
            "compound": compound,
            "rows": selectors.lead_overview(compound),
            "can_edit": can_change_compound(request.user, compound),
            "can_add_building": can_add_building_to(request.user, compound),
        },
    )


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
def governance(request, pk, body):
    """A governance body of the compound: its history to everyone who sees the compound, and the form that records
    a new body (re-election, new secretary, change of property mode) to the editors whose scope covers it."""
    if body not in GOVERNANCE_BODIES:
        raise Http404
    form_class, service, title = GOVERNANCE_BODIES[body]
    compound = get_object_for(request.user, selectors.compound_list(request.user), pk)
    can_edit = can_change_compound(request.user, compound)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied
    form = form_class(request.POST or None) if can_edit else None
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, compound=compound, **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field, error.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("communities:compound-detail", pk=compound.pk)
    model = form_class._meta.model
    history = list(model.objects.filter(compound=compound).order_by("-id"))
    for record in history:
        record.summary = [
            (model._meta.get_field(name).verbose_name, _display(record, name)) for name in form_class._meta.fields
        ]
    return render(
        request,
        "communities/governance_form.html",
        {"compound": compound, "form": form, "history": history, "title": title},
    )


def _display(record, name):
    value = getattr(record, f"get_{name}_display", None)
    value = value() if value else getattr(record, name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


@login_required
def compound_edit(request, pk):
    compound = get_object_for(request.user, selectors.compound_list(request.user), pk)
    return _edit(
        request,
        compound,
        CompoundForm,
        services.compound_update,
        "compound",
        "communities/compound_form.html",
        can_change_compound,
    )


@login_required
def building_edit(request, pk):
    building = get_object_for(request.user, Building.objects.select_related("compound__community__subdistrict"), pk)
    return _edit(
        request,
        building,
        BuildingForm,
        services.building_update,
        "building",
        "communities/building_form.html",
        can_change_building,
    )


# --- Setting up the place tree: subdistricts and communities (district officials), compounds and buildings
# (subdistrict officials and the district officials above them). The services decide who may write where.


def _place_form(request, form, save, *, title, cancel_url):
    """Show ``form``; on a valid POST call ``save(cleaned_data)`` (a service call) and return its redirect. A
    refusal of the service is shown on its field (or the form), never a 500."""
    if request.method == "POST" and form.is_valid():
        try:
            target = save(form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(target)
    return render(request, "communities/place_form.html", {"form": form, "title": title, "cancel_url": cancel_url})


def _fields(cleaned: dict, names) -> dict:
    return {name: cleaned[name] for name in names}


@login_required
def places(request):
    """The subdistricts and communities of the district official's district, with their add and edit buttons."""
    if not may_set_up_districts(request.user):
        raise PermissionDenied
    subdistricts = (
        Subdistrict.objects.visible_to(request.user)
        .select_related("district")
        .prefetch_related("communities")
        .order_by("district__code", "code")
    )
    return render(request, "communities/places.html", {"subdistricts": subdistricts})


@login_required
def subdistrict_edit(request, pk=None):
    if not may_set_up_districts(request.user):
        raise PermissionDenied
    cancel_url = reverse("communities:places")
    if pk is None:
        form = SubdistrictCreateForm(request.POST or None, actor=request.user)
        return _place_form(
            request,
            form,
            lambda data: (
                services.subdistrict_create(
                    actor=request.user, district=data["district"], code=data["code"], name=data["name"]
                )
                and cancel_url
            ),
            title=_("Add a subdistrict"),
            cancel_url=cancel_url,
        )
    subdistrict = get_object_for(
        request.user, Subdistrict.objects.all(), pk, action="change", can=can_change_subdistrict
    )
    form = SubdistrictForm(request.POST or None, instance=Subdistrict.objects.get(pk=subdistrict.pk))
    return _place_form(
        request,
        form,
        lambda data: (
            services.subdistrict_update(
                actor=request.user, subdistrict=subdistrict, **_fields(data, SubdistrictForm._meta.fields)
            )
            and cancel_url
        ),
        title=_("Edit %(name)s") % {"name": subdistrict.name},
        cancel_url=cancel_url,
    )


@login_required
def community_edit(request, pk=None):
    if not may_set_up_districts(request.user):
        raise PermissionDenied
    cancel_url = reverse("communities:places")
    if pk is None:
        form = CommunityCreateForm(request.POST or None, actor=request.user, initial=request.GET.dict())
        return _place_form(
            request,
            form,
            lambda data: (
                services.community_create(
                    actor=request.user,
                    subdistrict=data["subdistrict"],
                    **_fields(data, CommunityForm._meta.fields),
                )
                and cancel_url
            ),
            title=_("Add a community"),
            cancel_url=cancel_url,
        )
    community = get_object_for(
        request.user, Community.objects.select_related("subdistrict"), pk, action="change", can=can_change_community
    )
    form = CommunityForm(request.POST or None, instance=Community.objects.get(pk=community.pk))
    return _place_form(
        request,
        form,
        lambda data: (
            services.community_update(
                actor=request.user, community=community, **_fields(data, CommunityForm._meta.fields)
            )
            and cancel_url
        ),
        title=_("Edit %(name)s") % {"name": community.name},
        cancel_url=cancel_url,
    )


@login_required
def compound_create(request):
    if not may_add_compounds(request.user):
        raise PermissionDenied
    form = CompoundCreateForm(request.POST or None, actor=request.user, initial=request.GET.dict())
    return _place_form(
        request,
        form,
        lambda data: reverse(
            "communities:compound-detail",
            args=[
                services.compound_create(
                    actor=request.user, community=data["community"], **_fields(data, CompoundCreateForm._meta.fields)
                ).pk
            ],
        ),
        title=_("Add a compound"),
        cancel_url=reverse("communities:compound-list"),
    )


@login_required
def building_create(request, pk):
    compound = get_object_for(
        request.user, selectors.compound_list(request.user), pk, action="change", can=can_add_building_to
    )
    form = BuildingCreateForm(request.POST or None)
    detail_url = reverse("communities:compound-detail", args=[compound.pk])
    return _place_form(
        request,
        form,
        lambda data: (
            services.building_create(
                actor=request.user, compound=compound, **_fields(data, BuildingCreateForm._meta.fields)
            )
            and detail_url
        ),
        title=_("Add a building to %(compound)s") % {"compound": compound.name},
        cancel_url=detail_url,
    )


@login_required
@require_POST
def building_delete(request, pk):
    """Remove a building entered by mistake (subdistrict officials and the district officials above)."""
    building = get_object_for(
        request.user,
        Building.objects.select_related("compound__community__subdistrict"),
        pk,
        action="change",
        can=lambda user, b: can_add_building_to(user, b.compound),
    )
    try:
        services.building_delete(actor=request.user, building=building)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Building %(number)s removed.") % {"number": building.number})
    return redirect("communities:compound-detail", building.compound_id)


class PlacesImportForm(PortalFormMixin, forms.Form):
    subdistrict = forms.ModelChoiceField(label=gettext_lazy("Subdistrict"), queryset=Subdistrict.objects.none())
    file = forms.FileField(
        label=gettext_lazy("File (CSV or XLSX)"),
        help_text=gettext_lazy(
            "Header row: 社区代码, 小区代码, 小区名称, 地址, 建成年份, 楼栋号, 层数, 户数; one row per building."
        ),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].queryset = Subdistrict.objects.visible_to(actor).order_by("code")


@login_required
def places_import(request):
    """Upload a subdistrict's compounds and buildings: "Check" lists every row's errors and writes nothing;
    "Import" writes every row or none."""
    if not may_add_compounds(request.user):
        raise PermissionDenied
    form = PlacesImportForm(request.POST or None, request.FILES or None, actor=request.user)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = place_import.compounds_import(
                actor=request.user,
                subdistrict=form.cleaned_data["subdistrict"],
                upload=form.cleaned_data["file"],
                dry_run=request.POST.get("action") != "import",
            )
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            if report.committed:
                messages.success(request, _("Imported."))
    return render(request, "communities/places_import.html", {"form": form, "report": report})


# --- Account security: two-factor login and the district's security policy ---


class OTPTokenForm(PortalFormMixin, forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


def _safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@login_required
def two_factor_verify(request):
    """The second step of login for a user with an authenticator app."""
    device = confirmed_device(request.user)
    if device is None:
        return redirect("account-2fa-setup")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("The code is wrong or has expired."))
    return render(request, "communities/two_factor_verify.html", {"form": form, "next": _safe_next(request)})


def _verify_first(request):
    messages.info(request, _("Enter the code of your current authenticator app first."))
    return redirect(f"{reverse('account-2fa-verify')}?{urlencode({'next': request.get_full_path()})}")


@login_required
def two_factor_setup(request):
    """Set up an authenticator app: scan the QR code, confirm with a first code. Replacing an app needs a code
    of the current one first (a password alone must not be enough to take the second factor over)."""
    if not has_passed_second_factor(request.user):
        return _verify_first(request)
    current = confirmed_device(request.user)
    device = services.totp_device_start(actor=request.user)
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_device_confirm(actor=request.user, device=device, token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.message)
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor login is set up."))
            return redirect(_safe_next(request))
    qr = segno.make(device.config_url, error="m")
    return render(
        request,
        "communities/two_factor_setup.html",
        {
            "form": form,
            "qr_data_uri": qr.svg_data_uri(scale=5),
            "next": _safe_next(request),
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "replacing": current is not None,
        },
    )


@login_required
def two_factor_remove(request):
    """Switch one's own two-factor login off (POST), after passing it in this session."""
    if request.method != "POST":
        return redirect("account-2fa-setup")
    if not has_passed_second_factor(request.user):
        return _verify_first(request)
    try:
        services.totp_device_remove(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("account-2fa-setup")
    messages.success(request, _("Two-factor login is switched off."))
    return redirect("home")


class SecondFactorResetForm(PortalFormMixin, forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_username(self):
        # Only users the official may reset are found, so the form tells nothing about other accounts.
        user = second_factor_resettable_users(self.actor).filter(username=self.cleaned_data["username"]).first()
        if user is None:
            raise ValidationError(_("No user with this username whose two-factor login you may reset."))
        return user


@login_required
def two_factor_reset(request):
    """District officials reset the second factor of a user in their district who lost their phone."""
    if not may_reset_second_factors(request.user):
        raise PermissionDenied
    form = SecondFactorResetForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.cleaned_data["username"]
        try:
            services.totp_device_reset(actor=request.user, user=user)
        except DomainError as error:
            form.add_error("username", error.message)
        else:
            messages.success(
                request,
                _("The two-factor login of %(user)s is reset: they set up a new authenticator app at their next login.")
                % {"user": user},
            )
            return redirect("account-2fa-reset")
    return render(request, "communities/two_factor_reset.html", {"form": form})


@login_required
def security_policy(request):
    """District administrators decide whether officials must use two-factor login."""
    if not may_set_security_policy(request.user):
        raise PermissionDenied
    policy = SecurityPolicy.current()
    if request.method == "POST":
        services.security_policy_update(
            actor=request.user, require_2fa_for_officials=request.POST.get("require_2fa") == "on"
        )
        messages.success(request, _("Saved."))
        return redirect("account-security-policy")
    return render(request, "communities/security_policy.html", {"policy": policy})


def locked_out(request, response=None, credentials=None):
    """django-axes' answer to a locked-out login: a clear page, or the JSON error under /api/."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        return api_error_response(429, "locked_out", message)
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
