"""Deliveries woken by the changes, and test deliveries queued for the delivery process.

On PostgreSQL a statement trigger on `changes` notifies the channel `licensing_changes` whenever
change feed items are written; NOTIFY is sent at commit, so a delivery process listening on it
starts a round the moment a change can be read, instead of at its next look. `subscriptions.test_id`
holds the webhook-id of a test delivery asked for through the API, until the delivery process
sends it (the web worker no longer calls the endpoint itself).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NOTIFY = (
    """CREATE FUNCTION changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('licensing_changes', ''); RETURN NULL; END $$""",
    """CREATE TRIGGER changes_notify AFTER INSERT ON changes
    FOR EACH STATEMENT EXECUTE FUNCTION changes_notify()""",
)


def upgrade():
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("test_id", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in NOTIFY:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS changes_notify ON changes")
        op.execute("DROP FUNCTION IF EXISTS changes_notify()")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("test_id")
