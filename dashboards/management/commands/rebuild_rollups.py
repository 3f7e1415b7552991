"""``manage.py rebuild_rollups``: count every dashboard figure again from the source tables."""

import time

from django.core.management.base import BaseCommand, CommandError

from dashboards import rollups


class Command(BaseCommand):
    help = (
        "Install the rollups' triggers and count every dashboard figure again from the source tables (after a "
        "place moved, or a restore); writers wait meanwhile."
    )

    def handle(self, *args, **options):
        if not rollups.enabled():
            raise CommandError("The rollups are kept on PostgreSQL only (on SQLite the dashboards count live).")
        started = time.monotonic()
        rollups.install()
        rollups.rebuild()
        self.stdout.write(self.style.SUCCESS(f"Rollups rebuilt in {time.monotonic() - started:.1f} s."))
