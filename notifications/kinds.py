"""Notification kinds. This app knows no domain app, so it owns no kinds: each domain app defines its own
(a ``TextChoices``, e.g. ``inspections.choices.NotificationKind``) and registers it here in its
``AppConfig.ready()``. ``Notification.kind`` offers the registered kinds as its choices (API filter and schema,
admin, forms).

A kind's stored value is part of the exactly-once claim (recipient, kind, subject, period): it must never change
once rows exist, and two apps may not use the same value."""

from django.core.exceptions import ImproperlyConfigured

_KINDS: dict[str, tuple[str, object]] = {}  # value → (owner, label)


def register_kinds(choices) -> None:
    """Register an app's notification kinds (a ``TextChoices`` class)."""
    owner = f"{choices.__module__}.{choices.__qualname__}"
    for value, label in choices.choices:
        registered = _KINDS.get(value)
        if registered is not None and registered[0] != owner:
            raise ImproperlyConfigured(
                f"Notification kind {value!r} of {owner} is already registered by {registered[0]}."
            )
        _KINDS[value] = (owner, label)


def kind_choices() -> list[tuple[str, object]]:
    """The registered kinds, as field choices (a callable, so the model and its migrations name no app)."""
    return [(value, label) for value, (_owner, label) in _KINDS.items()]
