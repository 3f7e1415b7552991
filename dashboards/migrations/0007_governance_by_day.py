"""The governance row rolled up by day (``PlaceDay``, ``dashboards/daily.py``): new table, triggers on the governance
records, problems, spaces and compounds, and a recount of what is there."""

from django.db import migrations, models


def reinstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboards import rollups

    rollups.install()
    rollups.rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0006_rollup_patrol_findings_apart'),
        ('communities', '0012_merge_city_province'),
        ('consultations', '0007_merge_meetings_and_resident_reports'),
        ('aftercare', '0004_merge_0003_patrols_0003_space_kind_culture'),
    ]

    operations = [
        migrations.CreateModel(
            name='PlaceDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('district_id', models.IntegerField()),
                ('subdistrict_id', models.IntegerField(default=0, help_text="0: the whole district's figure")),
                ('figure', models.CharField(max_length=40)),
                ('key', models.CharField(blank=True, max_length=80)),
                ('day', models.DateField()),
                ('value', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('district_id', 'subdistrict_id', 'figure', 'key', 'day'), name='place_day_unique')],
            },
        ),
        migrations.RunPython(reinstall, migrations.RunPython.noop),
    ]
