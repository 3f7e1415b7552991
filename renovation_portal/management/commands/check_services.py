"""Stop early, with instructions, when PostgreSQL or Redis is not reachable (``make test`` runs this first)."""

import sys

import psycopg2
import redis
from django.conf import settings
from django.core.management.base import BaseCommand

HOW_TO_START = (
    "Start them with:  docker compose up -d db redis\n"
    "  (or on a Debian machine: pg_ctlcluster 15 main start; redis-server --daemonize yes)"
)


class Command(BaseCommand):
    help = "Check that the PostgreSQL database and the Redis broker in the settings answer."

    def handle(self, *args, **options):
        problems = []
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            problems.append(f"DATABASE_URL does not point at PostgreSQL (engine {db['ENGINE']}).")
        else:
            try:
                psycopg2.connect(
                    host=db["HOST"] or "127.0.0.1",
                    port=db["PORT"] or 5432,
                    user=db["USER"],
                    password=db["PASSWORD"] or None,
                    dbname="postgres",
                    connect_timeout=3,
                ).close()
            except psycopg2.OperationalError as error:
                problems.append(f"PostgreSQL at {db['HOST']}:{db['PORT']} is unreachable: {str(error).strip()}")
        if not settings.REDIS_URL:
            problems.append("REDIS_URL is not set.")
        else:
            try:
                redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
            except redis.RedisError as error:
                problems.append(f"Redis at {settings.REDIS_URL} is unreachable: {error}")
        if problems:
            for problem in problems:
                self.stderr.write(self.style.ERROR(problem))
            self.stderr.write(HOW_TO_START)
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("PostgreSQL and Redis are reachable."))
