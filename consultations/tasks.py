"""Scheduled tasks of the consultations app (the schedule: renovation_portal/schedules.py). Thin: each calls a
sweep; every reminder is claimed once in the database, so a retry, a concurrent run or a killed worker's
redelivered task sends nothing twice."""

from celery import shared_task

from consultations import sweeps


@shared_task(name="consultations.remind_minutes")
def remind_minutes() -> int:
    return sweeps.remind_minutes()
