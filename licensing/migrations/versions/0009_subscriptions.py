"""Changes reach those who rely on them: the change feed's items, webhook subscriptions and their
delivery log.

`changes` holds, for each event that changed what the public sees, the change feed's item as it
is served (the public view after the change, computed by folding the licence's events with the
decider's `evolve`); it is written with each new event, in the same transaction, and built here
for the trail already written. `subscriptions` are the relying parties' endpoints with their
cursors; `deliveries` is a bounded log of the attempts.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 15:40:00.000000

"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from licensing.models import UTCDateTime
from licensing.services.changes import build_changes

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "changes",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("licence", sa.String(length=20), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("holder_bin", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("item", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"], ["audit_events.seq"], name=op.f("fk_changes_seq_audit_events")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_changes")),
    )
    op.create_index("ix_changes_licence_seq", "changes", ["licence", "seq"])
    op.create_index("ix_changes_region_seq", "changes", ["region", "seq"])
    op.create_index("ix_changes_holder_bin_seq", "changes", ["holder_bin", "seq"])
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("follows", sa.String(length=16), nullable=False),
        sa.Column("follows_value", sa.Text(), nullable=True),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("logged", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'failing', 'disabled')",
            name=op.f("ck_subscriptions_status"),
        ),
        sa.CheckConstraint(
            "follows IN ('licences', 'holder_bin', 'region', 'all')",
            name=op.f("ck_subscriptions_follows"),
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_subscriptions_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index("ix_subscriptions_token_id", "subscriptions", ["token_id"])
    op.create_index("ix_subscriptions_status", "subscriptions", ["status"])
    op.create_table(
        "deliveries",
        sa.Column("subscription_id", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("attempt", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_deliveries_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("subscription_id", "slot", name=op.f("pk_deliveries")),
    )
    build_changes(op.get_bind(), current_app.config["LICENSING_POLICY"])


def downgrade():
    op.drop_table("deliveries")
    op.drop_index("ix_subscriptions_status", table_name="subscriptions")
    op.drop_index("ix_subscriptions_token_id", table_name="subscriptions")
    op.drop_table("subscriptions")
    op.drop_index("ix_changes_holder_bin_seq", table_name="changes")
    op.drop_index("ix_changes_region_seq", table_name="changes")
    op.drop_index("ix_changes_licence_seq", table_name="changes")
    op.drop_table("changes")
