"""The rollups' triggers (PostgreSQL only: on SQLite the dashboards compute live) and the backfill of the figures
of every place from the data already there."""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.uninstall()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0001_rollups"),
        ("inspections", "0005_group_name_unique_in_district"),
        ("projects", "0005_merge_funding_awards"),
        ("communities", "0012_merge_city_province"),
        ("consultations", "0007_merge_meetings_and_resident_reports"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
        # The meetings still to come (the dashboards' "held" is every meeting but these): a range of this index.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS dashboards_meeting_held_at ON consultations_meeting (held_at)",
            "DROP INDEX IF EXISTS dashboards_meeting_held_at",
        ),
    ]
