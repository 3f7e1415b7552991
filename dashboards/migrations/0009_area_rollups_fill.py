"""The cities', provinces' and contractors' rollups (``dashboards/areas.py``): the triggers on the districts'
rollups that keep them, and a recount of every rollup."""

from django.db import migrations


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


def drop_area_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import areas

    with schema_editor.connection.cursor() as cursor:
        for sql in areas.uninstall_sql():
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("dashboards", "0008_area_rollups"),
    ]

    operations = [
        migrations.RunPython(reinstall, drop_area_triggers),
    ]
