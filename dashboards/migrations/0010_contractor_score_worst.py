import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0009_area_rollups_fill'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='contractorscore',
            index=models.Index(models.F('level'), models.F('area_id'), models.OrderBy(django.db.models.expressions.CombinedExpression(models.F('overdue'), '+', models.F('repeats')), descending=True), name='contractor_score_worst'),
        ),
    ]
