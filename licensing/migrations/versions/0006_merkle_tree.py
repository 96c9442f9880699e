"""The trail as a Merkle tree: a row of hashes per event, the tree's frontier with the head, and
the witnesses' cosignatures of its checkpoints.

Every event is a leaf of an RFC 6962 tree (see licensing/domain/merkle.py). Each event's row in
`log_nodes` holds the hashes of the perfect subtrees it completes, so a checkpoint, a proof or a
tile is a few rows read, whatever the size; the head keeps the frontier, so an append reads
nothing more than it does today. The tree of the trail already written is built here; like the
trail, its rows can be neither changed nor removed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

from licensing.models import UTCDateTime
from licensing.services.log_build import build_tree

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY = {
    "sqlite": [
        """CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes
           BEGIN SELECT RAISE(ABORT, 'log_nodes is append-only: UPDATE refused'); END""",
        """CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes
           BEGIN SELECT RAISE(ABORT, 'log_nodes is append-only: DELETE refused'); END""",
    ],
    "postgresql": [
        """CREATE FUNCTION log_nodes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
               RAISE EXCEPTION 'log_nodes is append-only: % refused', TG_OP;
           END $$""",
        """CREATE TRIGGER log_nodes_append_only BEFORE UPDATE OR DELETE ON log_nodes
           FOR EACH ROW EXECUTE FUNCTION log_nodes_refuse_change()""",
        """CREATE TRIGGER log_nodes_no_truncate BEFORE TRUNCATE ON log_nodes
           FOR EACH STATEMENT EXECUTE FUNCTION log_nodes_refuse_change()""",
    ],
}


def upgrade():
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.add_column(sa.Column("tree", sa.LargeBinary(), nullable=False, server_default=""))
    op.create_table(
        "log_nodes",
        sa.Column(
            "leaf",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("leaf >= 0", name=op.f("ck_log_nodes_leaf_not_negative")),
        sa.PrimaryKeyConstraint("leaf", name=op.f("pk_log_nodes")),
    )
    op.create_table(
        "log_cosignatures",
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("signed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("witness", "size", name=op.f("pk_log_cosignatures")),
    )
    op.create_index("ix_log_cosignatures_size", "log_cosignatures", ["size"])
    op.create_table(
        "log_witnesses",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("attempted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_log_witnesses")),
    )
    build_tree(op.get_bind())
    for statement in APPEND_ONLY[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS log_nodes_no_truncate ON log_nodes")
        op.execute("DROP TRIGGER IF EXISTS log_nodes_append_only ON log_nodes")
        op.execute("DROP FUNCTION IF EXISTS log_nodes_refuse_change()")
    op.drop_table("log_witnesses")
    op.drop_index("ix_log_cosignatures_size", table_name="log_cosignatures")
    op.drop_table("log_cosignatures")
    op.drop_table("log_nodes")
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("tree")
