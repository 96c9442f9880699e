"""The change feed: each event that changed what the public sees, in trail order, as the public
sees it. The trail is the outbox: an event's feed item is written in the same transaction as the
event (so no change can be recorded without its item, nor an item without its change), and any
reader may replay the feed from 0 at any time.

Amendments appear only when they change the public view (the holder's name, the region, the
subtype): an amendment of the site address or the capacity changes nothing a public reader sees,
and the feed says only what the public may know."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Table, bindparam, select, text
from sqlalchemy.orm import Session

from licensing.database import public_read_engine
from licensing.domain.decider import LicenceEvent, LicenceState, evolve
from licensing.domain.decisions import decision_from_data
from licensing.domain.policy import Policy
from licensing.domain.timestamps import format_utc, parse_utc
from licensing.fastpaths.single_read import SingleRead
from licensing.models import ChainHead, Change
from licensing.services.results import PublicLicenceView
from licensing.services.transaction import Write

CHANGES: Table = Change.__table__  # type: ignore[assignment]
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
_ENCODER = msgspec.json.Encoder(order="sorted")


def public_view(state: LicenceState, policy: Policy, at: Any) -> PublicLicenceView:
    """The public view of `state` on the legal day of the instant `at`: what /api/v1/status/<n>
    showed right after the change made at `at` (its lookup makes the view from the row alike)."""
    return PublicLicenceView.of_row(state, policy.today(at))


_VIEW_FIELDS = tuple(field.name for field in fields(PublicLicenceView))


def view_record(view: PublicLicenceView) -> dict[str, Any]:
    """The public view as /api/v1/status/<number> writes it: instants and dates as ISO text."""
    record = {}
    for name in _VIEW_FIELDS:
        value = getattr(view, name)
        if isinstance(value, datetime):
            value = format_utc(value)
        elif isinstance(value, date):
            value = value.isoformat()
        record[name] = value
    return record


def item_of(
    seq: int,
    event: LicenceEvent,
    before: LicenceState | None,
    after: LicenceState,
    policy: Policy,
) -> dict[str, Any] | None:
    """The feed item of the event `seq` that took the licence from `before` to `after`; None for
    an amendment the public view does not show."""
    at = event.at if not isinstance(event.at, str) else parse_utc(event.at)
    view = public_view(after, policy, at)
    amendment = before is not None and event.from_status == event.to_status
    if amendment and public_view(before, policy, at) == view:  # type: ignore[arg-type]
        return None
    return {
        "seq": seq,
        "licence": event.licence,
        "action": event.action,
        "from": event.from_status,
        "to": event.to_status,
        "standing": view.standing,
        "view": view_record(view),
        "decision": decision_from_data(dict(event.data)),
        "at": format_utc(at),
    }


def _row(item: dict[str, Any], after: LicenceState) -> dict[str, Any]:
    return {
        "seq": item["seq"],
        "licence": item["licence"],
        "region": after.region,
        "holder_bin": after.holder_bin,
        "action": item["action"],
        "item": _ENCODER.encode(item).decode(),
    }


def change_row(
    seq: int,
    event: LicenceEvent,
    before: LicenceState | None,
    after: LicenceState,
    policy: Policy,
) -> dict[str, Any] | None:
    """The row the change feed keeps for the event `seq` (None when it keeps none): what the
    write puts in, and what verification holds the table to."""
    item = item_of(seq, event, before, after, policy)
    return None if item is None else _row(item, after)


def project(
    write: Write,
    policy: Policy,
    seq: int,
    event: LicenceEvent,
    before: LicenceState | None,
    after: LicenceState,
) -> None:
    """Queue the feed item of the event just appended at `seq`, inside the same write."""
    row = change_row(seq, event, before, after, policy)
    if row is not None:
        write.insert(CHANGES, row)


# --- reading the feed --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedPage:
    items: list[str]  # each item's JSON, as stored
    next: int  # the cursor to continue from

    def json(self) -> bytes:
        """The page as the app's JSON answers are written (sorted keys, compact, a newline)."""
        return f'{{"items":[{",".join(self.items)}],"next":{self.next}}}\n'.encode()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(item) for item in self.items]


_HEAD = select(ChainHead.seq).where(ChainHead.id == 1)
_HEAD_TABLE = ChainHead.__table__


