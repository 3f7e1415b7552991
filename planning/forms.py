"""Forms of the planning pages. They only shape input: the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.choices import CompanyKind
from communities.models import Company
from consultations.models import Vote
from planning.choices import BatchKind
from planning.models import PlanBatch
from projects.choices import FundingSource, ScopeCategory, WorkClass
from renovation_portal.forms import PortalFormMixin

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
ITEM_ROWS = 6


class DeclarationForm(PortalFormMixin, forms.Form):
    """The declaration, its proposed items (rows) and its funding split in one phone-friendly form."""

    compound = forms.ModelChoiceField(queryset=None, label=_("Compound"))
    vote = forms.ModelChoiceField(
        queryset=None,
        label=_("Willingness vote"),
        help_text=_("The owners' passed, compound-wide vote on renovating (要我改 → 我要改)."),
    )
    needs_summary = forms.CharField(label=_("Residents' needs"), widget=forms.Textarea(attrs={"rows": 4}))
    buildings_affected = forms.IntegerField(label=_("Buildings affected"), min_value=0, initial=0)
    households_affected = forms.IntegerField(label=_("Households affected"), min_value=0, initial=0)
    residents_affected = forms.IntegerField(label=_("Residents affected"), min_value=0, initial=0)

    def __init__(self, *args, compounds, votes, declaration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds
        self.fields["vote"].queryset = votes
        self.fields["vote"].label_from_instance = lambda v: f"{v.topic.compound.name} · {v.title}"
        if declaration is not None:
            self.fields.pop("compound")
        for index in range(ITEM_ROWS):
            self.fields[f"item_{index}_class"] = forms.ChoiceField(
                choices=[("", "—"), *WorkClass.choices], required=False, label=_("Class")
            )
            self.fields[f"item_{index}_category"] = forms.ChoiceField(
                choices=[("", "—"), *ScopeCategory.choices], required=False, label=_("Category")
            )
            self.fields[f"item_{index}_description"] = forms.CharField(
                max_length=120, required=False, label=_("Description")
            )
            self.fields[f"item_{index}_quantity"] = forms.DecimalField(
                min_value=0, max_digits=14, decimal_places=2, required=False, label=_("Quantity")
            )
            self.fields[f"item_{index}_cost"] = forms.DecimalField(
                min_value=0, max_digits=14, decimal_places=2, required=False, label=_("Estimated cost (yuan)")
            )
        for source, label in FundingSource.choices:
            self.fields[f"funding_{source}"] = forms.DecimalField(
                label=label, min_value=0, max_digits=14, decimal_places=2, required=False
            )
        self.style_fields()  # the item rows and funding fields were added after the mixin styled the others
        if declaration is not None and not self.is_bound:
            self.initial.update(
                {
                    "vote": declaration.vote_id,
                    "needs_summary": declaration.needs_summary,
                    "buildings_affected": declaration.buildings_affected,
                    "households_affected": declaration.households_affected,
                    "residents_affected": declaration.residents_affected,
                }
            )
            for index, item in enumerate(list(declaration.items.all())[:ITEM_ROWS]):
                self.initial.update(
                    {
                        f"item_{index}_class": item.work_class,
                        f"item_{index}_category": item.category,
                        f"item_{index}_description": item.description,
                        f"item_{index}_quantity": item.quantity,
                        f"item_{index}_cost": item.estimated_cost,
                    }
                )
            for row in declaration.funding.all():
                self.initial[f"funding_{row.source}"] = row.amount

    def item_rows(self):
        return [
            [self[f"item_{i}_{name}"] for name in ("class", "category", "description", "quantity", "cost")]
            for i in range(ITEM_ROWS)
        ]

    def funding_fields(self):
        return [self[f"funding_{source}"] for source in FundingSource.values]

    def items(self) -> list[dict]:
        data = self.cleaned_data
        rows = []
        for i in range(ITEM_ROWS):
            values = [data.get(f"item_{i}_{n}") for n in ("class", "category", "description", "quantity", "cost")]
            if not any(v not in (None, "") for v in values):
                continue
            work_class, category, description, quantity, cost = values
            rows.append(
                {
                    "work_class": work_class,
                    "category": category,
                    "description": description,
                    "quantity": quantity or 0,
                    "estimated_cost": cost or 0,
                }
            )
        return rows

    def funding(self) -> dict:
        return {
            s: self.cleaned_data[f"funding_{s}"] for s in FundingSource.values if self.cleaned_data.get(f"funding_{s}")
        }


def willingness_votes(compounds):
    """Passed, compound-wide willingness votes of these compounds (the choices of the declaration form)."""
    return (
        Vote.objects.filter(
            topic__compound__in=compounds,
            matter_type="renovation_willingness",
            electorate="compound",
            status="closed",
            result="passed",
        )
        .select_related("topic__compound")
        .order_by("topic__compound__name", "-closed_at")
    )


class AttachmentForm(PortalFormMixin, forms.Form):
    file = forms.FileField(
        label=_("Survey photo or PDF"),
        help_text=_("JPEG, PNG or WebP photos (at most 10 MB) and PDF drawings (at most 20 MB)."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )
    title = forms.CharField(label=_("Title"), max_length=120, required=False)


class ReasonForm(PortalFormMixin, forms.Form):
    reason = forms.CharField(label=_("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class PlanCreateForm(PortalFormMixin, forms.Form):
    district = forms.ModelChoiceField(queryset=None, label=_("District"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts
        if districts.count() == 1:
            self.initial.setdefault("district", districts.first().pk)


class BatchForm(PortalFormMixin, forms.Form):
    kind = forms.ChoiceField(choices=BatchKind.choices, label=_("Kind"))
    name = forms.CharField(label=_("Name"), max_length=60, required=False)


class PlanItemForm(PortalFormMixin, forms.Form):
    declaration = forms.ModelChoiceField(queryset=None, label=_("Declaration from the library"))
    batch = forms.ModelChoiceField(queryset=None, label=_("Batch"))

    def __init__(self, *args, plan, library, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["declaration"].queryset = library
        self.fields["declaration"].label_from_instance = lambda d: (
            f"{d.compound.name}（{d.compound.community.subdistrict.name}）· {d.estimated_cost:,.2f}"
        )
        self.fields["batch"].queryset = PlanBatch.objects.filter(plan=plan).order_by("number")
        self.fields["batch"].empty_label = None  # the first batch ("成熟一批") unless another is chosen


class TargetForm(PortalFormMixin, forms.Form):
    """The district's yearly target and each subdistrict's share."""

    to_start = forms.IntegerField(label=_("Compounds to start"), min_value=0)
    to_finish = forms.IntegerField(label=_("Compounds to finish"), min_value=0)

    def __init__(self, *args, subdistricts, target=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subdistricts = list(subdistricts)
        shares = {s.subdistrict_id: s for s in target.shares.all()} if target else {}
        if target and not self.is_bound:
            self.initial.update({"to_start": target.to_start, "to_finish": target.to_finish})
        for sub in self.subdistricts:
            share = shares.get(sub.pk)
            self.fields[f"start_{sub.pk}"] = forms.IntegerField(
                label=_("%(name)s: to start") % {"name": sub.name}, min_value=0, required=False,
                initial=share.to_start if share else None,
            )  # fmt: skip
            self.fields[f"finish_{sub.pk}"] = forms.IntegerField(
                label=_("%(name)s: to finish") % {"name": sub.name}, min_value=0, required=False,
                initial=share.to_finish if share else None,
            )  # fmt: skip
        self.style_fields()  # the shares were added after the mixin styled the form

    def share_rows(self):
        return [(sub, self[f"start_{sub.pk}"], self[f"finish_{sub.pk}"]) for sub in self.subdistricts]

    def shares(self) -> dict:
        return {
            sub: (self.cleaned_data.get(f"start_{sub.pk}") or 0, self.cleaned_data.get(f"finish_{sub.pk}") or 0)
            for sub in self.subdistricts
        }


class AwardForm(PortalFormMixin, forms.Form):
    """The EPC award of the project created from a plan item, and the designer and supervisor."""

    contractor = forms.ModelChoiceField(queryset=None, label=_("EPC contractor"))
    contract_number = forms.CharField(label=_("EPC contract number"), max_length=60)
    contract_amount = forms.DecimalField(
        label=_("Contract amount (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )
    awarded_on = forms.DateField(label=_("Awarded on"), widget=DATE)
    designer = forms.ModelChoiceField(queryset=None, label=_("Designer"), required=False)
    supervisor = forms.ModelChoiceField(queryset=None, label=_("Supervisor (监理)"), required=False)
    planned_start = forms.DateField(label=_("Planned start"), widget=DATE, required=False)
    planned_finish = forms.DateField(label=_("Planned finish"), widget=DATE, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contractor"].queryset = Company.objects.filter(kind=CompanyKind.CONTRACTOR).order_by("name")
        self.fields["designer"].queryset = Company.objects.filter(kind=CompanyKind.DESIGNER).order_by("name")
        self.fields["supervisor"].queryset = Company.objects.filter(kind=CompanyKind.SUPERVISOR).order_by("name")
