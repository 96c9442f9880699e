"""The ceilings the HTTP benchmarks are measured against: bare Flask routes, served by gunicorn with
the registry's own settings, on the same database.

    BENCH_DATABASE_URL=... gunicorn -c gunicorn.conf.py bench.bare:app
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, jsonify

from licensing.config import database_url

app = Flask(__name__)
engine = sa.create_engine(database_url(os.environ["BENCH_DATABASE_URL"]))  # noqa: TID251
# a body the size of a public status view
BODY = {
    "number": "DM-2026-000001", "holder_name": "ТОО «Тест»", "region": "pavlodar", "subtype": "I",
    "status": "issued", "standing": "in_force", "in_force": True,
    "status_since": "2026-11-01T00:00:01.000000Z", "expires_on": "2029-01-01",
    "suspended_until": None,
}  # fmt: skip
ONE_ROW = sa.text(
    "SELECT number, holder_name, region, subtype, status, status_since, expires_on,"
    " suspended_until FROM licences WHERE number = :number"
)
TWO_ROWS = (
    sa.text("INSERT INTO bench_writes_a (payload) VALUES (:payload)"),
    sa.text("INSERT INTO bench_writes_b (payload) VALUES (:payload)"),
)


@app.get("/bare/json")
def bare_json():  # type: ignore[no-untyped-def]
    return jsonify(BODY)


@app.get("/bare/row/<number>")
def bare_row(number: str):  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        row = connection.execute(ONE_ROW, {"number": number}).mappings().one()
    return jsonify({k: str(v) if v is not None else None for k, v in row.items()})


@app.post("/bare/insert")
def bare_insert():  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        for insert in TWO_ROWS:
            connection.execute(insert, {"payload": "x" * 200})
    return jsonify({"ok": True}), 201
