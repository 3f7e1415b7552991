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
    "purge-idempotency-keys": {
        # API retries are answered from stored responses for 48 hours; older keys are forgotten.
        "task": "renovation_portal.tasks.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=30),
    },
}
