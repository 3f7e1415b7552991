"""``manage.py verify_rollups [--fix]``: compare the dashboards' rollups with a recount of the source tables."""

from django.core.management.base import BaseCommand, CommandError

from dashboards import rollups


class Command(BaseCommand):
    help = (
        "Recount every dashboard figure from the source tables and compare it with the rollups; print each "
        "difference and exit with status 1 if there is any (--fix: then rebuild them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="rebuild the rollups when they differ")
        parser.add_argument("--limit", type=int, default=100, help="differences printed at most")

    def handle(self, *args, fix=False, limit=100, **options):
        if not rollups.enabled():
            raise CommandError("The rollups are kept on PostgreSQL only (on SQLite the dashboards count live).")
        found = rollups.differences(limit=limit)
        for row in found:
            kind, *keys, kept, recounted = row
            self.stdout.write(f"{kind} {' '.join(str(k) for k in keys)}: kept {kept}, recounted {recounted}")
        if not found:
            self.stdout.write(self.style.SUCCESS("The rollups equal a recount."))
            return
        self.stdout.write(
            self.style.WARNING(f"{len(found)} difference(s){' (or more)' if len(found) >= limit else ''}.")
        )
        if fix:
            rollups.rebuild()
            self.stdout.write(self.style.SUCCESS("Rebuilt."))
            return
        raise SystemExit(1)
