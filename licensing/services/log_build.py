"""The Merkle tree of a trail written without it (the migration that brings the tree in, and trails
loaded in bulk): a row for every event, and the frontier kept with the chain head. Plain SQL on
the tables as migration 0006 made them, so the migration means the same whatever comes later."""

from __future__ import annotations

from sqlalchemy import Connection, text

from licensing.domain import merkle

BATCH = 50_000  # events read and rows written at a time

_READ = text("SELECT hash FROM audit_events WHERE seq > :after ORDER BY seq LIMIT :n")
_INSERT = text("INSERT INTO log_nodes (leaf, hashes) VALUES (:leaf, :hashes)")


def build_tree(connection: Connection) -> int:
    """Append every event not yet in the tree to it, oldest first, in the caller's transaction,
    and keep the frontier with the head; returns the tree's size. Run again, it carries on from
    where the tree ends."""
    size = connection.execute(text("SELECT count(*) FROM log_nodes")).scalar_one()
    stored = connection.execute(text("SELECT tree FROM audit_head")).scalar_one()
    frontier = merkle.split(bytes(stored or b"")) if size else []
    postgresql = connection.dialect.name == "postgresql"
    while hashes := connection.execute(_READ, {"after": size, "n": BATCH}).scalars().all():
        rows = []
        for hash_ in hashes:
            frontier, completed = merkle.append(frontier, size, bytes.fromhex(hash_))
            rows.append((size, completed))
            size += 1
        if postgresql:  # COPY: the rows of a million events in seconds
            raw = connection.connection.driver_connection
            with raw.cursor().copy("COPY log_nodes (leaf, hashes) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        else:
            connection.execute(_INSERT, [{"leaf": leaf, "hashes": h} for leaf, h in rows])
    connection.execute(text("UPDATE audit_head SET tree = :tree"), {"tree": merkle.join(frontier)})
    return size
