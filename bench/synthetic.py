"""A synthetic but valid audit trail, written straight into a migrated database: licences, then
events whose hashes chain exactly as the registry would have chained them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from licensing.domain.chain import GENESIS, canonical_json, seal

LICENCES = 1000
REASONS = (
    "Потребление электроэнергии сверх квоты, выделенной системным оператором.",
    'Не представлена отчётность за квартал; см. "Акт проверки №12", п. 3',
    "=1+1, a cell a spreadsheet would run",
    "Нарушение устранено.\nАкт повторной проверки приложен.",
)
COLUMNS = (
    "seq", "licence", "action", "from_status", "to_status", "reason_code", "reason", "legal_basis",
    "data", "actor", "role", "request_id", "at", "prev", "hash", "line",
)  # fmt: skip


def events(count: int, start_seq: int = 1, prev: str = GENESIS) -> Iterator[tuple[Any, ...]]:
    """Rows for audit_events, in COLUMNS order."""
    moves = itertools.cycle(
        [("suspend", "issued", "suspended"), ("resume", "suspended", "resumed"),
         ("suspend", "resumed", "suspended"), ("revoke", "suspended", "revoked")]
    )  # fmt: skip
    for seq in range(start_seq, start_seq + count):
        action, before, after = next(moves)
        second, micro = divmod(seq, 1_000_000)
        event = seal(
            {
                "seq": seq,
                "licence": f"DM-2026-{seq % LICENCES + 1:06d}",
                "action": action,
                "from": before,
                "to": after,
                "reason_code": "violation_found",
                "reason": REASONS[seq % len(REASONS)],
                "legal_basis": "Закон РК «О цифровых активах», ст. 9",
                "data": {"until": "2027-01-15"} if action == "suspend" else {},
                "actor": "Almaty office",
                "role": "regulator",
                "request_id": f"{seq:032x}",
                "at": f"2026-11-{1 + second // 86400:02d}T"
                f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{micro:06d}Z",
                "prev": prev,
            }
        )
        prev = event["hash"]
        yield (
            seq, event["licence"], action, before, after, event["reason_code"], event["reason"],
            event["legal_basis"], canonical_json(event["data"]), event["actor"], event["role"],
            event["request_id"], event["at"], event["prev"], event["hash"],
            canonical_json(event),
        )  # fmt: skip


def fill(engine: sa.Engine, count: int) -> str:
    """Append `count` events to an empty trail; returns the head hash."""
    licences = [
        {
            "number": f"DM-2026-{n:06d}",
            "holder_name": "ТОО «Тест»",
            "holder_name_folded": "тоо «тест»",
            "holder_bin": "971240001315",
            "subtype": "I",
            "site_address": "г. Павлодар",
            "region": "pavlodar",
            "capacity_mw": "12.5",
            "issued_on": "2026-01-01",
            "expires_on": "2029-01-01",
            "status": "issued",
            "status_since": "2026-01-01 00:00:00",
            "version": 1,
            "created_at": "2026-01-01 00:00:00",
            "updated_at": "2026-01-01 00:00:00",
        }
        for n in range(1, LICENCES + 1)
    ]
    head = GENESIS
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO licences (number, holder_name, holder_name_folded, holder_bin,"
                " subtype, site_address, region, capacity_mw, issued_on, expires_on, status,"
                " status_since, version, created_at, updated_at) VALUES (:number, :holder_name,"
                " :holder_name_folded, :holder_bin, :subtype, :site_address, :region, :capacity_mw,"
                " :issued_on, :expires_on, :status, :status_since, :version, :created_at,"
                " :updated_at)"
            ),
            licences,
        )
        connection.execute(
            sa.text("INSERT INTO licence_serials (year, last) VALUES (2026, :last)"),
            {"last": LICENCES},
        )
        rows = events(count)
        if engine.dialect.name == "postgresql":
            raw = connection.connection.driver_connection
            with raw.cursor().copy(f"COPY audit_events ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
                    head = row[14]
        else:
            insert = sa.text(
                f"INSERT INTO audit_events ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join(':' + c for c in COLUMNS)})"
            )
            while batch := list(itertools.islice(rows, 5000)):
                connection.execute(insert, [dict(zip(COLUMNS, row, strict=True)) for row in batch])
                head = batch[-1][14]
        connection.execute(
            sa.text("UPDATE audit_head SET seq = :seq, hash = :hash"), {"seq": count, "hash": head}
        )
    return head
