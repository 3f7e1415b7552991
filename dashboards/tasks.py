"""The dashboards' scheduled work (beat: ``renovation_portal/schedules.py``)."""

from celery import shared_task

from dashboards import rollups


@shared_task(name="dashboards.roll_rollup_clock")
def roll_rollup_clock() -> int:
    """Just after midnight: move the stored "overdue" and "behind schedule" figures to the new day."""
    return rollups.roll_clock() if rollups.enabled() else 0
