"""The audit trail's actions are the lifecycle machine's: no list of them in the schema.

The table's CHECK on `action` named the five actions of 2026; a new action of the machine would
have needed a migration to be recorded at all. What an action may be is the machine's to say: the
write path records only what `decide` returns, and `audit verify` refuses an event whose action
the register does not know. SQLite cannot drop a constraint in place, so the table is rebuilt
there (its rows copied as they are) and its append-only triggers made again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 10:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The same triggers as 0001's: dropping the old table on SQLite drops them with it.
SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
]
ACTIONS_OF_2026 = "action IN ('issue', 'suspend', 'resume', 'revoke', 'amend')"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f("ck_audit_events_action"), "audit_events", type_="check")
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_audit_events_action"), type_="check")
    for statement in SQLITE_APPEND_ONLY:
        op.execute(statement)


def downgrade():
    # only a trail that holds none but the five actions of 2026 can go back
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(op.f("ck_audit_events_action"), "audit_events", ACTIONS_OF_2026)
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch_op:
        batch_op.create_check_constraint(op.f("ck_audit_events_action"), ACTIONS_OF_2026)
    for statement in SQLITE_APPEND_ONLY:
        op.execute(statement)
