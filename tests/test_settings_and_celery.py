"""Settings come from the environment; Celery is configured safely."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from renovation_portal.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _django_check(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "DEBUG", "SECRET_KEY"}}
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "renovation_portal.settings"
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


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
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"  # a province's governance figures spent 1.5 s of 1.7 s compiling


# --- static files as the production image serves them ---

PRODUCTION_STATIC_STORAGE = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """collectstatic into a temporary STATIC_ROOT with the production storage, as the Dockerfile runs it."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings

    root = tmp_path_factory.mktemp("staticfiles")
    storages = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC_STORAGE}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert (root / "staticfiles.json").is_file()
    return root


def _production_static(settings, root):
    settings.DEBUG = False
    settings.STATIC_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC_STORAGE}


def test_pages_render_with_the_production_static_files_storage(collected_static, client, settings, db):
    _production_static(settings, collected_static)
    response = client.get("/login/")
    assert response.status_code == 200
    hashed = re.findall(r'/static/(css/portal\.[0-9a-f]{12}\.css)"', response.content.decode())
    assert hashed and (collected_static / hashed[0]).is_file()
    assert client.get("/api/docs/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["static"]["url"] == f"/static/{hashed[0]}"


def test_healthz_fails_when_the_static_files_manifest_is_missing(client, settings, db, tmp_path):
    """Collected with DEBUG on (as the image once was), there is no manifest: every page fails; so must /healthz."""
    _production_static(settings, tmp_path)
    client.raise_request_exception = False
    assert client.get("/login/").status_code == 500
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error" and response.json()["static"] == {"ok": False, "error": "ValueError"}


def test_the_dockerfile_collects_static_files_as_production_serves_them():
    dockerfile = (ROOT / "Dockerfile").read_text()
    collect = next(line for line in dockerfile.replace("\\\n", " ").splitlines() if "collectstatic" in line)
    assert "DEBUG=0" in collect and "SECRET_KEY=" in collect and "DEBUG=1" not in dockerfile
    assert "staticfiles.json" in collect  # the build fails without a manifest
