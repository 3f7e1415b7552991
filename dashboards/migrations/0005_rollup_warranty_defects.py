"""The contractor scorecard's warranty defects (aftercare patrols) are rolled up: reinstall the triggers and recount."""

from django.db import migrations


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


class Migration(migrations.Migration):
    dependencies = [("dashboards", "0004_rollup_more_figures"), ("inspections", "0007_checklist_kind_patrol_issues")]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop)]
