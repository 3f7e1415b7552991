"""Every scheduled task of the portal, in one place (Celery beat reads this; the README lists it).

Times are Beijing time (CELERY_TIMEZONE). Each entry names the task by its dotted path so this module
imports no app code.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "healthz-broker-heartbeat": {
        # Proves the worker and broker are alive: /healthz shows the last heartbeat's age.
        "task": "renovation_portal.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
}
