"""``python manage.py generate_data --scale district|city|province|nation``: synthetic data for benchmarks.

Places first (communities.generate), then every installed app that has a ``generate`` module, in INSTALLED_APPS
order (found by name, like the admin's admin.py: this layer imports no app), then each module's ``generate_after``
if it has one. Rows are
streamed to PostgreSQL with COPY in chunks, so memory stays bounded; progress is printed as it goes.

``--open-issues N`` then tops the rectification issues up until N are unclosed (the reminder sweep's benchmark
needs more than the generated regime leaves open; the ``generate`` module that has ``top_up_open_issues`` does
it); given without ``--scale`` it tops up an already generated database and generates nothing else. Run again, it
adds only what is missing.

``--rollups-after``: an app's ``generate`` module may have ``pause(ctx)`` and ``resume(ctx)``, called before the
first app generates and after the last (even when one fails). The dashboards' drop their triggers and count every
rollup once at the end, instead of every COPY and UPDATE paying the triggers (nation scale: minutes, not most of
an hour). Without it the generated rows go through the triggers as users' writes do (the rollup tests need that).
"""

import argparse
import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import module_has_submodule

SCALES = {"district": 1, "city": 10, "province": 60, "nation": 344}  # districts of ≈640 compounds


def generators() -> list[tuple[str, object]]:
    """(app label, its ``generate`` module) of every installed app that has one, in INSTALLED_APPS order."""
    return [
        (config.label, importlib.import_module(f"{config.name}.generate"))
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "generate")
    ]


class Context:
    def __init__(
        self,
        command,
        scale: str,
        seed: int,
        districts: int | None = None,
        compounds_per_community: tuple[int, int] | None = None,
    ):
        self.command, self.scale, self.seed = command, scale, seed
        self.districts = districts or SCALES[scale]
        self.compounds_per_community = compounds_per_community
        self.run = int(time.time()) % 100000  # codes of one run differ from another's
        self.started = time.monotonic()

    def say(self, message: str) -> None:
        self.command.stdout.write(f"[{time.monotonic() - self.started:7.1f}s] {message}")
        self.command.stdout.flush()

    def progress(self, what: str, total: int):
        step = max(1, total // 10)
        last = [0]

        def report(done: int) -> None:
            if done - last[0] >= step or done == total:
                last[0] = done
                self.say(f"  {what}: {done:,}/{total:,}")

        return report


class Command(BaseCommand):
    help = "Generate synthetic data at district, city, province or nation scale (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=SCALES, default=None, help="district unless only --open-issues is given")
        parser.add_argument(
            "--open-issues",
            type=int,
            default=None,
            metavar="N",
            help="then add rectification issues until N are unclosed; alone: top up the data already in the database",
        )
        parser.add_argument(
            "--rollups-after",
            action="store_true",
            help="keep no rollup while generating; count them all once at the end (much faster at scale)",
        )
        parser.add_argument("--seed", type=int, default=637)
        # For tests: a smaller tree with the same proportions below the compound.
        parser.add_argument("--districts", type=int, default=None, help=argparse.SUPPRESS)
        parser.add_argument("--compounds-per-community", type=int, default=None, help=argparse.SUPPRESS)

    def handle(self, *args, scale, seed, districts=None, compounds_per_community=None, open_issues=None, **options):
        scale_given = scale is not None
        scale = scale or "district"
        per = (compounds_per_community, compounds_per_community) if compounds_per_community else None
        ctx = Context(self, scale, seed, districts=districts, compounds_per_community=per)
        paused = (
            [module for _app, module in generators() if hasattr(module, "pause")] if options["rollups_after"] else []
        )
        for module in paused:
            module.pause(ctx)
        try:
            self.generate(ctx, scale_given or open_issues is None, open_issues)
        finally:
            for module in paused:
                module.resume(ctx)
        ctx.say("analyzing tables")
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        ctx.say(self.style.SUCCESS("done"))

    def generate(self, ctx, fresh: bool, open_issues: int | None) -> None:
        """Every app's rows (``fresh``), then the top-up of unclosed issues."""
        scale = ctx.scale
        if fresh:
            ctx.say(f"generating {scale} scale ({ctx.districts} districts)")
            for app, module in generators():
                if hasattr(module, "generate"):
                    ctx.say(f"{app} …")
                    module.generate(ctx)
            # A second pass for an app whose rows refer to rows of apps generated after it (planning: its plan items
            # name the projects; it comes before projects in INSTALLED_APPS so that the demo creates projects from
            # plans).
            for app, module in generators():
                if hasattr(module, "generate_after"):
                    ctx.say(f"{app} (after the others) …")
                    module.generate_after(ctx)
        if open_issues is not None:
            ctx.say(f"topping up to {open_issues:,} unclosed rectification issues …")
            for _app, module in generators():
                if hasattr(module, "top_up_open_issues"):
                    module.top_up_open_issues(ctx, open_issues)
