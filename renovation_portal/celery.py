"""The Celery application. Configuration comes from Django settings (CELERY_*), the schedule from schedules.py."""

import os

from celery import Celery
from celery.signals import task_success

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renovation_portal.settings")

app = Celery("renovation_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _install_beat_schedule(sender, **kwargs):
    from renovation_portal.schedules import BEAT_SCHEDULE

    sender.conf.beat_schedule = BEAT_SCHEDULE


@task_success.connect
def _record_scheduled_success(sender=None, **kwargs):
    """A scheduled task that succeeded is not owed again (see catch_up_missed_runs)."""
    from renovation_portal.tasks import record_success

    record_success(sender.name)
