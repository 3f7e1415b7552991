"""The Notification model now lives in the notifications app (its 0001 took over the table and its rows): the
inspections state forgets it, and the database is not touched."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('inspections', '0002_notification_outbox_index'),
        ('notifications', '0001_move_notification_from_inspections'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Notification')],
            database_operations=[],
        ),
    ]
