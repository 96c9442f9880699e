"""Several writers at once: the chain never forks, no seq or number is reused, no update is lost."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask
from sqlalchemy import select

from licensing.models import AuditEvent, db
from licensing.services.events import as_events
from tests.factories import API, application, bearer, chain_holds, decision, issue

WRITERS = 8


def in_parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]


def chain(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return as_events(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_concurrent_issues_get_distinct_numbers_and_one_unforked_chain(app: Flask) -> None:
    headers = [bearer(app, "regulator", name=f"writer-{i}") for i in range(WRITERS)]

    def issue_one(h: dict[str, str]) -> Callable[[], Any]:
        return lambda: app.test_client().post(f"{API}/licences", json=application(), headers=h)

    responses = in_parallel([issue_one(h) for h in headers])
    assert [r.status_code for r in responses] == [201] * WRITERS
    numbers = {r.get_json()["number"] for r in responses}
    assert len(numbers) == WRITERS
    events = chain(app)
    assert [e["seq"] for e in events] == list(range(1, WRITERS + 1))
    assert chain_holds(app)


def test_racing_suspensions_of_one_licence_let_exactly_one_through(app: Flask) -> None:
    regulator = bearer(app, "regulator")
    number = issue(app.test_client(), regulator)["number"]

    def suspend() -> Any:
        return app.test_client().post(
            f"{API}/licences/{number}/suspend", json=decision("suspend"), headers=regulator
        )

    codes = sorted(r.status_code for r in in_parallel([suspend] * WRITERS))
    assert codes == [200] + [409] * (WRITERS - 1)
    events = chain(app)
    assert [e["action"] for e in events] == ["issue", "suspend"]
    assert chain_holds(app)


def test_racing_amendments_with_the_same_etag_lose_no_update(app: Flask) -> None:
    regulator = bearer(app, "regulator")
    number = issue(app.test_client(), regulator)["number"]

    def amend(capacity: int) -> Callable[[], Any]:
        return lambda: app.test_client().patch(
            f"{API}/licences/{number}",
            json={"capacity_mw": str(capacity)},
            headers={**regulator, "If-Match": '"1"'},
        )

    responses = in_parallel([amend(100 + i) for i in range(WRITERS)])
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) == 1
    assert sorted(r.status_code for r in responses) == [200] + [412] * (WRITERS - 1)
    final = app.test_client().get(f"{API}/licences/{number}", headers=regulator).get_json()
    assert final["capacity_mw"] == winners[0].get_json()["capacity_mw"]
    assert final["version"] == 2
    assert chain_holds(app)


def test_racing_retries_with_one_idempotency_key_write_once(app: Flask) -> None:
    regulator = bearer(app, "regulator")

    def retry() -> Any:
        return app.test_client().post(
            f"{API}/licences", json=application(), headers={**regulator, "Idempotency-Key": "once"}
        )

    responses = in_parallel([retry] * WRITERS)
    assert {r.status_code for r in responses} == {201}
    assert len({r.get_json()["number"] for r in responses}) == 1
    assert len(chain(app)) == 1
