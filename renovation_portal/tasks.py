"""Portal-wide tasks."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "portal:celery-heartbeat"


@shared_task(name="renovation_portal.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a task: /healthz reports when it last did."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="renovation_portal.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than 48 hours (the contract promises at least 24)."""
    from renovation_portal.idempotency import purge_old_keys

    return purge_old_keys()
