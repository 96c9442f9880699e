"""A synthetic but valid audit trail, written straight into a migrated database: licences, and
events whose hashes chain exactly as the registry would have chained them, with every licences row
left as the registry would have left it (so the register verifies against its trail)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from licensing.domain.chain import GENESIS, canonical_json, seal
from licensing.domain.timestamps import parse_utc
from licensing.models import Licence

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
COLUMNS = (
    "seq", "licence", "action", "from_status", "to_status", "reason_code", "reason", "legal_basis",
    "data", "actor", "role", "request_id", "at", "prev", "hash", "line",
)  # fmt: skip


def licence_number(n: int) -> str:
    return f"DM-2026-{n:06d}"


def issued_row(n: int, at: datetime) -> dict[str, Any]:
    """Licence n's row as issuing it left it."""
    return {
        "number": licence_number(n),
        "holder_name": NAMES[0],
        "holder_name_folded": NAMES[0].casefold(),
        "holder_bin": "971240001315",
        "subtype": "I",
        "site_address": "г. Павлодар",
        "region": "pavlodar",
        "capacity_mw": Decimal("12.5"),
        "issued_on": date(2026, 1, 1),
        "expires_on": date(2029, 1, 1),
        "status": "issued",
        "status_since": at,
        "suspended_until": None,
        "version": 1,
        "created_at": at,
        "updated_at": at,
    }


def moment(seq: int) -> str:
    second, micro = divmod(seq, 1_000_000)
    return (
        f"2026-11-{1 + second // 86400:02d}T"
        f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{micro:06d}Z"
    )


def events(
    count: int, rows: dict[str, dict[str, Any]], start_seq: int = 1, prev: str = GENESIS
) -> Iterator[tuple[Any, ...]]:
    """Rows for audit_events, in COLUMNS order. The first len(rows) events issue the licences;
    after that each licence in turn is suspended, resumed and amended, round and round. `rows`
    (licence number: row) is kept as the registry would keep it."""
    licences = len(rows)
    for seq in range(start_seq, start_seq + count):
        visit, index = divmod(seq - 1, licences)
        row = rows[licence_number(index + 1)]
        at = moment(seq)
        action, before, after, data = _move(visit, row)
        decided = action in ("suspend", "resume")
        event = seal(
            {
                "seq": seq,
                "licence": row["number"],
                "action": action,
                "from": before,
                "to": after,
                "reason_code": ("violation_found" if action == "suspend" else "violation_remedied")
                if decided
                else None,
                "reason": REASONS[seq % len(REASONS)] if action != "issue" else None,
                "legal_basis": LEGAL_BASIS if action != "issue" else None,
                "data": data,
                "actor": "Almaty office",
                "role": "regulator",
                "request_id": f"{seq:032x}",
                "at": at,
                "prev": prev,
            }
        )
        prev = event["hash"]
        _record(row, action, after, data, parse_utc(at))
        yield (
            seq, event["licence"], action, before, after, event["reason_code"], event["reason"],
            event["legal_basis"], canonical_json(event["data"]), event["actor"], event["role"],
            event["request_id"], event["at"], event["prev"], event["hash"],
            canonical_json(event),
        )  # fmt: skip


def _move(visit: int, row: dict[str, Any]) -> tuple[str, str | None, str, dict[str, Any]]:
    """The action, from, to and data of a licence's `visit`-th event."""
    if visit == 0:
        data = {
            name: row[name]
            for name in ("holder_name", "holder_bin", "subtype", "site_address", "region")
        }
        data.update(capacity_mw="12.5", issued_on="2026-01-01", expires_on="2029-01-01")
        return "issue", None, "issued", data
    status = row["status"]
    step = (visit - 1) % 3
    decision = {"number": f"{visit}-ЛЦ/2026", "date": "2026-11-01", "by": "licensor"}
    if step == 0:
        return "suspend", status, "suspended", {"until": UNTIL, "decision": decision}
    if step == 1:
        return "resume", status, "resumed", {"decision": decision}
    old = row["holder_name"]
    return "amend", status, status, {"holder_name": [old, NAMES[old == NAMES[0]]]}


def _record(
    row: dict[str, Any], action: str, after: str, data: dict[str, Any], at: datetime
) -> None:
    """What the registry's services do to the row for this event."""
    if action == "issue":
        return
    if action == "amend":
        row["holder_name"] = data["holder_name"][1]
        row["holder_name_folded"] = row["holder_name"].casefold()
    else:
        row["status"], row["status_since"] = after, at
        row["suspended_until"] = date.fromisoformat(UNTIL) if action == "suspend" else None
    row["version"] += 1
    row["updated_at"] = at


def fill(engine: sa.Engine, count: int) -> str:
    """Append `count` events to an empty trail; returns the head hash."""
    licences = min(LICENCES, count)
    # the rows go in first (events refer to them) as issuing leaves them, and are brought up to
    # date once all events are written
    rows = {licence_number(n): issued_row(n, parse_utc(moment(n))) for n in range(1, licences + 1)}
    table = Licence.__table__
    head = GENESIS
    with engine.begin() as connection:
        if rows:
            connection.execute(sa.insert(table), [dict(row) for row in rows.values()])
        connection.execute(
            sa.text("INSERT INTO licence_serials (year, last) VALUES (2026, :last)"),
            {"last": licences},
        )
        trail = events(count, rows)
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
        if rows:
            changed = [
                {"at_number": row["number"], **{k: v for k, v in row.items() if k != "number"}}
                for row in rows.values()
            ]
            connection.execute(
                sa.update(table).where(table.c.number == sa.bindparam("at_number")), changed
            )
        connection.execute(
            sa.text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": count, "hash": head}
        )
    return head
