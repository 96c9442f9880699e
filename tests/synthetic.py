"""A synthetic but valid audit trail, written straight into a migrated database: licences, and
events whose hashes chain exactly as the registry would have chained them, with every licences row
left as the registry would have left it (so the register verifies against its trail)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from licensing.domain.chain import GENESIS, canonical_json
from licensing.domain.decider import (
    Amend,
    ChangeStatus,
    Command,
    Issue,
    LicenceEvent,
    LicenceState,
    decide,
    evolve,
)
from licensing.domain.decider import sealed as chained
from licensing.domain.decisions import Decision
from licensing.domain.licence import Application
from licensing.domain.policy import Policy
from licensing.domain.replay import ROW_FIELDS
from licensing.domain.status_changes import StatusChange
from licensing.domain.timestamps import parse_utc
from licensing.models import Licence
from licensing.services.changes import build_changes
from licensing.services.log_build import build_tree

LICENCES = 1000
REASONS = (
    "Потребление электроэнергии сверх квоты, выделенной системным оператором.",
    'Не представлена отчётность за квартал; см. "Акт проверки №12", п. 3',
    "=1+1, a cell a spreadsheet would run",
    "Нарушение устранено.\nАкт повторной проверки приложен.",
)
LEGAL_BASIS = "Закон РК «О цифровых активах», ст. 9"
NAMES = ("ТОО «Тест»", "ТОО «Тест-Экибастуз»")  # an amendment switches between them
UNTIL = "2027-01-15"
POLICY = Policy()
APPLICATION = Application(
    holder_name=NAMES[0], holder_bin="971240001315", subtype="I", site_address="г. Павлодар",
    region="pavlodar", capacity_mw=Decimal("12.5"), issued_on=date(2026, 1, 1),
    expires_on=date(2029, 1, 1),
)  # fmt: skip
COLUMNS = (
    "seq", "licence", "action", "from_status", "to_status", "reason_code", "reason", "legal_basis",
    "data", "actor", "role", "request_id", "at", "prev", "hash", "line",
)  # fmt: skip


def licence_number(n: int) -> str:
    return f"DM-2026-{n:06d}"


def moment(seq: int) -> str:
    second, micro = divmod(seq, 1_000_000)
    return (
        f"2026-11-{1 + second // 86400:02d}T"
        f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{micro:06d}Z"
    )


def issued(n: int) -> LicenceState:
    """Licence n as issuing it (the trail's n-th event) leaves it."""
    return evolve(None, _decided(n, 0, None))


def events(
    count: int, licences: dict[str, LicenceState], start_seq: int = 1, prev: str = GENESIS
) -> Iterator[tuple[Any, ...]]:
    """Rows for audit_events, in COLUMNS order. The first len(licences) events issue the
    licences; after that each licence in turn is suspended, resumed and amended, round and round.
    Each event is decided and evolved by the registry's own rules, so `licences` (number: state)
    is kept as the registry keeps its rows."""
    total = len(licences)
    for seq in range(start_seq, start_seq + count):
        visit, index = divmod(seq - 1, total)
        number = licence_number(index + 1)
        state = licences[number] if visit else None
        event = _decided(seq, visit, state)
        licences[number] = evolve(state, event)
        sealed = chained(
            event, seq=seq, prev=prev, actor="Almaty office", role="regulator",
            request_id=f"{seq:032x}",
        )  # fmt: skip
        prev = sealed["hash"]
        yield (
            seq, number, event.action, event.from_status, event.to_status, event.reason_code,
            event.reason, event.legal_basis, canonical_json(sealed["data"]), sealed["actor"],
            sealed["role"], sealed["request_id"], sealed["at"], sealed["prev"], sealed["hash"],
            canonical_json(sealed),
        )  # fmt: skip


def _decided(seq: int, visit: int, state: LicenceState | None) -> LicenceEvent:
    """The event of a licence's `visit`-th command, the trail's `seq`-th."""
    at = parse_utc(moment(seq))
    if state is None:
        command: Command = Issue(licence_number(seq), APPLICATION)
    elif (step := (visit - 1) % 3) < 2:
        decision = Decision(f"{visit}-ЛЦ/2026", date(2026, 11, 1), "licensor")
        action, code = (("suspend", "violation_found"), ("resume", "violation_remedied"))[step]
        until = date.fromisoformat(UNTIL) if step == 0 else None
        change = StatusChange(code, REASONS[seq % len(REASONS)], LEGAL_BASIS, decision, until)
        command = ChangeStatus(action, change)
    else:
        other = NAMES[state.holder_name == NAMES[0]]
        command = Amend({"holder_name": other}, REASONS[seq % len(REASONS)], LEGAL_BASIS)
    event = decide(state, command, POLICY, at)
    assert event is not None
    return event


def _row(state: LicenceState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in ROW_FIELDS}


def fill(engine: sa.Engine, count: int, licences: int = LICENCES) -> str:
    """Append `count` events about `licences` licences to an empty trail; returns the head hash."""
    licences = min(licences, count)
    # the rows go in first (events refer to them) as issuing leaves them, and are brought up to
    # date once all events are written
    states = {licence_number(n): issued(n) for n in range(1, licences + 1)}
    table = Licence.__table__
    head = GENESIS
    with engine.begin() as connection:
        if states:
            connection.execute(sa.insert(table), [_row(state) for state in states.values()])
        connection.execute(
            sa.text("INSERT INTO licence_serials (year, last) VALUES (2026, :last)"),
            {"last": licences},
        )
        trail = events(count, states)
        if engine.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            with raw.cursor().copy(f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for event in trail:
                    copy.write_row(event)
                    head = event[14]
        else:
            insert = sa.text(
                f"INSERT INTO audit_events ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join(':' + c for c in COLUMNS)})"
            )
            while batch := list(itertools.islice(trail, 5000)):
                connection.execute(
                    insert, [dict(zip(COLUMNS, event, strict=True)) for event in batch]
                )
                head = batch[-1][14]
        if states:
            changed = [
                {"at_number": row.pop("number"), **row} for row in map(_row, states.values())
            ]
            connection.execute(
                sa.update(table).where(table.c.number == sa.bindparam("at_number")), changed
            )
        connection.execute(
            sa.text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": count, "hash": head}
        )
        tables = sa.inspect(connection)
        if tables.has_table("log_nodes"):  # a schema from before the tree has none
            build_tree(connection)
        if tables.has_table("changes"):  # nor one from before the change feed
            build_changes(connection, Policy())
    return head
