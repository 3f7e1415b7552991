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
from django_otp import login as otp_login

from communities import selectors, services
from communities.choices import PropertyMode
from communities.filtersets import CompoundFilterSet
from communities.forms import BuildingForm, CompoundForm, OwnersBodyForm, PartyBranchForm, PropertyServiceForm
from communities.models import Building, Compound, SecurityPolicy
from communities.permissions import can_change_building, can_change_compound
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
    Column(gettext_lazy("Property service mode"), "property_mode", dict(PropertyMode.choices)),
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
        return export_response(queryset, COMPOUND_COLUMNS, _("compounds"), fmt)
    page = Paginator(queryset, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "communities/compound_list.html", {"filter": filterset, "page": page, "query": query.urlencode()}
    )


@login_required
def compound_detail(request, pk):
    compound = get_object_for(request.user, selectors.compound_detail_queryset(request.user), pk)
    return render(
        request,
        "communities/compound_detail.html",
        {
            "compound": compound,
            "buildings": compound.buildings.all(),
            "can_edit": can_change_compound(request.user, compound),
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
