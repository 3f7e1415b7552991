from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from communities.choices import CompanyKind, InspectionTier, RoleKind
from communities.models import (
    Building,
    City,
    Community,
    Company,
    Compound,
    District,
    OwnersBody,
    PartyBranch,
    PropertyService,
    Province,
    Subdistrict,
    User,
)
from communities.permissions import may_manage_companies
from communities.scoping import get_scope
from communities.services import (
    BUILDING_EDITABLE_FIELDS,
    COMMUNITY_EDITABLE_FIELDS,
    COMPANY_EDITABLE_FIELDS,
    COMPOUND_EDITABLE_FIELDS,
    SUBDISTRICT_EDITABLE_FIELDS,
    USER_EDITABLE_FIELDS,
)
from renovation_portal.forms import PortalFormMixin


class CompoundForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Compound
        fields = COMPOUND_EDITABLE_FIELDS


class BuildingForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = BUILDING_EDITABLE_FIELDS


# --- Setting up the place tree. The forms only collect values; the services check scope and unique codes (their
# DomainError is shown on the field), so the forms skip the model's own unique checks.


class _PlaceForm(PortalFormMixin, forms.ModelForm):
    def validate_unique(self):
        pass


class SubdistrictForm(_PlaceForm):
    class Meta:
        model = Subdistrict
        fields = SUBDISTRICT_EDITABLE_FIELDS


class SubdistrictCreateForm(SubdistrictForm):
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none())
    field_order = ["district", *SUBDISTRICT_EDITABLE_FIELDS]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # Province officials grant roles in their province's cities, city officials in their city's districts.
        scope = get_scope(actor)
        if scope.is_global or scope.province_ids:
            self.fields["city"].queryset = City.objects.visible_to(actor).order_by("code")
        else:
            del self.fields["city"]
        if scope.is_global:
            self.fields["province"].queryset = Province.objects.order_by("code")
        else:
            del self.fields["province"]
        self.fields["district"].queryset = District.objects.visible_to(actor).order_by("code")


class CommunityForm(_PlaceForm):
    class Meta:
        model = Community
        fields = COMMUNITY_EDITABLE_FIELDS


class CommunityCreateForm(CommunityForm):
    subdistrict = forms.ModelChoiceField(label=_("Subdistrict"), queryset=Subdistrict.objects.none())
    field_order = ["subdistrict", *COMMUNITY_EDITABLE_FIELDS]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subdistrict"].queryset = Subdistrict.objects.visible_to(actor).order_by("code")


class CompoundCreateForm(_PlaceForm):
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none())

    class Meta:
        model = Compound
        fields = ("code", "name", *COMPOUND_EDITABLE_FIELDS)

    field_order = ["community", "code", "name", *COMPOUND_EDITABLE_FIELDS]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = (
            Community.objects.visible_to(actor).select_related("subdistrict").order_by("subdistrict__code", "code")
        )


class BuildingCreateForm(_PlaceForm):
    class Meta:
        model = Building
        fields = ("number", *BUILDING_EDITABLE_FIELDS)


class _DateInput(forms.DateInput):
    input_type = "date"


class PartyBranchForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = PartyBranch
        fields = ["name", "secretary_name", "secretary_phone", "member_count", "established_on", "set_up_in_programme"]
        widgets = {"established_on": _DateInput}


class OwnersBodyForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = OwnersBody
        fields = [
            "kind",
            "director_name",
            "director_phone",
            "member_count",
            "established_on",
            "term_starts_on",
            "term_ends_on",
            "set_up_in_programme",
        ]
        widgets = {"established_on": _DateInput, "term_starts_on": _DateInput, "term_ends_on": _DateInput}


class PropertyServiceForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = PropertyService
        fields = [
            "mode",
            "company",
            "contact_name",
            "contact_phone",
            "contract_starts_on",
            "contract_ends_on",
            "introduced_in_programme",
        ]
        widgets = {"contract_starts_on": _DateInput, "contract_ends_on": _DateInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(kind=CompanyKind.PROPERTY).order_by("name")


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a username longer than any account's before it is authenticated: Django only
    sets the field's ``max_length`` (no validator), and django-axes writes each failed login's username to a
    column of 255 characters, where a longer one would be a DataError (a 500) instead of a failed login."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))


class RoleGrantForm(PortalFormMixin, forms.Form):
    """A role to grant: the places offered are the official's own subtree; the service checks the rest."""

    kind = forms.ChoiceField(label=_("Role"), choices=RoleKind.choices)
    province = forms.ModelChoiceField(label=_("Province"), queryset=Province.objects.none(), required=False)
    city = forms.ModelChoiceField(label=_("City"), queryset=City.objects.none(), required=False)
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), required=False)
    subdistrict = forms.ModelChoiceField(label=_("Subdistrict"), queryset=Subdistrict.objects.none(), required=False)
    community = forms.ModelChoiceField(label=_("Community"), queryset=Community.objects.none(), required=False)
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none(), required=False)
    tier = forms.TypedChoiceField(
        label=_("Inspection tier"),
        choices=[("", "—"), *InspectionTier.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Inspectors only: tier 1 patrols a subdistrict or community, tiers 2 and 3 work for the district."),
    )
    title = forms.CharField(label=_("Title"), max_length=60, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        # Province officials grant roles in their province's cities, city officials in their city's districts.
        scope = get_scope(actor)
        if scope.is_global or scope.province_ids:
            self.fields["city"].queryset = City.objects.visible_to(actor).order_by("code")
        else:
            del self.fields["city"]
        if scope.is_global:
            self.fields["province"].queryset = Province.objects.order_by("code")
        else:
            del self.fields["province"]
        self.fields["district"].queryset = District.objects.visible_to(actor).order_by("code")
        self.fields["subdistrict"].queryset = Subdistrict.objects.visible_to(actor).order_by("code")
        self.fields["community"].queryset = Community.objects.visible_to(actor).order_by("subdistrict__code", "code")
        if may_manage_companies(actor):
            self.fields["company"].queryset = Company.objects.visible_to(actor).filter(kind=CompanyKind.CONTRACTOR)
        else:
            del self.fields["company"]

    def role_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ROLE_FIELDS if name in self.cleaned_data}


ROLE_FIELDS = ("kind", "province", "city", "district", "subdistrict", "community", "company", "tier", "title")


class UserInviteForm(RoleGrantForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    email = forms.EmailField(label=_("E-mail"), help_text=_("The link to set a password is sent here."))
    display_name = forms.CharField(label=_("Name"), max_length=50, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    field_order = ["username", "display_name", "email", "phone", *ROLE_FIELDS]


class UserForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = USER_EDITABLE_FIELDS


class CompanyForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Company
        fields = COMPANY_EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_code"].required = True
        self.fields["credit_code"].help_text = _("18 characters, as on the business licence.")
