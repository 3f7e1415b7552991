"""The demo served as production serves it, for the benchmarks that measure pages (page_weight.py, slow_network.py).

``build_demo`` builds the demo in a directory (SQLite, ``migrate`` + ``load_demo``: the data of ``make demo``) and
collects the static files as production does (WhiteNoise's compressed manifest storage writes a ``.gz`` next to
each file); ``serve`` runs it under gunicorn with production settings (DEBUG off, compression on);
``demo_portal`` does both in a temporary directory and stops the server on the way out.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROLES = ["district", "subdistrict", "secretary", "contractor", "inspector"]
DEMO_PASSWORD = "Siming-demo-2026"
PUBLIC_START = "/public/compounds/XH-JMHY/"


def free_port() -> int:
    """A port nothing listens on now, so that two benchmarks can serve the demo side by side."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def build_demo(workdir: Path) -> dict:
    """The demo data and the collected static files, as production serves them; the environment to serve it."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'demo.sqlite3'}",
        "DEBUG": "0",
        "HTTPS_ONLY": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "REDIS_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "renovation_portal.settings",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("PORTAL_TESTING", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "--no-input", "-v", "0"], ["load_demo"], ["collectstatic", "--no-input", "-v", "0"]):
        done = subprocess.run(manage + command, env=env, cwd=ROOT, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"manage.py {command[0]} failed:\n{done.stderr[-3000:]}")
    return env


def serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = subprocess.Popen(
        [gunicorn, "renovation_portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--log-level", "warning"],
        env=env,
        cwd=ROOT,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start")


@contextmanager
def demo_portal(port: int, base: str | None = None) -> Iterator[str]:
    """The base URL of a portal to measure: ``base`` when given (a running portal, e.g. ``make demo``), else the
    demo built in a temporary directory and served on ``port`` until the block ends."""
    if base:
        yield base.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as workdir:
        print("Building the demo and collecting the static files…", file=sys.stderr)
        server = serve(build_demo(Path(workdir)), port, Path(workdir) / "gunicorn.log")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)
