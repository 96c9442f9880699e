"""The registry as it wrote before the Merkle tree, for one measurement only: the baseline of "a
write with the tree at least 0.9 of a write without it". Its appends chain the event and move
the head exactly as the registry's do, minus the tree's row and frontier; everything else is the
registry itself.

    gunicorn -c gunicorn.conf.py bench.without_tree:app
"""

from __future__ import annotations

from typing import Any

from licensing.domain.decider import LicenceEvent, instant, sealed
from licensing.services import events
from licensing.services.context import Context
from licensing.services.transaction import Write


def append(write: Write, ctx: Context, event: LicenceEvent) -> dict[str, Any]:
    head = write.head
    record = sealed(
        event,
        seq=head.seq + 1,
        prev=head.hash,
        actor=ctx.actor.name,
        role=ctx.actor.role,
        request_id=ctx.request_id,
    )
    write.insert(events._TABLE, events.columns(record))
    head.seq, head.hash, head.at = record["seq"], record["hash"], instant(event.at)
    write.actions.append(event.action)
    return record


events.append = append  # type: ignore[assignment]

from wsgi import app  # noqa: E402  (the registry, once its appends are the baseline's)

__all__ = ["app"]
