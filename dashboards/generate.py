"""``generate_data --rollups-after``: no trigger while the rows are generated, every rollup counted once after."""

import time

from dashboards import rollups


def pause(ctx) -> None:
    if rollups.enabled():
        ctx.say("dashboards: triggers dropped until the end")
        rollups.uninstall()


def resume(ctx) -> None:
    if rollups.enabled():
        started = time.monotonic()
        rollups.install()
        rollups.rebuild()
        ctx.say(f"dashboards: triggers installed, every rollup counted ({time.monotonic() - started:.1f} s)")
