"""Delivery tasks of the notifications app. Thin: each calls a service; every row is delivered at most once per
channel under a row lock, so a retried or redelivered task sends nothing twice."""

from celery import shared_task

from notifications import services


@shared_task(name="notifications.deliver")
def deliver(ids: list[int]) -> int:
    """Deliver the notifications an event has just claimed (queued after its commit)."""
    return services.deliver(ids)


@shared_task(name="notifications.deliver_pending")
def deliver_pending() -> int:
    """The sweep: deliver whatever was claimed and not yet delivered (an event queued while the broker was down)."""
    return services.deliver_pending()
