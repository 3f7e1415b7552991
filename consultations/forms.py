from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Building, Compound
from consultations.choices import (
    BallotChannel,
    BallotChoice,
    Channel,
    Electorate,
    MatterType,
    MeetingKind,
    NeedCategory,
    OwnerKind,
)
from consultations.models import Owner, OwnerUnit, Topic
from projects.forms import MultiplePhotoField
from renovation_portal.forms import PortalFormMixin
from renovation_portal.uploads import PHOTO_ACCEPT, PhotoFormField


class CompoundChoiceMixin:
    """The compound field offers the user's own compounds only."""

    def limit(self, user):
        self.fields["compound"].queryset = Compound.objects.visible_to(user).order_by("code")


class NeedForm(PortalFormMixin, CompoundChoiceMixin, forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none(), required=False)
    # Required choices start empty: a need filed without choosing is refused, never filed under the first option.
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Choose…")), *Channel.choices])
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("Choose…")), *NeedCategory.choices])
    content = forms.CharField(label=_("Need"), widget=forms.Textarea(attrs={"rows": 3}))
    raised_by_name = forms.CharField(label=_("Raised by"), max_length=50, required=False)
    raised_by_phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    on_behalf_role = forms.ChoiceField(
        label=_("Recorded on the resident's behalf by"),
        required=False,
        choices=[("", "—"), ("building_lead", _("Building lead")), ("grid_worker", _("Grid worker"))],
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit(user)
        self.fields["building"].queryset = Building.objects.visible_to(user)


class TopicForm(PortalFormMixin, CompoundChoiceMixin, forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Topic"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit(user)


class MeetingForm(PortalFormMixin, CompoundChoiceMixin, forms.Form):
    """Schedule a meeting (or change what was scheduled): when, where, for which buildings, on which topics. The
    buildings and topics offered are the chosen compound's (htmx reloads them when the compound changes); the
    minutes, photos and sign-ins are recorded on the meeting's page. Required choices start empty."""

    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *MeetingKind.choices])
    held_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    buildings = forms.ModelMultipleChoiceField(
        label=_("Buildings"),
        required=False,
        queryset=Building.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: the whole compound. Their building leads and owners are invited."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Existing topics on the agenda"),
        required=False,
        queryset=Topic.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    new_topics = forms.CharField(
        label=_("New topics"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One topic title per line; each becomes a topic at step 1."),
    )

    def __init__(self, *args, user=None, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit(user)
        self.meeting = meeting
        if meeting is not None:  # the compound of a scheduled meeting stays
            self.fields["compound"].disabled = True
            self.initial["compound"] = meeting.compound_id
        compounds = self.fields["compound"].queryset
        if meeting is None and not self.is_bound and "compound" not in self.initial and len(compounds[:2]) == 1:
            self.initial["compound"] = compounds.get().pk  # one compound: nothing to choose
        compound = self.chosen_compound()
        self.fields["buildings"].queryset = (
            compound.buildings.order_by("number") if compound is not None else Building.objects.none()
        )
        self.fields["buildings"].label_from_instance = lambda building: building.number
        self.fields["topics"].queryset = (
            Topic.objects.filter(compound=compound).exclude(step="public_feedback").order_by("-updated_at")
            if compound is not None
            else Topic.objects.none()
        )

    def chosen_compound(self):
        """The compound whose buildings and topics are offered: the meeting's, the one posted, or the initial."""
        if self.meeting is not None:
            return self.meeting.compound
        value = self.data.get(self.add_prefix("compound")) if self.is_bound else None
        value = value or self.initial.get("compound")
        if value is None or not str(getattr(value, "pk", value)).isdecimal():
            return None
        return self.fields["compound"].queryset.filter(pk=getattr(value, "pk", value)).first()

    def new_topic_titles(self):
        return [line.strip() for line in self.cleaned_data.get("new_topics", "").splitlines() if line.strip()]


class MeetingDraftForm(PortalFormMixin, forms.Form):
    """What is recorded during and after the meeting, saved as a draft until the minutes are published."""

    decisions = forms.CharField(
        label=_("Decisions"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    minutes = forms.CharField(
        label=_("Minutes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )
    guests = forms.IntegerField(
        label=_("Others present"),
        min_value=0,
        max_value=100000,
        initial=0,
        help_text=_("People present who are not on the roll (officials, tenants…)."),
    )
    representatives = forms.CharField(
        label=_("Named representatives"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )


class MinutesCorrectionForm(PortalFormMixin, forms.Form):
    decisions = forms.CharField(
        label=_("Decisions"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    minutes = forms.CharField(label=_("Minutes"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    note = forms.CharField(label=_("What the correction changes"), max_length=200)


class MeetingCancelForm(PortalFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why it is cancelled"), max_length=200, required=False)


class MeetingPhotoForm(PortalFormMixin, forms.Form):
    photos = MultiplePhotoField(
        label=_("Add photos"),
        help_text=_("Each photo is kept as soon as it is chosen."),
    )


class PublicSignInForm(PortalFormMixin, forms.Form):
    """A resident's sign-in with the meeting's QR code: their unit (grouped by building) and optionally a name."""

    owner_unit = forms.TypedChoiceField(label=_("Your unit"), coerce=int)
    name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)

    def __init__(self, *args, compound, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[int, str]]] = {}
        for pk, building, unit in (
            OwnerUnit.objects.filter(compound=compound, retired_at__isnull=True)
            .order_by("building__number", "stairwell", "unit")
            .values_list("pk", "building__number", "unit")
        ):
            groups.setdefault(building, []).append((pk, f"{building} {unit}"))
        self.fields["owner_unit"].choices = [("", _("Choose your unit")), *groups.items()]


class VoteForm(PortalFormMixin, forms.Form):
    title = forms.CharField(label=_("Question"), max_length=200)
    matter_type = forms.ChoiceField(label=_("Matter"), choices=MatterType.choices)
    electorate = forms.ChoiceField(label=_("Electorate"), choices=Electorate.choices)
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none(), required=False)
    stairwell = forms.IntegerField(label=_("Stairwell"), min_value=1, max_value=99, required=False)
    lead_candidate = forms.CharField(
        label=_("Elects a building lead: candidate"),
        max_length=50,
        required=False,
        help_text=_(
            "Only for electing the building lead (electorate: one building). When the vote passes, the candidate "
            "becomes the building's lead."
        ),
    )
    lead_candidate_phone = forms.CharField(
        label=_("Candidate's private phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    lead_service_phone = forms.CharField(
        label=_("Published service phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
        help_text=_("Shown on the building's plate once elected; leave blank to show no phone."),
    )

    def __init__(self, *args, compound=None, **kwargs):
        super().__init__(*args, **kwargs)
        if compound is not None:
            self.fields["building"].queryset = compound.buildings.order_by("id")
            self.fields["building"].label_from_instance = lambda building: building.number


class BallotForm(PortalFormMixin, forms.Form):
    voter = forms.IntegerField(widget=forms.HiddenInput)
    choice = forms.ChoiceField(label=_("Choice"), choices=BallotChoice.choices)
    channel = forms.ChoiceField(label=_("How it was cast"), choices=BallotChannel.choices, initial=BallotChannel.PAPER)
    scan = PhotoFormField(
        label=_("Scan or attachment"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    confirmation_ref = forms.CharField(label=_("Confirmation reference"), max_length=100, required=False)


class RollImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,.xlsx"}),
    )


class OwnerForm(PortalFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=OwnerKind.choices, initial=OwnerKind.PERSON)
    name = forms.CharField(label=_("Name"), max_length=50)
    phone = forms.CharField(
        label=_("Phone"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_tail = forms.CharField(
        label=_("ID card (last 4 characters)"),
        max_length=4,
        required=False,
        help_text=_("Only to tell owners of the same name apart."),
    )


def _owner_choices(field, compound):
    field.queryset = Owner.objects.filter(compound=compound).order_by("name", "id")
    field.label_from_instance = lambda owner: (
        (f"{owner.name} ({owner.get_kind_display()})" if owner.kind != OwnerKind.PERSON else owner.name)
        + (f" ·{owner.id_tail}" if owner.id_tail else "")
    )


class OwnerUnitForm(PortalFormMixin, forms.Form):
    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none())
    stairwell = forms.IntegerField(label=_("Stairwell"), min_value=1, max_value=99, initial=1)
    unit = forms.CharField(label=_("Unit"), max_length=20)
    area = forms.DecimalField(label=_("Area (m²)"), min_value=Decimal("0.01"), max_digits=9, decimal_places=2)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Owner.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, compound, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = compound.buildings.order_by("id")
        self.fields["building"].label_from_instance = lambda building: building.number
        _owner_choices(self.fields["owner"], compound)


class OwnerUnitEditForm(PortalFormMixin, forms.Form):
    stairwell = forms.IntegerField(label=_("Stairwell"), min_value=1, max_value=99)
    area = forms.DecimalField(label=_("Area (m²)"), min_value=Decimal("0.01"), max_digits=9, decimal_places=2)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Owner.objects.none())
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, compound, **kwargs):
        super().__init__(*args, **kwargs)
        _owner_choices(self.fields["owner"], compound)


class RetireForm(PortalFormMixin, forms.Form):
    note = forms.CharField(label=_("Why it leaves the roll"), max_length=200, required=False)


class ProblemForm(PortalFormMixin, CompoundChoiceMixin, forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    description = forms.CharField(label=_("Problem"), widget=forms.Textarea(attrs={"rows": 3}))
    raised_by_name = forms.CharField(label=_("Raised by"), max_length=50, required=False)
    raised_by_phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit(user)


class AnswerForm(PortalFormMixin, forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))
    resolved = forms.BooleanField(label=_("The problem is resolved"), required=False)
    published = forms.BooleanField(
        label=_("Publish the problem and this answer on the public page"),
        required=False,
        help_text=_("The reporter's name and phone are never published."),
    )


class PublishForm(forms.Form):
    published = forms.BooleanField(required=False)


class PlateReportForm(PortalFormMixin, forms.Form):
    """A resident's report from the plate's QR code (no sign-in). ``website`` is a honeypot: people never see
    it, form-filling robots fill it in."""

    building = forms.ModelChoiceField(label=_("Building"), queryset=Building.objects.none(), required=False)
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
    )
    photo = PhotoFormField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    raised_by_name = forms.CharField(label=_("Your name (optional)"), max_length=50, required=False)
    raised_by_phone = forms.CharField(
        label=_("Your phone (optional, never published)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    website = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, compound=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Building.objects.filter(compound=compound).order_by("number")
        self.fields["building"].label_from_instance = lambda building: building.number

    def clean_raised_by_phone(self):
        phone = self.cleaned_data["raised_by_phone"].strip()
        if phone and not all(ch.isdigit() or ch in " +-" for ch in phone):
            raise forms.ValidationError(_("Enter a phone number (digits only)."), code="invalid_phone")
        return phone

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError(_("The report could not be sent."), code="spam")
        return ""


class SurveyCodeForm(PortalFormMixin, forms.Form):
    code = forms.CharField(
        label=_("Code on your slip"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


RATINGS = [(score, str(score)) for score in range(1, 6)]


class SurveyAnswerForm(forms.Form):
    overall = forms.TypedChoiceField(label=_("Overall satisfaction"), choices=RATINGS, coerce=int)
    quality = forms.TypedChoiceField(
        label=_("Quality of the works"), choices=RATINGS, coerce=int, required=False, empty_value=None
    )
    site_conduct = forms.TypedChoiceField(
        label=_("Conduct of the works (noise, dust, safety)"),
        choices=RATINGS,
        coerce=int,
        required=False,
        empty_value=None,
    )
    communication = forms.TypedChoiceField(
        label=_("Information and listening to residents"),
        choices=RATINGS,
        coerce=int,
        required=False,
        empty_value=None,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )

    def rating_fields(self):
        return [self[name] for name in ("overall", "quality", "site_conduct", "communication")]


class SurveyOpenForm(PortalFormMixin, forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none())

    def __init__(self, *args, compounds=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = compounds if compounds is not None else Compound.objects.none()
