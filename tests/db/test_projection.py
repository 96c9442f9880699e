"""The register is the fold of its trail: whatever commands the use cases are given (lawful or
not, stale or current, on several licences), every licences row equals the fold of `evolve` over
the events the database holds, and a refused command changes no row. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from licensing.domain.decider import (
    Amend,
    ChangeStatus,
    LicenceEvent,
    LicenceState,
    decide,
    fold,
)
from licensing.domain.decisions import Decision
from licensing.domain.errors import DomainError
from licensing.domain.licence import Application
from licensing.domain.lifecycle import STATUS_ACTIONS, sets_end_date
from licensing.domain.replay import ROW_FIELDS
from licensing.domain.status_changes import StatusChange
from licensing.domain.timestamps import parse_utc
from licensing.models import AuditEvent, Licence, db
from licensing.services import events, licences, recording
from licensing.services.context import Actor, Context
from licensing.services.transaction import with_head, write_transaction
from tests.conftest import Clock
from tests.factories import VALID_BIN, written

NAMES = ("ТОО «Алтай»", "ТОО «Алтай-2»", "  ТОО «Пробел»  ", "")  # the last is refused
REGIONS = ("pavlodar", "almaty_city", "nowhere")  # the last is refused
CODES = ("violation_found", "violation_remedied", "court_order", "unremedied_violation")
CAPACITIES = ("0.5", "12.5", "12.500", "0", "10001")  # the last two are refused


def trail_fold(app: Flask) -> dict[str, LicenceState]:
    """The register as its trail makes it: the fold of evolve over every stored event."""
    with app.app_context():
        rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq))
        return fold(_event(event) for event in events.as_events(rows))


def register_rows(app: Flask) -> dict[str, dict[str, Any]]:
    with app.app_context():
        query = sa.select(*(Licence.__table__.c[name] for name in ROW_FIELDS))
        return {row.number: dict(row._mapping) for row in db.session.execute(query)}


def _event(stored: dict[str, Any]) -> LicenceEvent:
    return LicenceEvent(
        licence=stored["licence"],
        action=stored["action"],
        from_status=stored["from"],
        to_status=stored["to"],
        at=parse_utc(stored["at"]),
        data=stored["data"],
        reason_code=stored["reason_code"],
        reason=stored["reason"],
        legal_basis=stored["legal_basis"],
    )


def test_every_row_is_the_fold_of_its_trail(app: Flask, clock: Clock) -> None:
    ctx = Context(Actor("property", "regulator"), app.config["LICENSING_POLICY"], "property")

    class Register(RuleBasedStateMachine):
        numbers = Bundle("numbers")

        @contextmanager
        def refused_changes_nothing(self) -> Iterator[None]:
            before = written(app)
            try:
                yield
            except DomainError:
                assert written(app) == before

        def today(self) -> date:
            return ctx.policy.today(clock.now())

        @rule(target=numbers, name=st.sampled_from(NAMES), days_ago=st.integers(-2, 400))
        def issue(self, name: str, days_ago: int) -> Any:
            application = Application(
                holder_name=name, holder_bin=VALID_BIN, subtype="I", site_address="г. Павлодар",
                region="pavlodar", capacity_mw=Decimal("5"),
                issued_on=self.today() - timedelta(days=days_ago),
            )  # fmt: skip
            with app.app_context(), self.refused_changes_nothing():
                return licences.issue(ctx, application).licence.number
            return "DM-2026-999999"  # refused: a number no licence has

        @rule(
            number=numbers,
            name=st.sampled_from(NAMES),
            region=st.sampled_from(REGIONS),
            capacity=st.sampled_from(CAPACITIES),
            fields=st.sets(st.sampled_from(("holder_name", "region", "capacity_mw")), max_size=3),
            stale=st.sampled_from((False, False, False, True)),
        )
        def amend(
            self, number: str, name: str, region: str, capacity: str, fields: set[str],
            stale: bool,
        ) -> None:  # fmt: skip
            given = {"holder_name": name, "region": region, "capacity_mw": Decimal(capacity)}
            changes = {field: given[field] for field in fields}
            with app.app_context(), self.refused_changes_nothing():
                version = licences.get(ctx, number).version
                command = Amend(changes, "Уточнение.", None, frozenset({version - stale}))
                licences.amend(ctx, number, command)

        @rule(
            number=numbers,
            action=st.sampled_from(STATUS_ACTIONS),
            lawful=st.sampled_from((True, True, True, False)),
            code=st.sampled_from(CODES),
            months=st.integers(0, 8),
            decided_days_ago=st.integers(-1, 30),
        )
        def change_status(
            self, number: str, action: str, lawful: bool, code: str, months: int,
            decided_days_ago: int,
        ) -> None:  # fmt: skip
            today = self.today()
            if lawful:  # grounds the rules take, so that most histories get long
                code, months, decided_days_ago = ctx.policy.reason_codes[action][0], 3, 0
            by = "court" if code == "court_order" else "licensor"
            decision = Decision("17-ЛЦ/2026", today - timedelta(days=decided_days_ago), by)
            until = today + timedelta(days=31 * months) if sets_end_date(action) else None
            change = StatusChange(code, "Решение лицензиара.", "ст. 9", decision, until)
            with app.app_context(), self.refused_changes_nothing():
                licences.change_status(ctx, number, ChangeStatus(action, change))

        @rule(days=st.integers(1, 90))
        def time_passes(self, days: int) -> None:
            clock.advance(days=days)

        @invariant()
        def every_row_is_the_fold_of_its_trail(self) -> None:
            folded = trail_fold(app)
            rows = register_rows(app)
            assert rows.keys() == folded.keys()
            for number, row in rows.items():
                assert row == {name: getattr(folded[number], name) for name in ROW_FIELDS}

    run_state_machine_as_test(
        Register,
        settings=settings(
            max_examples=30, stateful_step_count=25, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip


def test_one_write_records_a_decision_on_many_licences(app: Flask, clock: Clock) -> None:
    # the unit of work folds any number of changes of one kind: here one decision suspends
    # three licences, in one transaction, and the register is still the fold of its trail
    ctx = Context(Actor("batch", "regulator"), app.config["LICENSING_POLICY"], "batch")
    with app.app_context():
        numbers = [licences.issue(ctx, _application(n)).licence.number for n in ("А", "Б", "В")]
        today = ctx.policy.today(clock.now())
        change = StatusChange(
            "violation_found", "Проверка.", "ст. 9", Decision("5-ЛЦ/2026", today, "licensor"),
            today + timedelta(days=60),
        )  # fmt: skip
        table = recording.LICENCES
        lock = with_head(table).where(table.c.number.in_(numbers)).with_for_update()
        with write_transaction(lock) as write:
            query = sa.select(Licence).where(Licence.number.in_(numbers))
            for row in write.session.scalars(query):
                state = recording.state_of(row)
                event = decide(state, ChangeStatus("suspend", change), ctx.policy, write.now)
                assert event is not None
                recording.record(write, ctx, state, event)
        assert {licences.get(ctx, n).status for n in numbers} == {"suspended"}
    assert written(app) == (3, 6)
    assert register_rows(app) == {
        number: {name: getattr(state, name) for name in ROW_FIELDS}
        for number, state in trail_fold(app).items()
    }


def _application(suffix: str) -> Application:
    return Application(
        holder_name=f"ТОО «{suffix}»", holder_bin=VALID_BIN, subtype="II",
        site_address="г. Экибастуз", region="pavlodar", capacity_mw=Decimal("3"),
    )  # fmt: skip
