"""Scheduled tasks of the inspections app (the schedule: renovation_portal/schedules.py). Thin: each calls a
sweep or a service; every reminder is claimed once in the database, so a retry, a concurrent run or a killed
worker's redelivered task sends nothing twice."""

from celery import shared_task
from django.utils import timezone

from inspections import services, sweeps


@shared_task(name="inspections.plan_weekly_rounds")
def plan_weekly_rounds() -> int:
    return len(services.plan_weekly_round(week=timezone.localdate()))


@shared_task(name="inspections.remind_inspectors")
def remind_inspectors() -> int:
    return sweeps.remind_inspectors()


@shared_task(name="inspections.remind_contractors")
def remind_contractors() -> int:
    return sweeps.remind_contractors()


@shared_task(name="inspections.escalate_overdue")
def escalate_overdue() -> int:
    return sweeps.escalate_overdue()


@shared_task(name="inspections.weekly_digest")
def weekly_digest() -> int:
    return sweeps.weekly_digest()
