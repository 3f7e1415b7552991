"""Background work of the consultations app. Thin: each task loads by id and calls a service."""

from celery import shared_task

from consultations import services


@shared_task(name="consultations.run_roll_import")
def run_roll_import(job_id: int) -> str | None:
    """Import an uploaded owners' roll (RollImportJob): all or nothing, with progress and the per-row report."""
    job = services.roll_import_job_run(job_id=job_id)
    return job.status if job is not None else None
