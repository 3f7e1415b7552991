"""The rectification time is summed in whole seconds: reinstall the triggers and recount what is there."""

from django.db import migrations


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0002_rollup_triggers")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
