"""The Notification model moves from the inspections app to this one, with every row.

The table already exists (inspections 0001/0002 created it, also on a fresh database): this migration adds the
model to this app's state only, under the old table name, then renames the table. Its index and constraint names
are the model's own (``notification_once_per_subject_and_period`` — the unique index behind the claims'
``ON CONFLICT (recipient_id, kind, subject_key, period_key)`` — ``notification_unread``, ``notification_unsent``),
not derived from the table name, so they carry over unchanged; PostgreSQL keeps the primary key's, the foreign
key's and the id sequence's old generated names, which nothing looks up by name. The content type is renamed as
well, so permissions and the audit trail's entries keep pointing at the model. inspections 0003 then drops the
model from the inspections state only."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import notifications.kinds

OLD_TABLE = "inspections_notification"


def _move_content_type(apps, schema_editor, old, new):
    from django.contrib.contenttypes.models import ContentType as CurrentContentType

    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if not types.filter(app_label=new, model="notification").exists():
        types.filter(app_label=old, model="notification").update(app_label=new)
    CurrentContentType.objects.clear_cache()


def content_type_forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "inspections", "notifications")


def content_type_backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "notifications", "inspections")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('inspections', '0002_notification_outbox_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Notification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=notifications.kinds.kind_choices, max_length=20, verbose_name='kind')),
                        ('subject_key', models.CharField(max_length=60, verbose_name='subject')),
                        ('period_key', models.CharField(max_length=20, verbose_name='period')),
                        ('title', models.CharField(max_length=200, verbose_name='title')),
                        ('body', models.TextField(blank=True, verbose_name='message')),
                        ('url', models.CharField(blank=True, max_length=300, verbose_name='link')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='created at')),
                        ('emailed_at', models.DateTimeField(blank=True, null=True, verbose_name='e-mailed at')),
                        ('read_at', models.DateTimeField(blank=True, null=True, verbose_name='read at')),
                        ('recipient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL, verbose_name='recipient')),
                    ],
                    options={
                        'verbose_name': 'notification',
                        'verbose_name_plural': 'notifications',
                        'ordering': ['-created_at', '-id'],
                        'db_table': OLD_TABLE,
                        'indexes': [
                            models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient', '-created_at'], name='notification_unread'),
                            models.Index(condition=models.Q(('emailed_at__isnull', True)), fields=['id'], name='notification_unsent'),
                        ],
                        'constraints': [
                            models.UniqueConstraint(fields=('recipient', 'kind', 'subject_key', 'period_key'), name='notification_once_per_subject_and_period'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        # inspections_notification → notifications_notification (ALTER TABLE … RENAME, on PostgreSQL and SQLite).
        migrations.AlterModelTable(name='notification', table=None),
        migrations.RunPython(content_type_forwards, content_type_backwards),
    ]
