"""Forms that add fields in their own __init__ style them too: an unstyled input keeps its browser width and
pushes a 390 px phone page sideways (the declaration form's funding inputs did)."""

from communities.models import Compound, Subdistrict
from consultations.models import Vote
from planning.forms import DeclarationForm, TargetForm
from projects.forms import FundingForm


def _unstyled(form) -> list[str]:
    wanted = {"Select": "form-select", "SelectMultiple": "form-select", "CheckboxInput": "form-check-input"}
    return [
        name
        for name, field in form.fields.items()
        if wanted.get(type(field.widget).__name__, "form-control") not in field.widget.attrs.get("class", "").split()
    ]


def test_added_fields_get_the_bootstrap_class_once():
    form = DeclarationForm(compounds=Compound.objects.none(), votes=Vote.objects.none())
    assert _unstyled(form) == []
    assert form.fields["funding_utilities"].widget.attrs["inputmode"] == "decimal"
    assert form.fields["compound"].widget.attrs["class"] == "form-select"  # styled twice, one class
    assert _unstyled(FundingForm()) == []
    form = TargetForm(subdistricts=[Subdistrict(pk=7, name="筼筜街道")])
    assert _unstyled(form) == [] and form.fields["finish_7"].widget.attrs["inputmode"] == "numeric"


def test_a_field_added_after_the_mixin_ran_is_styled_when_rendered():
    from django import forms

    from renovation_portal.forms import PortalFormMixin

    class LateForm(PortalFormMixin, forms.Form):
        name = forms.CharField()

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["amount"] = forms.DecimalField()  # no style_fields() call
            self.fields["kind"] = forms.ChoiceField(choices=[("a", "A")])

    form = LateForm()
    assert 'class="form-control"' in str(form["amount"]) and 'inputmode="decimal"' in str(form["amount"])
    assert 'class="form-select"' in str(form["kind"])
    page = form.render()
    assert page.count('class="form-control"') == 2 and page.count('class="form-select"') == 1
