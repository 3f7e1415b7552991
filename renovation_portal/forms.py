"""Form helpers shared by every app: Bootstrap classes and phone-friendly inputs."""

from django import forms


def style_field(field: forms.Field) -> None:
    """Bootstrap's class for the field's widget (once, however often it is called), and a numeric keypad on
    phones for numeric fields."""
    widget = field.widget
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):  # RadioSelect: CheckboxSelectMultiple too
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    classes = widget.attrs.get("class", "").split()
    if css not in classes:
        widget.attrs["class"] = " ".join([*classes, css])
    if isinstance(field, (forms.DecimalField, forms.FloatField)):
        widget.attrs.setdefault("inputmode", "decimal")
    elif isinstance(field, forms.IntegerField):
        widget.attrs.setdefault("inputmode", "numeric")


class PortalFormMixin:
    """Give every widget Bootstrap's class, and numeric fields a numeric keypad on phones: when the form is built,
    and again for each field as it is rendered (``form[name]``, which ``{{ form }}`` and ``{% for field in form %}``
    go through), so that fields a form adds in its own ``__init__`` are styled without the form doing anything."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            style_field(field)

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        style_field(bound.field)
        return bound
