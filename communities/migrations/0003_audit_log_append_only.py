"""Make the audit table append-only in PostgreSQL itself.

No UPDATE at all; a DELETE only from the purge command (which sets ``portal.audit_purge`` for its own
transaction) and only of rows older than the minimum retention of 180 days. SQLite (the demo) has no such
guard: there the portal simply offers no way to change the table.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_audit_log_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the audit log is append-only';
    END IF;
    IF coalesce(current_setting('portal.audit_purge', true), '') <> 'on'
       OR OLD.timestamp >= now() - interval '180 days' THEN
        RAISE EXCEPTION 'audit log rows are kept at least 180 days and removed only by purge_audit_log';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS portal_audit_log_guard ON auditlog_logentry;
CREATE TRIGGER portal_audit_log_guard BEFORE UPDATE OR DELETE ON auditlog_logentry
    FOR EACH ROW EXECUTE FUNCTION portal_audit_log_guard();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_audit_log_guard ON auditlog_logentry;
DROP FUNCTION IF EXISTS portal_audit_log_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0002_security_policy"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
