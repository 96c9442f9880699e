"""Verification in the database: the hash chain, and the register (the licences table) against the
replay of its events, both read from one snapshot."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import Connection, select

from licensing.domain.chain import GENESIS, canonical_json
from licensing.domain.exports import CSV_COLUMNS
from licensing.domain.replay import ROW_FIELDS, RegisterReplay, ReplayedLicence, ReplayRefused
from licensing.domain.replay import differences as row_differences
from licensing.domain.trail import CheckedLine, Finding, TrailCheck, check_line
from licensing.models import AuditEvent, ChainHead, Licence, db
from licensing.services.audit_trail import COLUMNS, ROWS_PER_FETCH

_DATA = CSV_COLUMNS.index("data")
_PROJECTED = operator.itemgetter(*CSV_COLUMNS)
_SORTED_JSON = msgspec.json.Encoder(order="sorted")


@dataclass(frozen=True)
class Verification:
    ok: bool
    events_checked: int
    head: dict[str, Any] | None  # the last event that holds
    first_bad_seq: int | None
    first_bad_licence: str | None
    problem: str | None


@dataclass(frozen=True)
class _Disagreement:
    licence: str
    problem: str


def verify() -> Verification:
    """Walk the whole chain: every line's hash, every link, every column against its line, the
    head row against the last event; then every licences row against the replay of its events."""
    walk = TrailCheck()
    register = RegisterReplay()
    refused: ReplayRefused | None = None
    columns = [AuditEvent.line, *COLUMNS.values()]
    # one snapshot for the events, the head row and the licences, or a write landing in between
    # would look like a cut tail or a row ahead of its events (SQLite's transactions are
    # snapshots already)
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        query = select(*columns).order_by(AuditEvent.seq)
        with connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query) as rows:
            for line, *values in rows:
                checked = check_line(line.encode(), keep_event=True)
                if checked.problem is None and (problem := _projection_problem(checked, values)):
                    checked = checked._replace(problem=problem)
                if not walk.feed_checked(checked):
                    break
                if refused is None:
                    try:
                        register.feed(checked.event)  # type: ignore[arg-type]
                    except ReplayRefused as error:
                        refused = error  # the chain is still walked to its end
        head = connection.execute(select(ChainHead.seq, ChainHead.hash)).one_or_none()
        if walk.finding is None:
            last = (walk.head.seq, walk.head.hash) if walk.head else (0, GENESIS)
            if head is None or tuple(head) != last:
                walk.finding = _head_finding(walk, head)
        disagreement = None
        if walk.finding is None and refused is None:
            disagreement = _register_disagreement(connection, register.licences)
    return _verification(walk, refused, disagreement)


def _verification(
    walk: TrailCheck, refused: ReplayRefused | None, disagreement: _Disagreement | None
) -> Verification:
    """The report: a broken chain first (nothing after it can be trusted), then an event its
    licence's history cannot take, then a row that differs from its replay."""
    head = {"seq": walk.head.seq, "hash": walk.head.hash} if walk.head else None
    seq = licence = problem = None
    if walk.finding is not None:
        seq, problem = walk.finding.seq, walk.finding.problem
    elif refused is not None:
        seq, licence = refused.seq, refused.licence
        problem = f"licence {refused.licence}: its event at seq {refused.seq} does not replay: "
        problem += refused.problem
    elif disagreement is not None:
        licence, problem = disagreement.licence, disagreement.problem
    return Verification(
        ok=problem is None,
        events_checked=walk.events_checked,
        head=head,
        first_bad_seq=seq,
        first_bad_licence=licence,
        problem=problem,
    )


def _register_disagreement(
    connection: Connection, replayed: dict[str, ReplayedLicence]
) -> _Disagreement | None:
    """The first licence, by number, whose row differs from its replay, has no events, or has
    events but no row; with how many others disagree too."""
    found: dict[str, str] = {}
    query = select(*(Licence.__table__.c[name] for name in ROW_FIELDS))
    # the whole table is read (it is far smaller than the trail) so that "first" is by number in
    # Python's order, whatever the database's collation
    with connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query) as rows:
        for row in rows:
            fields = row._mapping
            licence = replayed.pop(fields["number"], None)
            if licence is None:
                found[fields["number"]] = "a row in the register that no event made"
            elif differences := row_differences(licence, fields):
                found[licence.number] = "; ".join(differences)
    for number in replayed:  # events whose row is gone
        found[number] = "its events make it, but the register has no row for it"
    if not found:
        return None
    first = min(found)
    more = len(found) - 1
    others = f" (and {more} more licence{'s' if more > 1 else ''} disagree too)" if more else ""
    return _Disagreement(first, f"licence {first}: {found[first]}{others}")


def _projection_problem(checked: CheckedLine, values: list[Any]) -> str | None:
    event = checked.event
    if event is None:
        return None
    try:
        expected = list(_PROJECTED(event))
    except KeyError:  # a key missing from the line: the loop below names its column
        expected = [event.get(name) for name in CSV_COLUMNS]
    stored_data = expected[_DATA] = values[_DATA]
    # msgspec's sorted encoding is canonical JSON for every event trail.py's fast path settles
    # (its hash matched), and several times quicker than json.dumps: the usual case pays only that
    if expected == values and (
        _SORTED_JSON.encode(event["data"]) == stored_data.encode()
        or canonical_json(event["data"]) == stored_data
    ):
        return None
    for name, value in zip(CSV_COLUMNS, values, strict=True):
        expected = canonical_json(event["data"]) if name == "data" else event.get(name)
        if value != expected:
            return f"the {name} column does not match the event as it was hashed: it was edited"
    return None


def _head_finding(walk: TrailCheck, head: Any) -> Finding:
    last = walk.head.seq if walk.head else 0
    if head is not None and head.seq > last:
        problem = (
            f"the chain head is at seq {head.seq} but the trail ends at seq {last}: "
            "events were removed from the end"
        )
    else:
        problem = "the chain head row does not match the last event"
    return Finding(None, last + 1, problem)
