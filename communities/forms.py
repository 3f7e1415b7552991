from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.choices import CompanyKind, InspectionTier, LeadChoice, RoleKind
from communities.models import (
    Building,
    BuildingLead,
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
    BOARD_CONTACT_ROLES,
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
        fields = ["name", "secretary_name", "secretary_phone", "member_count", "established_on"]
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
            # A contractor's role is bound to an EPC contractor, property service staff to a property company
            # (the service checks which goes with which).
            self.fields["company"].queryset = (
                Company.objects.visible_to(actor)
                .filter(kind__in=[CompanyKind.CONTRACTOR, CompanyKind.PROPERTY])
                .order_by("kind", "name")
            )
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


# --- Building leads (楼栋长) and contact boards (亮牌) ---


class BuildingLeadForm(PortalFormMixin, forms.ModelForm):
    """Appoint a lead or record an election. Candidates are typed one per line, "name votes" (votes optional)."""

    candidates_text = forms.CharField(
        label=_("Candidates"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For an election: one candidate per line, with the votes if known, e.g. “徐林 37”."),
    )

    class Meta:
        model = BuildingLead
        fields = [
            "name",
            "phone",
            "service_phone",
            "chosen_by",
            "chosen_on",
            "term_starts_on",
            "term_ends_on",
            "basis",
        ]
        labels = {"name": _("Full name")}
        widgets = {
            # ISO dates: an <input type="date"> shows no other format (the initial date would be blank).
            "chosen_on": _DateInput(format="%Y-%m-%d"),
            "term_starts_on": _DateInput(format="%Y-%m-%d"),
            "term_ends_on": _DateInput(format="%Y-%m-%d"),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "service_phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    field_order = [*Meta.fields[:4], "candidates_text", *Meta.fields[4:]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A required choice starts empty, so that nobody records an election as an appointment by not looking.
        self.fields["chosen_by"].choices = [("", "—"), *LeadChoice.choices]
        self.fields["phone"].help_text = _("Private: seen by officials and the community, never on the board.")
        self.fields["chosen_on"].required = False  # the service takes today
        self.fields["chosen_on"].initial = timezone.localdate

    def clean_candidates_text(self):
        candidates = []
        for line in self.cleaned_data["candidates_text"].splitlines():
            line = line.replace("：", " ").replace(":", " ").strip()
            if not line:
                continue
            name, _sep, votes = line.rpartition(" ")
            if name.strip() and votes.isdecimal():
                candidates.append({"name": name.strip(), "votes": int(votes)})
            else:
                candidates.append({"name": line, "votes": None})
        return candidates

    def service_data(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["candidates"] = self.cleaned_data["candidates_text"]
        return data


class BoardContactForm(PortalFormMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    building = forms.ModelChoiceField(
        label=_("Building"),
        queryset=Building.objects.none(),
        required=False,
        empty_label=_("Every building of the compound"),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        required=False,
        help_text=_("For the bodies, leave blank to show the current secretary, director or company."),
    )
    service_phone = forms.CharField(
        label=_("Published service phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text=_("Shown on the plates and the public page: a work number, never a resident's own phone."),
    )

    def __init__(self, *args, compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "—"), *[(r.value, r.label) for r in BOARD_CONTACT_ROLES]]
        self.fields["building"].queryset = Building.objects.filter(compound=compound).order_by("id")
