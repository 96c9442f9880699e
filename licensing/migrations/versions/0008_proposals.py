"""Four eyes: proposals of grave status changes, waiting for a second officer.

A proposal is not an event: it lives in its own table, and only the change an approval carries
out is appended to the trail (with who proposed and who approved it in its data).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from licensing.models import UTCDateTime

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("licence", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("licence_version", sa.Integer(), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposer_token_id", sa.Integer(), nullable=True),
        sa.Column("proposer_user_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected', 'withdrawn', 'expired', 'stale')",
            name=op.f("ck_proposals_state"),
        ),
        sa.CheckConstraint(
            "(proposer_token_id IS NULL) != (proposer_user_id IS NULL)",
            name=op.f("ck_proposals_one_proposer"),
        ),
        sa.ForeignKeyConstraint(
            ["licence"], ["licences.number"], name=op.f("fk_proposals_licence_licences")
        ),
        sa.ForeignKeyConstraint(
            ["proposer_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_proposals_proposer_token_id_api_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_user_id"], ["users.id"], name=op.f("fk_proposals_proposer_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_licence", "proposals", ["licence"])
    op.create_index("ix_proposals_state", "proposals", ["state"])


def downgrade():
    op.drop_index("ix_proposals_state", table_name="proposals")
    op.drop_index("ix_proposals_licence", table_name="proposals")
    op.drop_table("proposals")
