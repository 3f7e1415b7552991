"""Forms of the aftercare pages: each one feeds one service, which decides (its DomainError lands on the field)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from aftercare.choices import LedgerKind, OrganiserKind, ResponsibleKind, SpaceKind
from projects.forms import MultiplePhotoField
from renovation_portal.forms import PortalFormMixin
from renovation_portal.uploads import MAX_PHOTOS_PER_UPLOAD

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RecordForm(PortalFormMixin, forms.Form):
    responsible_kind = forms.ChoiceField(label=_("Responsible"), choices=ResponsibleKind.choices)
    responsible_note = forms.CharField(label=_("Responsible contact"), max_length=200, required=False)
    standards = forms.CharField(label=_("Standards that apply"), widget=forms.Textarea(attrs={"rows": 5}))


class WarrantyForm(PortalFormMixin, forms.Form):
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    basis = forms.CharField(label=_("Basis"), max_length=120, required=False)


class DocumentForm(PortalFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Document (PDF) or photo"),
        help_text=_("PDF up to 20 MB; JPEG, PNG or WebP photos up to 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}),
    )
    title = forms.CharField(label=_("Title"), max_length=120)


class ServiceItemForm(PortalFormMixin, forms.Form):
    service = forms.CharField(label=_("Service"), max_length=120, required=False)
    provider = forms.CharField(label=_("Provided by"), max_length=80, required=False)
    frequency = forms.CharField(label=_("How often"), max_length=60, required=False)
    price = forms.DecimalField(label=_("Price (yuan)"), max_digits=12, decimal_places=2, min_value=0, required=False)
    price_unit = forms.CharField(label=_("Per"), max_length=20, required=False)

    def item(self) -> dict | None:
        """The row as the service takes it, or None for an empty row."""
        data = self.cleaned_data
        if not any(data.get(name) not in (None, "") for name in self.fields):
            return None
        return {name: data.get(name) for name in self.fields}


ServiceItemFormSet = forms.formset_factory(ServiceItemForm, extra=3, max_num=60, absolute_max=60)


class ServiceFormForm(PortalFormMixin, forms.Form):
    published_on = forms.DateField(label=_("In force from"), widget=DATE, required=False)
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)


class LedgerEntryForm(PortalFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LedgerKind.choices, required=False)
    entry_date = forms.DateField(label=_("Date"), widget=DATE)
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=12, decimal_places=2)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    decision = forms.CharField(label=_("Owners' committee decision"), max_length=300, required=False)
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE, required=False)
    vote = forms.ModelChoiceField(queryset=None, label=_("Owners' vote (larger amounts)"), required=False)
    corrects = forms.ModelChoiceField(queryset=None, label=_("Corrects entry"), required=False)

    def __init__(self, *args, votes, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vote"].queryset = votes
        self.fields["corrects"].queryset = entries
        self.fields["corrects"].widget = forms.HiddenInput()


class QuarterForm(PortalFormMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("Quarter"), choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int)


class SpaceForm(PortalFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    kind = forms.ChoiceField(label=_("Kind"), choices=SpaceKind.choices)
    area = forms.DecimalField(label=_("Area (m²)"), max_digits=10, decimal_places=2, min_value=0)
    opened_on = forms.DateField(label=_("Opened on"), widget=DATE, required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ActivityForm(PortalFormMixin, forms.Form):
    space = forms.ModelChoiceField(queryset=None, label=_("Space"))
    title = forms.CharField(label=_("Title"), max_length=120)
    held_on = forms.DateField(label=_("Date"), widget=DATE)
    organiser_kind = forms.ChoiceField(label=_("Organised by"), choices=OrganiserKind.choices)
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=100000, required=False)
    description = forms.CharField(
        label=_("Description"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, spaces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["space"].queryset = spaces


class SignupForm(PortalFormMixin, forms.Form):
    count = forms.IntegerField(label=_("Residents signing up"), min_value=1, max_value=10000)


class AttendanceForm(PortalFormMixin, forms.Form):
    attendance = forms.IntegerField(label=_("Residents who came"), min_value=0, max_value=100000)


class ActivityPhotoForm(PortalFormMixin, forms.Form):
    photos = MultiplePhotoField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP, up to 10 MB each, at most %(count)d.") % {"count": MAX_PHOTOS_PER_UPLOAD},
    )
