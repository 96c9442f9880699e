"""The audit trail as a whole: filtered pages, streamed exports, and signed checkpoints of its
head."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, case, func, literal, select

from licensing import clock
from licensing.domain import checkpoints, merkle
from licensing.domain.chain import EVENT_FIELDS
from licensing.domain.exports import (
    EXPORT_FORMATS,
    FORMULA_STARTS,
    NEUTRALISED,
    csv_header,
    csv_row,
)
from licensing.domain.timestamps import format_utc
from licensing.fastpaths.copy_export import copy_rows
from licensing.models import AuditEvent, ChainHead, db
from licensing.services.events import as_event
from licensing.services.listing import paginate
from licensing.services.results import Page
from licensing.services.signing import Signer

CHUNK_BYTES = 1 << 16
ROWS_PER_FETCH = 2000

# The columns that hold each key of an event, in export order.
COLUMNS = {field.name: getattr(AuditEvent, field.attribute) for field in EVENT_FIELDS}


@dataclass(frozen=True)
class TrailFilters:
    licence: str | None = None
    action: str | None = None
    actor: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    after_seq: int | None = None


@dataclass(frozen=True)
class Batch:
    """A piece of an export: bytes to send, and how many events they hold."""

    data: bytes
    events: int


def page(filters: TrailFilters, number: int, size: int) -> Page[dict[str, Any]]:
    query = _filtered(select(AuditEvent), filters).order_by(AuditEvent.seq)
    return paginate(db.session, query, number, size, as_event)


def count(filters: TrailFilters) -> int:
    query = _filtered(select(func.count()).select_from(AuditEvent), filters)
    return db.session.scalar(query) or 0


def export(filters: TrailFilters, fmt: str) -> Iterator[Batch]:
    """The matching events as NDJSON or CSV, oldest first, streamed in pieces of about 64 KiB
    from one consistent snapshot. Call within the app; the stream itself needs no app context.

    The query runs before this returns, so a failure to run it is an error the caller can still
    answer properly, not a stream that breaks after its status line was sent."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"no export format is called {fmt!r}")
    engine = db.engine
    out = _copy_out if engine.dialect.name == "postgresql" else _fetch_out
    return _Started(out(engine, filters, fmt))


class _Started(Iterator[Batch]):
    """A stream whose first piece is already fetched; closing it closes the stream."""

    def __init__(self, stream: Generator[Batch, None, None]) -> None:
        self._stream = stream
        self._first = next(stream, None)

    def __next__(self) -> Batch:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return next(self._stream)

    def close(self) -> None:
        self._stream.close()


_HEAD = select(ChainHead.seq, ChainHead.hash, ChainHead.tree).where(ChainHead.id == 1)


def checkpoint(signer: Signer) -> str:
    """A compact JWS over {seq, hash, at, size, root} of the chain head and its tree, `at` being
    the moment of signing."""
    seq, hash_, tree = db.session.execute(_HEAD).one()
    root = merkle.root(merkle.split(bytes(tree)))
    return signer.sign(checkpoints.payload(seq, hash_, format_utc(clock.now()), root))


def _filtered(query: Select[Any], filters: TrailFilters) -> Select[Any]:
    if filters.licence:
        query = query.where(AuditEvent.licence == filters.licence)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.since:
        query = query.where(AuditEvent.at >= format_utc(filters.since))
    if filters.until:
        query = query.where(AuditEvent.at < format_utc(filters.until))
    if filters.after_seq is not None:
        query = query.where(AuditEvent.seq > filters.after_seq)
    return query


def _neutralised(column: Any) -> ColumnElement[Any]:
    starts = [ord(c) for c in FORMULA_STARTS]
    return case((func.ascii(column).in_(starts), literal("'").concat(column)), else_=column)


@dataclass(frozen=True)
class _Writer:
    """How one export format is written: row by row from `columns`, and on PostgreSQL by COPY of
    `copied` with `options`, whose first row is the header when `header` is not empty. Both give
    the same bytes (tests/db/test_export_streams.py)."""

    columns: tuple[Any, ...]
    header: bytes
    row: Callable[[Sequence[Any]], bytes]
    copied: tuple[Any, ...]
    options: str


# The writer of each format of domain/exports.py's table: a format is one entry there and here.
_WRITERS = {
    # NDJSON lines are stored whole; CSV framing with quote and delimiter bytes that canonical
    # JSON never holds raw passes them through untouched
    "ndjson": _Writer(
        columns=(AuditEvent.line,),
        header=b"",
        row=lambda row: (row[0] + "\n").encode(),
        copied=(AuditEvent.line,),
        options="FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02'",
    ),
    "csv": _Writer(
        columns=tuple(COLUMNS.values()),
        header=csv_header(),
        row=lambda row: csv_row(tuple(row)).encode(),
        copied=tuple(
            (_neutralised(column) if name in NEUTRALISED else column).label(name)
            for name, column in COLUMNS.items()
        ),
        options="FORMAT csv, HEADER",
    ),
}
assert _WRITERS.keys() == EXPORT_FORMATS.keys(), "every export format needs its writer"


def _copy_out(engine: Engine, filters: TrailFilters, fmt: str) -> Iterator[Batch]:
    # PostgreSQL writes the bytes itself
    writer = _WRITERS[fmt]
    query = _filtered(select(*writer.copied), filters).order_by(AuditEvent.seq)
    rows = copy_rows(engine, query, writer.options)
    if writer.header:
        yield Batch(next(rows, b""), 0)
    yield from _chunks(rows)


def _fetch_out(engine: Engine, filters: TrailFilters, fmt: str) -> Iterator[Batch]:
    writer = _WRITERS[fmt]
    query = _filtered(select(*writer.columns), filters).order_by(AuditEvent.seq)
    with (
        engine.connect() as connection,
        connection.execution_options(yield_per=ROWS_PER_FETCH).execute(query) as rows,
    ):
        if writer.header:
            yield Batch(writer.header, 0)
        yield from _chunks(writer.row(row) for row in rows)


def _chunks(pieces: Iterator[bytes]) -> Iterator[Batch]:
    """Gather one-event pieces into batches of about CHUNK_BYTES."""
    buffer, events = bytearray(), 0
    for piece in pieces:
        buffer += piece
        events += 1
        if len(buffer) >= CHUNK_BYTES:
            yield Batch(bytes(buffer), events)
            buffer, events = bytearray(), 0
    if buffer:
        yield Batch(bytes(buffer), events)
