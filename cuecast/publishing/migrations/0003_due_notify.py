"""PostgreSQL: wake idle workers when a target becomes due soon (cuecast/publishing/wakeup.py).

Statement-level triggers with transition tables: one check per statement, however many rows it
touched, so bulk inserts and the claim's bulk updates stay cheap. Nothing on SQLite, which polls.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION cuecast_notify_due() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM changed_rows
        WHERE state = 'scheduled' AND next_attempt_at <= now() + interval '1 minute'
    ) THEN
        PERFORM pg_notify('cuecast_due', '');
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
"""

TRIGGERS = """
CREATE TRIGGER posts_target_due_on_insert AFTER INSERT ON posts_target
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cuecast_notify_due();
CREATE TRIGGER posts_target_due_on_update AFTER UPDATE ON posts_target
    REFERENCING NEW TABLE AS changed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cuecast_notify_due();
"""

DROP = """
DROP TRIGGER IF EXISTS posts_target_due_on_insert ON posts_target;
DROP TRIGGER IF EXISTS posts_target_due_on_update ON posts_target;
DROP FUNCTION IF EXISTS cuecast_notify_due();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(TRIGGERS)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0002_rate_budgets"),
        ("posts", "0003_hold_network"),
    ]

    operations = [migrations.RunPython(create, drop)]
