"""Forms of the inspections app's set-up pages (groups, the checklist builder)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.choices import InspectionTier, RoleKind
from communities.models import District
from communities.scoping import get_scope
from inspections.choices import ChecklistKind, ItemKind
from renovation_portal.forms import PortalFormMixin


def managed_districts(user):
    """The districts whose inspections the user sets up: those of their district-official roles."""
    if get_scope(user).is_global:
        return District.objects.order_by("code")
    return District.objects.filter(
        pk__in=user.roles.filter(kind=RoleKind.DISTRICT_OFFICIAL).values("district_id")
    ).order_by("code")


class GroupForm(PortalFormMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=80)
    tier = forms.TypedChoiceField(label=_("tier"), choices=InspectionTier.choices, coerce=int)
    district = forms.ModelChoiceField(label=_("district"), queryset=District.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = managed_districts(user)


class GroupEditForm(PortalFormMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=80)
    tier = forms.TypedChoiceField(label=_("tier"), choices=InspectionTier.choices, coerce=int)


class ChecklistForm(PortalFormMixin, forms.Form):
    name = forms.CharField(label=_("name"), max_length=80)
    kind = forms.ChoiceField(
        label=_("used for"),
        choices=ChecklistKind.choices,
        initial=ChecklistKind.INSPECTION,
        required=False,
        help_text=_("An aftercare standard (environment, safety, order) is patrolled monthly after handover."),
    )
    tier = forms.TypedChoiceField(label=_("tier"), choices=InspectionTier.choices, coerce=int)
    district = forms.ModelChoiceField(label=_("district"), queryset=District.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = managed_districts(user)

    def clean_kind(self):
        return self.cleaned_data.get("kind") or ChecklistKind.INSPECTION


class ItemForm(PortalFormMixin, forms.Form):
    """One row of the builder; a row left empty is ignored."""

    text = forms.CharField(label=_("item"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=ItemKind.choices, initial=ItemKind.PASS_FAIL)
    guideline_ref = forms.CharField(label=_("guideline clause"), max_length=120, required=False)
    max_score = forms.IntegerField(label=_("weight (maximum score)"), min_value=0, max_value=1000, required=False)
    code = forms.SlugField(widget=forms.HiddenInput, required=False)

    def has_changed(self):
        # The kind has an initial value: a row counts as filled in only when it has text.
        return bool(self.data.get(self.add_prefix("text"), "").strip()) if self.is_bound else super().has_changed()


ItemFormSet = forms.formset_factory(ItemForm, extra=2, can_delete=True, max_num=200, validate_max=True)
