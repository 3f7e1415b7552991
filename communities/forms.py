from django import forms

from renovation_portal.forms import PortalFormMixin
from communities.models import Building, Compound
from communities.services import BUILDING_EDITABLE_FIELDS, COMPOUND_EDITABLE_FIELDS


class CompoundForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Compound
        fields = COMPOUND_EDITABLE_FIELDS


class BuildingForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = BUILDING_EDITABLE_FIELDS
