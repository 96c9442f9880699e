"""Valid request bodies, overridable field by field, and small helpers to drive the API."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

VALID_BIN = "971240001315"  # a real check digit
OTHER_BIN = "170646409046"
API = "/api/v1"
TODAY = "2026-03-10"  # the tests' frozen date (see the clock fixture)
UNTIL = "2026-05-10"  # two months ahead: a lawful end for a suspension decided TODAY


def written(app: Flask) -> tuple[int, int]:
    """How many licences and audit events the database holds."""
    from sqlalchemy import func, select

    from licensing.models import AuditEvent, Licence, db

    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Licence)) or 0,
            db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def chain_holds(app: Flask) -> bool:
    """Whether the whole trail and the register in the database verify (the check auditors run)."""
    from licensing.services import verification

    with app.app_context():
        report = verification.verify(app.config["LICENSING_POLICY"])
    assert report.ok, report
    return True


def bearer(
    app: Flask, role: str, bin: str | None = None, name: str | None = None
) -> dict[str, str]:
    """Authorization headers for a new token on `app`."""
    from licensing.services import tokens

    with app.app_context():
        secret = tokens.create(name or f"{role}-{uuid.uuid4().hex[:8]}", role, bin)
    return {"Authorization": f"Bearer {secret}"}


def application(**overrides: Any) -> dict[str, Any]:
    body = {
        "holder_name": "ТОО «Экибастуз Цифровой Майнинг»",
        "holder_bin": VALID_BIN,
        "subtype": "I",
        "site_address": "г. Экибастуз, промзона ГРЭС-1, участок 14",
        "region": "pavlodar",
        "capacity_mw": "12.5",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def decision(action: str = "suspend", **overrides: Any) -> dict[str, Any]:
    codes = {"suspend": "violation_found", "resume": "violation_remedied", "revoke": "court_order"}
    body: dict[str, Any] = {
        "reason_code": codes[action],
        "reason": "Потребление сверх квоты системного оператора.",
        "legal_basis": "Закон РК «О цифровых активах», ст. 9",
    }
    if action == "suspend":
        body["until"] = UNTIL
    body.update(overrides)
    body.setdefault("decision", act_of(body.get("reason_code")))
    return {k: v for k, v in body.items() if v is not ...}


def act_of(reason_code: Any = None, **overrides: Any) -> dict[str, Any]:
    """A decision taken today (on the registry's clock, in its time zone): a court's for the
    reason code court_order, the licensor's otherwise."""
    from zoneinfo import ZoneInfo

    from licensing import clock

    body = {
        "number": "17-ЛЦ/2026",
        "date": clock.now().astimezone(ZoneInfo("Asia/Almaty")).date().isoformat(),
        "by": "court" if reason_code == "court_order" else "licensor",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def issue(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post(f"{API}/licences", json=application(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def act(
    client: FlaskClient,
    headers: dict[str, str],
    number: str,
    action: str,
    body: dict[str, Any] | None = None,
    **extra_headers: str,
) -> TestResponse:
    return client.post(
        f"{API}/licences/{number}/{action}",
        json=decision(action) if body is None else body,
        headers={**headers, **extra_headers},
    )
