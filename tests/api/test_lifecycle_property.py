"""Random action sequences against a model of the legal moves written out by hand (not derived
from the machine under test): status, allowed actions, flags, versions, events and the chain must
agree after every step."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from licensing.domain.chain import event_hash
from tests.conftest import Clock
from tests.factories import API, act, chain_holds, decision, issue

MOVES = {
    ("issued", "suspend"): "suspended",
    ("issued", "revoke"): "revoked",
    ("suspended", "resume"): "resumed",
    ("suspended", "revoke"): "revoked",
    ("resumed", "suspend"): "suspended",
    ("resumed", "revoke"): "revoked",
}
ALLOWED = {
    "issued": ["suspend", "revoke", "amend"],
    "suspended": ["resume", "revoke", "amend"],
    "resumed": ["suspend", "revoke", "amend"],
    "revoked": [],
}


def test_random_lifecycles_match_the_model(
    app: Flask, client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            body = issue(client, regulator)
            self.number, self.status, self.version = body["number"], "issued", 1
            self.expires_on = date.fromisoformat(body["expires_on"])
            self.until: date | None = None
            self.capacity = body["capacity_mw"]
            self.events = 1

        def today(self) -> date:
            return (clock.now() + timedelta(hours=5)).date()  # Asia/Almaty

        @rule(action=st.sampled_from(["suspend", "resume", "revoke"]), days=st.integers(1, 200))
        def change_status(self, action: str, days: int) -> None:
            # one month ahead is 28 to 31 days, six months 181 to 184: between lies the lawful term
            lawful = 32 <= days <= 181
            assume(lawful or not 28 <= days <= 184)
            until = None
            body = decision(action)
            if action == "suspend":
                until = self.today() + timedelta(days=days)
                body["until"] = until.isoformat()
            response = act(client, regulator, self.number, action, body)
            target = MOVES.get((self.status, action))
            if target is None:
                assert response.status_code == 409
                problem = response.get_json()
                assert problem["current_status"] == self.status
                assert problem["allowed_actions"] == ALLOWED[self.status]
                return
            if action == "suspend" and not lawful:
                assert response.status_code == 422
                assert list(response.get_json()["errors"]) == ["until"]
                return
            assert response.status_code == 200, response.get_json()
            self.status, self.version, self.events = target, self.version + 1, self.events + 1
            self.until = until if target == "suspended" else None

        @rule(capacity=st.decimals(min_value="0.001", max_value="10000", places=3))
        def amend(self, capacity: Any) -> None:
            response = client.patch(
                f"{API}/licences/{self.number}",
                json={"capacity_mw": str(capacity)},
                headers={**regulator, "If-Match": f'"{self.version}"'},
            )
            if self.status == "revoked":
                assert response.status_code == 409
                return
            assert response.status_code == 200, response.get_json()
            new = response.get_json()["capacity_mw"]
            if new != self.capacity:
                self.version, self.events, self.capacity = self.version + 1, self.events + 1, new

        @rule(action=st.sampled_from(["suspend", "resume", "revoke"]))
        def stale_copy(self, action: str) -> None:
            stale = {"If-Match": f'"{self.version - 1}"'}
            response = act(client, regulator, self.number, action, None, **stale)
            assert response.status_code == 412

        @rule(days=st.integers(1, 40))
        def time_passes(self, days: int) -> None:
            clock.advance(days=days)

        @invariant()
        def licence_matches_the_model(self) -> None:
            licence = client.get(f"{API}/licences/{self.number}", headers=regulator).get_json()
            today = self.today()
            assert licence["status"] == self.status
            assert licence["allowed_actions"] == ALLOWED[self.status]
            assert licence["version"] == self.version
            assert licence["capacity_mw"] == self.capacity
            assert licence["in_force"] == (
                self.status in ("issued", "resumed") and today <= self.expires_on
            )
            assert licence["overdue"] == (
                self.status == "suspended" and self.until is not None and self.until < today
            )
            assert licence["suspended_until"] == (self.until.isoformat() if self.until else None)

        @invariant()
        def history_is_chained(self) -> None:
            events = client.get(
                f"{API}/licences/{self.number}/history", headers=regulator
            ).get_json()["items"]
            assert len(events) == self.events
            assert events[0]["action"] == "issue"
            assert all(e["hash"] == event_hash(e) for e in events)
            assert all(a["seq"] < b["seq"] for a, b in itertools.pairwise(events))
            assert all(a["to"] == b["from"] for a, b in itertools.pairwise(events))
            assert events[-1]["to"] == self.status

        def teardown(self) -> None:
            assert chain_holds(app)

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=40, stateful_step_count=15, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
