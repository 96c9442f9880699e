"""Signing keys: the public halves of the keys checkpoints are signed with, retired ones kept.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:01:41.877514

"""

import sqlalchemy as sa
from alembic import op

import licensing.models

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", licensing.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", licensing.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )


def downgrade():
    op.drop_table("signing_keys")