def _page_read(licence: bool, region: bool) -> SingleRead:
    """The page as one statement: the changes after the cursor up to the head, each row with
    the head. One statement sees one committed state: every event up to the head it reads is
    there (events commit in seq order, each with the head), so a cursor moved past the last item
    to the head skips nothing. The head is a scalar subquery, read once, so the changes are an
    index range scan that the LIMIT stops."""
    head = select(_HEAD_TABLE.c.seq).where(_HEAD_TABLE.c.id == 1).scalar_subquery()
    query = select(head.label("head"), CHANGES.c.seq, CHANGES.c.item).where(
        CHANGES.c.seq > bindparam("after"), CHANGES.c.seq <= head
    )
    if licence:
        query = query.where(CHANGES.c.licence == bindparam("licence"))
    if region:
        query = query.where(CHANGES.c.region == bindparam("region"))
    return SingleRead(query.order_by(CHANGES.c.seq).limit(bindparam("limit")))


# built once per combination of filters, so each is compiled once
_PAGES = {(lic, reg): _page_read(lic, reg) for lic in (False, True) for reg in (False, True)}


def page(
    after: int = 0,
    limit: int = DEFAULT_LIMIT,
    licence: str | None = None,
    region: str | None = None,
) -> FeedPage:
    """The changes after the cursor `after`, oldest first, at most `limit`."""
    parameters: dict[str, Any] = {"after": after, "limit": limit}
    if licence is not None:
        parameters["licence"] = licence
    if region is not None:
        parameters["region"] = region
    rows = _PAGES[(licence is not None, region is not None)].tuples(**parameters)
    items = [item for _, _, item in rows]
    if len(items) == limit:
        return FeedPage(items, rows[-1][1])
    # a short page means nothing more up to the head it was read with: continue from there (an
    # empty page continues from where it began: a head read apart from it could be ahead of a
    # change committed meanwhile)
    return FeedPage(items, max(rows[0][0], after) if rows else after)


def head_seq(session: Session) -> int:
    return session.execute(_HEAD).scalar_one()  # type: ignore[no-any-return]


# --- building the feed of a trail written without it -------------------------------------------

_BATCH = 10_000
_READ = text(
    "SELECT seq, licence, action, from_status, to_status, at, data FROM audit_events"
    " WHERE seq > :after ORDER BY seq LIMIT :n"
)


def trail_items(
    connection: Connection, policy: Policy
) -> Iterator[tuple[dict[str, Any], LicenceState]]:
    """Every feed item the trail makes, oldest first, with the licence after it: the fold of
    `evolve` over the trail, read a batch at a time."""
    licences: dict[str, LicenceState] = {}
    after = 0
    while rows := connection.execute(_READ, {"after": after, "n": _BATCH}).all():
        for seq, number, action, before, to, at, data in rows:
            event = LicenceEvent(number, action, before, to, at, json.loads(data))
            state = licences.get(number)
            licences[number] = evolve(state, event)
            item = item_of(seq, event, state, licences[number], policy)
            if item is not None:
                yield item, licences[number]
        after = rows[-1][0]


def build_changes(connection: Connection, policy: Policy) -> int:
    """Write the feed items missing after the last one kept (the migration that brings the feed
    in, and trails loaded in bulk), in the caller's transaction; returns how many were written."""
    last = connection.execute(text("SELECT coalesce(max(seq), 0) FROM changes")).scalar_one()
    written, rows = 0, []
    for item, after in trail_items(connection, policy):
        if item["seq"] > last:
            rows.append(_row(item, after))
        if len(rows) >= _BATCH:
            connection.execute(CHANGES.insert(), rows)
            written, rows = written + len(rows), []
    if rows:
        connection.execute(CHANGES.insert(), rows)
        written += len(rows)
    return written


_LATEST = {
    False: select(CHANGES.c.item).order_by(CHANGES.c.seq.desc()).limit(bindparam("limit")),
    True: select(CHANGES.c.item)
    .where(CHANGES.c.licence == bindparam("licence"))
    .order_by(CHANGES.c.seq.desc())
    .limit(bindparam("limit")),
}


def latest(limit: int, licence: str | None = None) -> list[dict[str, Any]]:
    """The newest changes (of one licence, or of the register), newest first: for feed readers."""
    with Session(public_read_engine()) as session:
        rows = session.execute(
            _LATEST[licence is not None], {"limit": limit, "licence": licence}
        ).scalars()
        return [json.loads(item) for item in rows]
