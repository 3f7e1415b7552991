"""More figures rolled up: the median time to answer a resident's problem, this week's unannounced rounds, hooked
leaders and the latest mid-term evaluations (new triggers on inspections and on projects' leader links).
Reinstall the triggers and recount what is there."""

from django.db import migrations


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0003_rectify_whole_seconds")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
