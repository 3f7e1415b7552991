"""Form helpers shared by every app: Bootstrap classes and phone-friendly inputs."""

from django import forms


class PortalFormMixin:
    """Give every widget Bootstrap's class, and numeric fields a numeric keypad on phones."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.CheckboxInput,)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
            if isinstance(field, (forms.DecimalField, forms.FloatField)):
                widget.attrs.setdefault("inputmode", "decimal")
            elif isinstance(field, forms.IntegerField):
                widget.attrs.setdefault("inputmode", "numeric")
