"""Settings come from the environment; Celery is configured safely."""

import os
import subprocess
import sys
from pathlib import Path

from renovation_portal.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _django_check(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "DEBUG", "SECRET_KEY"}}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "renovation_portal.settings"
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                          capture_output=True, text=True)


def test_production_without_secret_key_refuses_to_start():
    result = _django_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_weak_secret_key_refuses_to_start():
    result = _django_check(DEBUG="0", SECRET_KEY="short")
    assert result.returncode != 0 and "too short" in result.stderr


def test_celery_is_json_only_and_acks_late():
    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.task_time_limit and conf.task_soft_time_limit < conf.task_time_limit
    assert conf.timezone == "Asia/Shanghai"


def test_beat_schedule_is_defined_in_one_place():
    from renovation_portal.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()  # the tasks modules, as a worker imports them at start
    app.finalize()
    assert app.conf.beat_schedule == BEAT_SCHEDULE
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks, entry["task"]


def test_readme_lists_every_scheduled_task():
    from pathlib import Path

    from renovation_portal.schedules import BEAT_SCHEDULE

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for entry in BEAT_SCHEDULE.values():
        assert f"| `{entry['task']}` |" in readme, entry["task"]


def test_postgresql_sessions_plan_without_memoize(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_memoize")
        assert cursor.fetchone()[0] == "off"  # see DATABASES in settings: page queries paid ≈ 3.5 ms for it
