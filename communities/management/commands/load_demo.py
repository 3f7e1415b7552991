"""Load the Siming District demo data: places and people first, then each app's own demo records."""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

from communities.audit import audit_context

# Each app may have a ``demo`` module with ``load(stdout)``; they run in this order (later ones build on
# earlier ones). Loading twice changes nothing.
DEMO_APPS = ["communities", "projects", "consultations", "inspections"]


class Command(BaseCommand):
    help = "Load the Siming District demo data (idempotent) and print the demo users."

    def handle(self, *args, **options):
        credentials = []
        with transaction.atomic(), audit_context("command:load_demo"):
            for app in DEMO_APPS:
                try:
                    module = importlib.import_module(f"{app}.demo")
                except ModuleNotFoundError as error:
                    if error.name != f"{app}.demo":
                        raise
                    continue
                result = module.load(stdout=self.stdout) or {}
                credentials += result.get("credentials", [])
                self.stdout.write(f"  {app}: ok")
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo users (username / password — who):"))
        for username, password, name, title in credentials:
            self.stdout.write(f"  {username:<18} {password}   {name} · {title}")
