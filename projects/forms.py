from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.choices import CompanyKind
from communities.models import Company
from projects.choices import FundingSource, FundingStage, Party
from projects.models import PlanVersion, Project, ScopeItem
from projects.services import PROJECT_EDITABLE_FIELDS, SCOPE_EDITABLE_FIELDS
from renovation_portal.forms import PortalFormMixin
from renovation_portal.uploads import MAX_PHOTOS_PER_UPLOAD, PHOTO_ACCEPT

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectForm(PortalFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Project
        fields = PROJECT_EDITABLE_FIELDS
        widgets = {"planned_start": DATE, "planned_finish": DATE, "awarded_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contractor"].queryset = Company.objects.filter(kind=CompanyKind.CONTRACTOR)
        self.fields["designer"].queryset = Company.objects.filter(kind=CompanyKind.DESIGNER)
        self.fields["supervisor"].queryset = Company.objects.filter(kind=CompanyKind.SUPERVISOR)
        self.fields["contractor"].error_messages["invalid_choice"] = _(
            "Choose an EPC contractor: only a company of that kind can carry out the project."
        )
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version


class FundingForm(PortalFormMixin, forms.Form):
    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = {f.source: f.amount for f in project.funding.all()} if project else {}
        for source, label in FundingSource.choices:
            self.fields[source] = forms.DecimalField(
                label=label, min_value=0, max_digits=14, decimal_places=2, required=False, initial=current.get(source)
            )
        self.style_fields()  # the sources were added after the mixin styled the form


class FundingEntryForm(PortalFormMixin, forms.Form):
    """An allocation, disbursement or spending of one source's money (projects.services.funding_entry_record
    checks it again and against the ceilings)."""

    stage = forms.ChoiceField(label=_("Stage"), choices=FundingStage.choices)
    source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        help_text=_("In yuan, to the fen (at most two decimals)."),
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=80,
        help_text=_("The allocation notice, payment voucher or invoice number."),
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, stages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s, label) for s, label in FundingStage.choices if s in stages]
        self.fields["amount"].widget.attrs["step"] = "0.01"
        self.initial.setdefault("date", timezone.localdate())


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000)


class PlanVersionForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = PlanVersion
        fields = ["summary", "changes"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 4}), "changes": forms.Textarea(attrs={"rows": 3})}


class ConfirmationForm(PortalFormMixin, forms.Form):
    party = forms.ChoiceField(label=_("Party"), choices=Party.choices)
    signatory = forms.CharField(label=_("Signed by"), max_length=80, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, parties=None, **kwargs):
        super().__init__(*args, **kwargs)
        if parties is not None:
            self.fields["party"].choices = [(p, label) for p, label in Party.choices if p in parties]


class ScopeItemForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = ScopeItem
        fields = SCOPE_EDITABLE_FIELDS
        widgets = {"excavation_start": DATE, "excavation_end": DATE}
        help_texts = {"unit": _("Leave empty for the category's usual unit.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].required = False


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": PHOTO_ACCEPT, "capture": "environment"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ProgressReportForm(PortalFormMixin, forms.Form):
    report_date = forms.DateField(label=_("Date"), widget=DATE)
    percent_complete = forms.IntegerField(label=_("Percent complete"), min_value=0, max_value=100)
    work_done = forms.CharField(label=_("Work done"), widget=forms.Textarea(attrs={"rows": 3}))
    manpower = forms.IntegerField(label=_("Workers on site"), min_value=0, max_value=100000, initial=0)
    weather = forms.CharField(label=_("Weather"), max_length=40, required=False)
    issues_met = forms.CharField(label=_("Issues met"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultiplePhotoField(
        label=_("Site photos"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to 10 MB each, at most %(count)d.") % {"count": MAX_PHOTOS_PER_UPLOAD},
    )

    def __init__(self, *args, scope_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("report_date", timezone.localdate())
        self.scope_items = list(scope_items)
        for item in self.scope_items:
            field = forms.DecimalField(
                label=f"{item.name}（{item.unit}）",
                min_value=0,
                max_digits=14,
                decimal_places=2,
                required=False,
                help_text=_("Done so far: %(done)s of %(planned)s")
                % {"done": item.completed_quantity, "planned": item.planned_quantity},
            )
            field.widget.attrs.update({"class": "form-control", "inputmode": "decimal"})
            self.fields[f"qty_{item.pk}"] = field

    def quantity_fields(self):
        return [self[f"qty_{item.pk}"] for item in self.scope_items]

    def main_fields(self):
        return [
            self[name] for name in ("report_date", "percent_complete", "work_done", "manpower", "weather", "issues_met")
        ]

    def quantities(self) -> dict[int, object]:
        return {
            item.pk: self.cleaned_data.get(f"qty_{item.pk}")
            for item in self.scope_items
            if self.cleaned_data.get(f"qty_{item.pk}")
        }
