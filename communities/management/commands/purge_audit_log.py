"""Delete audit-log rows older than the retention period (AUDIT_RETENTION_DAYS, at least 180 days)."""

from datetime import timedelta

from auditlog.models import LogEntry
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone


class Command(BaseCommand):
    help = "Delete audit-log rows older than the retention period; never younger ones."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.AUDIT_RETENTION_DAYS,
            help="keep this many days (default AUDIT_RETENTION_DAYS; at least 180)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days < settings.AUDIT_MIN_RETENTION_DAYS:
            raise CommandError(
                f"Audit logs are kept at least {settings.AUDIT_MIN_RETENTION_DAYS} days; --days {days} is refused."
            )
        cutoff = timezone.now() - timedelta(days=days)
        old = LogEntry.objects.filter(timestamp__lt=cutoff)
        if dry_run:
            self.stdout.write(f"{old.count()} rows older than {cutoff:%Y-%m-%d %H:%M} would be deleted.")
            return
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:  # the table's trigger allows this transaction to delete
                    cursor.execute("SET LOCAL portal.audit_purge = 'on'")
            deleted, _ = old.delete()
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} audit-log rows older than {cutoff:%Y-%m-%d}."))
