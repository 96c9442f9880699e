"""Indexes for the register's search, filters and orders.

Substring search (`LIKE '%text%'` over holder names and licence numbers) is served on PostgreSQL by
trigram indexes (the pg_trgm extension, which the database owner may create: it is a trusted
extension since PostgreSQL 13); SQLite has no such index and scans, which at a register's size is
quick. The B-tree indexes serve both databases: reading the register in order of issue, the
"not yet in force" and "expired" standings, and counting the licences of one subtype.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TRIGRAM_COLUMNS = ("holder_name_folded", "number")


def upgrade():
    op.create_index("ix_licences_issued_on_id", "licences", ["issued_on", "id"])
    op.create_index("ix_licences_expires_on", "licences", ["expires_on"])
    op.create_index("ix_licences_subtype", "licences", ["subtype"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in TRIGRAM_COLUMNS:
            op.create_index(
                f"ix_licences_{column}_trgm",
                "licences",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for column in TRIGRAM_COLUMNS:
            op.drop_index(f"ix_licences_{column}_trgm", table_name="licences")
        # the extension stays: other databases' objects on this server may use it, and it holds
        # no data of ours
    op.drop_index("ix_licences_subtype", table_name="licences")
    op.drop_index("ix_licences_expires_on", table_name="licences")
    op.drop_index("ix_licences_issued_on_id", table_name="licences")
