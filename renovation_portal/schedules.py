"""Every scheduled task of the portal, in one place (Celery beat reads this; the README lists it).

Times are Beijing time (CELERY_TIMEZONE). Each entry names the task by its dotted path so this module
imports no app code.

Beat sends each run once; a run sent while the broker was down is lost. So every entry but the heartbeat is also
caught up: the heartbeat (every 5 minutes) sends again a run that was due and has not succeeded since
(``CAUGHT_UP`` below; the record is ``renovation_portal.models.ScheduledRun``).
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "healthz-broker-heartbeat": {
        # Proves the worker and broker are alive: /healthz shows the last heartbeat's age.
        "task": "renovation_portal.tasks.heartbeat",
        "schedule": crontab(minute="*/5"),
    },
    "deliver-notifications": {
        # Every 5 minutes: events' notifications whose delivery could not be queued (broker down) or was lost.
        "task": "notifications.deliver_pending",
        "schedule": crontab(minute="*/5"),
    },
    "plan-weekly-rounds": {
        # Monday 06:00: the week's unannounced tier-2 inspection of every unfinished compound.
        "task": "inspections.plan_weekly_rounds",
        "schedule": crontab(hour=6, minute=0, day_of_week=1),
    },
    "remind-inspectors": {
        # 07:30 daily: inspectors, about inspections planned for today and tomorrow.
        "task": "inspections.remind_inspectors",
        "schedule": crontab(hour=7, minute=30),
    },
    "remind-contractors": {
        # 08:00 daily: contractors, about issues due within 48 hours and overdue ones.
        "task": "inspections.remind_contractors",
        "schedule": crontab(hour=8, minute=0),
    },
    "escalate-overdue": {
        # 08:30 daily: issues overdue past the grace period go one tier up, once.
        "task": "inspections.escalate_overdue",
        "schedule": crontab(hour=8, minute=30),
    },
    "remind-minutes": {
        # Every hour: secretaries, about meeting minutes unpublished 3 days after the meeting.
        "task": "consultations.remind_minutes",
        "schedule": crontab(minute=15),
    },
    "weekly-digest": {
        # Friday 17:00: district officials, the week in figures.
        "task": "inspections.weekly_digest",
        "schedule": crontab(hour=17, minute=0, day_of_week=5),
    },
    "roll-rollup-clock": {
        # 00:01 daily: the dashboards' stored "overdue" and "behind schedule" figures move to the new day (a late
        # run makes no figure wrong: a dashboard adds the days since; it only keeps that correction short).
        "task": "dashboards.roll_rollup_clock",
        "schedule": crontab(hour=0, minute=1),
    },
    "purge-idempotency-keys": {
        # API retries are answered from stored responses for 48 hours; older keys are forgotten. Photos uploaded for a
        # form that was never sent go too (kept 48 hours: the form's browser draft refers to them).
        "task": "renovation_portal.tasks.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=30),
    },
}

# The entries whose missed runs are sent again (renovation_portal.tasks.catch_up_missed_runs, from the heartbeat):
# all but those that run every few minutes anyway (the heartbeat itself, the delivery sweep: its next run does what
# a missed one would have). Each of their tasks is idempotent per period (a day, an ISO week, a meeting).
NOT_CAUGHT_UP = {"healthz-broker-heartbeat", "deliver-notifications"}
CAUGHT_UP: dict[str, dict] = {name: entry for name, entry in BEAT_SCHEDULE.items() if name not in NOT_CAUGHT_UP}
