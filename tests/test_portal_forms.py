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
