"""Background and scheduled tasks of the consultations app (the schedule: renovation_portal/schedules.py). Thin:
each loads by id and calls a service, or calls a sweep; every reminder is claimed once in the database, so a retry,
a concurrent run or a killed worker's redelivered task sends nothing twice."""

from celery import shared_task

from consultations import services, sweeps


@shared_task(name="consultations.run_roll_import")
def run_roll_import(job_id: int) -> str | None:
    """Import an uploaded owners' roll (RollImportJob): all or nothing, with progress and the per-row report."""
    job = services.roll_import_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(name="consultations.remind_minutes")
def remind_minutes() -> int:
    return sweeps.remind_minutes()
