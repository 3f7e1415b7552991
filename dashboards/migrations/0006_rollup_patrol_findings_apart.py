"""An aftercare patrol's findings no longer count in the three-tier inspection figures (issues by tier and state,
time to rectify, the scorecard's issues and repeats, the places' open and overdue issues): they have their own
(``patrol.*``). Reinstall the triggers (the issues' origin is a counted column now) and recount."""

from django.db import migrations


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0005_rollup_warranty_defects")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
