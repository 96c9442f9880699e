"""Users: people who sign in to the console, with a password and a second factor.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:55:00.000000

"""

import sqlalchemy as sa
from alembic import op

import licensing.models

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("setup_hash", sa.String(length=64), nullable=True),
        sa.Column("setup_expires_at", licensing.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", licensing.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("session_epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", licensing.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", licensing.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('regulator', 'auditor')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
        sa.UniqueConstraint("setup_hash", name=op.f("uq_users_setup_hash")),
    )
    # a console form's one-time key is a person's, as an API request's key is its token's
    with op.batch_alter_table("idempotency_records") as batch:
        batch.alter_column("token_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_idempotency_records_user_id_users"), "users", ["user_id"], ["id"]
        )
        batch.create_unique_constraint(
            batch.f("uq_idempotency_records_user_id"), ["user_id", "key"]
        )
        batch.create_check_constraint(
            batch.f("ck_idempotency_records_one_owner"), "(token_id IS NULL) != (user_id IS NULL)"
        )


def downgrade():
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_constraint(batch.f("ck_idempotency_records_one_owner"), type_="check")
        batch.drop_constraint(batch.f("uq_idempotency_records_user_id"), type_="unique")
        batch.drop_constraint(batch.f("fk_idempotency_records_user_id_users"), type_="foreignkey")
        batch.drop_column("user_id")
        batch.alter_column("token_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("users")
