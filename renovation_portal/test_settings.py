"""Settings for the test suite: the real settings, marked as testing before they are read."""

import os

os.environ["PORTAL_TESTING"] = "1"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/renovation_portal")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

# pytest-xdist (`make test` runs the suite on every core): each worker ("gw0", "gw1", …) has its own test database
# (pytest-django suffixes the name), and here its own Redis database (15, 14, …) and media folder, so that one
# worker's cache.clear() or queued task never reaches another's.
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if XDIST_WORKER:
    _server, _, _db = os.environ["REDIS_URL"].rpartition("/")
    os.environ["REDIS_URL"] = f"{_server}/{int(_db or 0) - XDIST_WORKER}"

from renovation_portal.settings import *  # noqa: E402,F401,F403
from renovation_portal.settings import REST_FRAMEWORK  # noqa: E402

# Fast hashing: the suite creates many users; production keeps the default PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", "/tmp/renovation-portal-test-media") + (
    f"-{XDIST_WORKER}" if XDIST_WORKER else ""
)
# Throttles are tested on purpose where they matter; elsewhere they would make the suite flaky.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000/hour", "login": "1000/minute"}}
# Tasks run in-process unless a test starts a real worker (the reminder tests do, against real Redis).
CELERY_TASK_ALWAYS_EAGER = True
# The replica is the primary's test mirror (the same test database, its own connection), always present, so that
# the read-routing tests can switch reads to it (override_settings(READ_REPLICA="replica"), transactional tests:
# the mirror's connection sees only committed rows). Off by default: the rest of the suite runs as without a replica.
DATABASES = {**DATABASES, "replica": {**DATABASES["default"], "TEST": {"MIRROR": "default"}}}  # noqa: F405
READ_REPLICA = ""
