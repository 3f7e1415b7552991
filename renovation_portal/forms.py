"""Form helpers shared by every app: Bootstrap classes and phone-friendly inputs."""

from django import forms


class PortalFormMixin:
    """Give every widget Bootstrap's class, and numeric fields a numeric keypad on phones. A form that adds fields
    in its own ``__init__`` (after this one ran) calls ``style_fields()`` again once they are added."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
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
