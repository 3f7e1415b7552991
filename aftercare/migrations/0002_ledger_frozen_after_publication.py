from django.db import migrations

# A published quarter of a compound's income ledger is frozen: PostgreSQL itself refuses to add, change or delete
# an entry dated in it, and to change or delete the publication (a correction is a new entry in an open quarter).
# TRUNCATE (test-database flushes) is not a row operation and is not refused. The entries' (record, entry_date)
# index and the publication's unique (record, year, quarter) serve the lookups.
FREEZE = """
CREATE OR REPLACE FUNCTION portal_ledger_entry_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM aftercare_ledgerquarter q
        WHERE q.record_id = OLD.record_id AND q.starts_on = date_trunc('quarter', OLD.entry_date)::date
    ) THEN
        RAISE EXCEPTION 'ledger entry % is in a published quarter; record a correction as a new entry', OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM aftercare_ledgerquarter q
        WHERE q.record_id = NEW.record_id AND q.starts_on = date_trunc('quarter', NEW.entry_date)::date
    ) THEN
        RAISE EXCEPTION 'the quarter of % is published; record a correction dated in an open quarter', NEW.entry_date;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS portal_ledger_entry_frozen ON aftercare_ledgerentry;
CREATE TRIGGER portal_ledger_entry_frozen BEFORE INSERT OR UPDATE OR DELETE ON aftercare_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION portal_ledger_entry_frozen();

CREATE OR REPLACE FUNCTION portal_ledger_quarter_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'a published ledger quarter is frozen';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS portal_ledger_quarter_frozen ON aftercare_ledgerquarter;
CREATE TRIGGER portal_ledger_quarter_frozen BEFORE UPDATE OR DELETE ON aftercare_ledgerquarter
    FOR EACH ROW EXECUTE FUNCTION portal_ledger_quarter_frozen();
"""
THAW = """
DROP TRIGGER IF EXISTS portal_ledger_entry_frozen ON aftercare_ledgerentry;
DROP FUNCTION IF EXISTS portal_ledger_entry_frozen();
DROP TRIGGER IF EXISTS portal_ledger_quarter_frozen ON aftercare_ledgerquarter;
DROP FUNCTION IF EXISTS portal_ledger_quarter_frozen();
"""


def freeze(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FREEZE, params=None)


def thaw(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(THAW, params=None)


class Migration(migrations.Migration):
    dependencies = [("aftercare", "0001_aftercare_records")]

    operations = [migrations.RunPython(freeze, thaw)]
