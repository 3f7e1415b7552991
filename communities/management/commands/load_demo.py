"""Load the Siming District demo data: places and people first, then each app's own demo records."""

import importlib

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from communities.audit import audit_context


def demo_modules() -> list[tuple[str, object]]:
    """Each installed app may have a ``demo`` module with ``load(stdout)``; they run in INSTALLED_APPS order (later
    ones build on earlier ones; found by name, so that this app imports none above it). Loading twice changes
    nothing."""
    return [
        (config.label, importlib.import_module(f"{config.name}.demo"))
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "demo")
    ]


class Command(BaseCommand):
    help = "Load the Siming District demo data (idempotent) and print the demo users."

    def handle(self, *args, **options):
        credentials = []
        with transaction.atomic(), audit_context("command:load_demo"):
            for app, module in demo_modules():
                result = module.load(stdout=self.stdout) or {}
                credentials += result.get("credentials", [])
                self.stdout.write(f"  {app}: ok")
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Demo users (username / password — who):"))
        for username, password, name, title in credentials:
            self.stdout.write(f"  {username:<18} {password}   {name} · {title}")
