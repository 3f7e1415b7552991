"""The cities', provinces' and contractors' rollups (``dashboards/areas.py``): the tables (the triggers that keep
them and their first count follow in 0009, once these tables' unique constraints exist)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0007_governance_by_day'),
    ]

    operations = [
        migrations.CreateModel(
            name='AreaDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(max_length=8)),
                ('area_id', models.IntegerField()),
                ('part', models.IntegerField(default=0)),
                ('figure', models.CharField(max_length=40)),
                ('key', models.CharField(blank=True, max_length=80)),
                ('day', models.DateField()),
                ('value', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'area_id', 'part', 'figure', 'key', 'day'), name='area_day_unique')],
            },
        ),
        migrations.CreateModel(
            name='AreaFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(max_length=8)),
                ('area_id', models.IntegerField()),
                ('part', models.IntegerField(default=0)),
                ('figure', models.CharField(max_length=40)),
                ('key', models.CharField(blank=True, max_length=80)),
                ('value', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'area_id', 'part', 'figure', 'key'), name='area_figure_unique')],
            },
        ),
        migrations.CreateModel(
            name='ContractorKind',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(max_length=8)),
                ('area_id', models.IntegerField()),
                ('contractor_id', models.BigIntegerField()),
                ('kind', models.CharField(max_length=40)),
                ('n', models.BigIntegerField(default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'area_id', 'contractor_id', 'kind'), name='contractor_kind_unique')],
            },
        ),
        migrations.CreateModel(
            name='ContractorScore',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.CharField(max_length=8)),
                ('area_id', models.IntegerField()),
                ('contractor_id', models.BigIntegerField()),
                ('issues', models.BigIntegerField(db_default=0)),
                ('closed', models.BigIntegerField(db_default=0)),
                ('on_time', models.BigIntegerField(db_default=0)),
                ('overdue', models.BigIntegerField(db_default=0)),
                ('warranty', models.BigIntegerField(db_default=0)),
                ('warranty_on_time', models.BigIntegerField(db_default=0)),
                ('projects', models.BigIntegerField(db_default=0)),
                ('behind', models.BigIntegerField(db_default=0)),
                ('slip_days', models.DecimalField(db_default=0, decimal_places=2, max_digits=20)),
                ('slip_n', models.BigIntegerField(db_default=0)),
                ('repeats', models.BigIntegerField(db_default=0)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('level', 'area_id', 'contractor_id'), name='contractor_score_unique')],
            },
        ),
    ]
