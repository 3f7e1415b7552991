"""Portal-wide tasks."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "portal:celery-heartbeat"
logger = logging.getLogger(__name__)


@shared_task(name="renovation_portal.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a task (/healthz reports when it last did), then send again any scheduled run
    that beat's send missed (the broker was down at the time)."""
    now = timezone.now()
    cache.set(HEARTBEAT_CACHE_KEY, now.isoformat(), timeout=None)
    catch_up_missed_runs(now)
    return now.isoformat()


@shared_task(name="renovation_portal.tasks.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys older than 48 hours (the contract promises at least 24), and the photos uploaded
    for forms that were not sent within 48 hours (``renovation_portal.pending_photos``)."""
    from renovation_portal.idempotency import purge_old_keys
    from renovation_portal.pending_photos import purge_old

    return purge_old_keys() + purge_old()


def record_success(task_name: str, now=None) -> None:
    """Remember that the task of these schedule entries succeeded now (called for every task that succeeds)."""
    from renovation_portal.models import ScheduledRun
    from renovation_portal.schedules import CAUGHT_UP

    entries = [name for name, entry in CAUGHT_UP.items() if entry["task"] == task_name]
    for name in entries:
        ScheduledRun.objects.update_or_create(entry=name, defaults={"last_success_at": now or timezone.now()})


def catch_up_missed_runs(now=None) -> list[str]:
    """Send the task of every schedule entry whose last due time (within ``SCHEDULE_CATCH_UP_HOURS``, and at
    least ``SCHEDULE_CATCH_UP_GRACE_MINUTES`` ago, so beat's own send of an on-time run is not doubled) is later
    than its last success — once per ``SCHEDULE_CATCH_UP_RETRY_MINUTES`` until it succeeds. A missed 08:00
    reminder thus goes out when the broker is back, once: the sweeps claim each reminder per day. Returns the
    names of the entries sent."""
    from celery import current_app as app  # the project app (renovation_portal/__init__.py), not imported back

    from renovation_portal.models import ScheduledRun
    from renovation_portal.schedules import CAUGHT_UP

    now = now or timezone.now()
    window = timedelta(hours=getattr(settings, "SCHEDULE_CATCH_UP_HOURS", 12))
    grace = timedelta(minutes=getattr(settings, "SCHEDULE_CATCH_UP_GRACE_MINUTES", 10))
    retry = timedelta(minutes=getattr(settings, "SCHEDULE_CATCH_UP_RETRY_MINUTES", 60))
    runs = {run.entry: run for run in ScheduledRun.objects.filter(entry__in=list(CAUGHT_UP))}
    sent = []
    for name, entry in CAUGHT_UP.items():
        run = runs.get(name)
        since = max(filter(None, [run and run.last_success_at, now - window]))
        start, delta, _now = entry["schedule"].remaining_delta(since)
        due_at = start + delta  # the first time the entry was due after its last success (or the window's start)
        if due_at > now - grace:
            continue  # nothing missed, or beat's own send may still be on its way
        if run and run.caught_up_at and run.caught_up_at > due_at and run.caught_up_at > now - retry:
            continue  # sent again already; its success is pending
        app.loader.import_default_modules()  # the apps' task modules, as a worker has them
        app.tasks[entry["task"]].apply_async(**entry.get("options", {}))
        ScheduledRun.objects.update_or_create(entry=name, defaults={"caught_up_at": now})
        logger.warning("Scheduled run %s due at %s was missed; sent it again", name, due_at.isoformat())
        sent.append(name)
    return sent
