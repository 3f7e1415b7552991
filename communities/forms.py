from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from communities.models import Building, Compound
from communities.services import BUILDING_EDITABLE_FIELDS, COMPOUND_EDITABLE_FIELDS
from renovation_portal.forms import PortalFormMixin


class CompoundForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Compound
        fields = COMPOUND_EDITABLE_FIELDS


class BuildingForm(PortalFormMixin, forms.ModelForm):
    class Meta:
        model = Building
        fields = BUILDING_EDITABLE_FIELDS


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a username longer than any account's before it is authenticated: Django only
    sets the field's ``max_length`` (no validator), and django-axes writes each failed login's username to a
    column of 255 characters, where a longer one would be a DataError (a 500) instead of a failed login."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))
