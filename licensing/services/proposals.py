"""Use cases of four eyes: propose a grave status change, approve it (carried out at once, in the
same transaction), reject it, withdraw it, and read proposals back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, func, select

from licensing import clock
from licensing.domain import proposals as rules
from licensing.domain.chain import canonical_json
from licensing.domain.decider import ChangeStatus, LicenceState, decide
from licensing.domain.decisions import Decision
from licensing.domain.errors import LicenceNotFound
from licensing.domain.licence import is_licence_number
from licensing.domain.proposals import (
    EXPIRED,
    PENDING,
    STALE,
    CodeRefused,
    Officer,
    ProposalNotFound,
    ProposalPending,
)
from licensing.domain.signin import SignInPolicy
from licensing.domain.status_changes import StatusChange
from licensing.domain.timestamps import format_utc, parse_utc
from licensing.models import Proposal, db
from licensing.services import accounts, idempotency, licences, recording
from licensing.services.context import Context
from licensing.services.listing import paginate
from licensing.services.results import Outcome, Page
from licensing.services.transaction import Write, write_transaction

PROPOSALS: Table = Proposal.__table__  # type: ignore[assignment]
_LICENCES = recording.LICENCES
# read once the head is locked (as every write's first step): the proposal's `seq` would clash
# with the head's in with_head's row
_LOCK = select(PROPOSALS).where(PROPOSALS.c.id == bindparam("id")).with_for_update()
_LICENCE = select(_LICENCES).where(_LICENCES.c.number == bindparam("number"))
_PENDING_OF = select(PROPOSALS).where(
    PROPOSALS.c.licence == bindparam("number"), PROPOSALS.c.state == PENDING
)
_LAST_ID = select(func.max(PROPOSALS.c.id))
MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class ProposalView:
    """A proposal as it stands at the instant it was read."""

    id: int
    licence: str
    action: str
    state: str
    licence_version: int
    reason_code: str
    reason: str
    legal_basis: str
    decision: dict[str, str]
    until: date | None
    proposed_by: str
    proposed_at: datetime
    expires_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    rejection_reason: str | None
    seq: int | None
    proposer: Officer

    @classmethod
    def of(cls, row: Any, state: str) -> ProposalView:
        change = json.loads(row.change)
        return cls(
            id=row.id,
            licence=row.licence,
            action=row.action,
            state=state,
            licence_version=row.licence_version,
            reason_code=change["reason_code"],
            reason=change["reason"],
            legal_basis=change["legal_basis"],
            decision=change["decision"],
            until=date.fromisoformat(change["until"]) if change.get("until") else None,
            proposed_by=row.proposed_by,
            proposed_at=row.proposed_at,
            expires_at=row.expires_at,
            decided_by=row.decided_by,
            decided_at=row.decided_at,
            rejection_reason=row.rejection_reason,
            seq=row.seq,
            proposer=_proposer(row),
        )

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        record["until"] = self.until and self.until.isoformat()
        for name in _TIMES:
            record[name] = record[name] and format_utc(record[name])
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ProposalView:
        values = dict(record)
        values["until"] = values["until"] and date.fromisoformat(values["until"])
        for name in _TIMES:
            values[name] = values[name] and parse_utc(values[name])
        values["proposer"] = Officer(**values["proposer"])
        return cls(**values)

    def by(self, officer: Officer) -> bool:
        """Whether `officer` made this proposal."""
        return officer.is_also(self.proposer)


_TIMES = ("proposed_at", "expires_at", "decided_at")


@dataclass(frozen=True)
class Proposed:
    """A proposal made (or the kept answer to the request that made it)."""

    proposal: ProposalView
    replayed: bool = False


@dataclass(frozen=True)
class Decided:
    """A proposal approved, rejected or withdrawn (or the kept answer to the request that did)."""

    proposal: ProposalView
    replayed: bool = False


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    licence: str | None = None


def officer_of(ctx: Context) -> Officer:
    actor = ctx.actor
    return Officer(actor.name, actor.token_id, actor.user_id)


def needs_approval(ctx: Context, action: str) -> bool:
    return action in ctx.policy.approval_required


def take_status_action(ctx: Context, number: str, command: ChangeStatus) -> Outcome | Proposed:
    """A status action as the registry's settings want it: carried out at once, or, when it needs
    a second officer, proposed."""
    if needs_approval(ctx, command.action):
        return propose(ctx, number, command)
    return licences.change_status(ctx, number, command)


def propose(ctx: Context, number: str, command: ChangeStatus) -> Proposed:
    """A pending proposal of `command`, checked now exactly as carrying it out would check it (so
    one the action would refuse is refused the same way), made on the licence's version."""
    operation = f"propose-{command.action}"
    request_fingerprint = idempotency.fingerprint(operation, number, command.change)
    lock, parameters = licences.lock_of(ctx.actor, number)
    with write_transaction(lock, parameters) as write:
        if (kept := idempotency.replay_record(write, ctx, request_fingerprint)) is not None:
            return Proposed(ProposalView.from_record(kept), replayed=True)
        if write.locked is None:
            raise LicenceNotFound(number)
        state = recording.state_of(write.locked)
        event = decide(state, command, ctx.policy, write.now)
        assert event is not None  # a status change always changes something
        _settle_pending(write, state)
        change = {
            "reason_code": event.reason_code,
            "reason": event.reason,
            "legal_basis": event.legal_basis,
            "decision": event.data["decision"],
            "until": event.data.get("until"),
        }
        officer = officer_of(ctx)
        row = {
            "id": (write.session.scalar(_LAST_ID) or 0) + 1,
            "licence": number,
            "action": command.action,
            "state": PENDING,
            "licence_version": state.version,
            "change": canonical_json(change),
            "proposed_by": officer.name,
            "proposer_token_id": officer.token_id,
            "proposer_user_id": officer.user_id,
            "proposed_at": write.now,
            "expires_at": write.now + ctx.policy.approval_window,
            "decided_by": None,
            "decided_at": None,
            "rejection_reason": None,
            "seq": None,
        }
        write.insert(PROPOSALS, row)
        proposal = ProposalView.of(SimpleNamespace(**row), PENDING)
        idempotency.remember_record(write, ctx, request_fingerprint, proposal.to_record())
    return Proposed(proposal)


def _settle_pending(write: Write, state: LicenceState) -> None:
    """Refuse a second pending proposal on the licence; one that only looks pending (expired, or
    made on another version) is marked as what it is, so the new one may be made."""
    for row in write.session.execute(_PENDING_OF, {"number": state.number}):
        now_state = rules.state_now(
            row.state, row.licence_version, state.version, row.expires_at, write.now
        )
        if now_state == PENDING:
            raise ProposalPending(state.number, row.id)
        write.update(PROPOSALS, {"id": row.id, "state": PENDING}, {"state": now_state})


def approve(
    ctx: Context,
    proposal_id: int,
    code: str | None = None,
    signin: SignInPolicy | None = None,
    address: str = "-",
) -> Decided:
    """Approve a pending proposal and carry out its change at once, in the same transaction; the
    change's event records who proposed it and who approved it. A person in the console confirms
    it with their second factor's current code (`code`); a token's request needs none. With
    `signin`, a wrong code counts as a failed sign-in of the person (from `address`), and while
    their login must wait no code is taken: a copied session is no way to guess codes."""
    try:
        return _act(ctx, proposal_id, rules.APPROVE, code=code, signin=signin)
    except CodeRefused:
        if signin is not None and ctx.actor.user_id is not None:
            accounts.code_refused(ctx.actor.user_id, signin, address)
        raise


def reject(ctx: Context, proposal_id: int, reason: str | None) -> Decided:
    return _act(ctx, proposal_id, rules.REJECT, reason=rules.check_rejection(reason))


def withdraw(ctx: Context, proposal_id: int) -> Decided:
    return _act(ctx, proposal_id, rules.WITHDRAW)


def _act(
    ctx: Context,
    proposal_id: int,
    act: str,
    *,
    code: str | None = None,
    reason: str | None = None,
    signin: SignInPolicy | None = None,
) -> Decided:
    if not 0 < proposal_id <= MAX_ID:
        raise ProposalNotFound(proposal_id)
    request_fingerprint = idempotency.fingerprint(act, str(proposal_id), _Act(reason))
    officer = officer_of(ctx)
    refusal: Exception | None = None
    with write_transaction() as write:
        if (kept := idempotency.replay_record(write, ctx, request_fingerprint)) is not None:
            return Decided(ProposalView.from_record(kept), replayed=True)
        row = write.session.execute(_LOCK, {"id": proposal_id}).first()
        if row is None:
            raise ProposalNotFound(proposal_id)
        licence = recording.state_of(write.session.execute(_LICENCE, {"number": row.licence}).one())
        state = rules.state_now(
            row.state, row.licence_version, licence.version, row.expires_at, write.now
        )
        keys = {"id": row.id, "state": PENDING}
        if state != row.state:
            # expired or stale: so marked, whatever was asked, and the ask refused after commit
            write.update(PROPOSALS, keys, {"state": state})
        try:
            outcome = rules.check_act(row.id, act, state, _proposer(row), officer)
        except rules.ProposalClosed as closed:
            if state == row.state:
                raise
            refusal = closed
        else:
            values: dict[str, Any] = {
                "state": outcome,
                "decided_by": officer.name,
                "decided_at": write.now,
            }
            if act == rules.APPROVE:
                if ctx.actor.user_id is not None and not accounts.confirm_code(
                    write, ctx.actor.user_id, code or "", signin
                ):
                    raise CodeRefused()
                values["seq"] = _carry_out(write, ctx, row, licence, officer)
            elif act == rules.REJECT:
                values["rejection_reason"] = reason
            write.update(PROPOSALS, keys, values)
            done = ProposalView.of(SimpleNamespace(**{**row._mapping, **values}), outcome)
            idempotency.remember_record(write, ctx, request_fingerprint, done.to_record())
    if refusal is not None:
        raise refusal
    return Decided(done)


@dataclass(frozen=True)
class _Act:
    """What makes two acts on a proposal the same request."""

    reason: str | None


def _carry_out(
    write: Write, ctx: Context, row: Any, licence: LicenceState, approver: Officer
) -> int:
    """Record the proposal's change through the one write path, on the version it was made on;
    the seq of its event."""
    change = json.loads(row.change)
    decision = change["decision"]
    command = ChangeStatus(
        row.action,
        StatusChange(
            reason_code=change["reason_code"],
            reason=change["reason"],
            legal_basis=change["legal_basis"],
            decision=Decision(
                decision["number"], date.fromisoformat(decision["date"]), decision["by"]
            ),
            until=date.fromisoformat(change["until"]) if change.get("until") else None,
        ),
        expected_versions=frozenset({row.licence_version}),
        approval=rules.approval_data(_proposer(row), approver),
    )
    recording.carry_out(write, ctx, licence, command)
    return write.head.seq


def _proposer(row: Any) -> Officer:
    return Officer(row.proposed_by, row.proposer_token_id, row.proposer_user_id)


# --- reading --------------------------------------------------------------------------------


def get(ctx: Context, proposal_id: int) -> ProposalView:
    if not 0 < proposal_id <= MAX_ID:
        raise ProposalNotFound(proposal_id)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise ProposalNotFound(proposal_id)
    return _view(proposal, clock.now())


def find(ctx: Context, filters: Filters, page: int, page_size: int) -> Page[ProposalView]:
    """Proposals, newest first; `state` as each stands now."""
    now = clock.now()
    query = select(Proposal)
    if filters.licence:
        query = query.where(Proposal.licence == filters.licence)
    if filters.state:
        query = query.where(_state_is(filters.state, now))
    query = query.order_by(Proposal.id.desc())
    return paginate(db.session, query, page, page_size, lambda row: _view(row, now))


def pending(ctx: Context, page: int, page_size: int) -> Page[ProposalView]:
    """The proposals waiting for a decision now, oldest first (the console's worklist)."""
    now = clock.now()
    query = select(Proposal).where(_state_is(PENDING, now)).order_by(Proposal.id)
    return paginate(db.session, query, page, page_size, lambda row: _view(row, now))


def pending_for(ctx: Context, number: str) -> ProposalView | None:
    """The licence's pending proposal, if it has one now."""
    if not is_licence_number(number):
        return None
    now = clock.now()
    query = select(Proposal).where(Proposal.licence == number, _state_is(PENDING, now))
    found = db.session.scalars(query).first()
    return None if found is None else _view(found, now)


def _view(proposal: Proposal, now: datetime) -> ProposalView:
    state = rules.state_now(
        proposal.state,
        proposal.licence_version,
        proposal.licence_version_now,
        proposal.expires_at,
        now,
    )
    return ProposalView.of(proposal, state)


def _state_is(state: str, now: datetime) -> ColumnElement[bool]:
    """Proposals in `state` at `now`, as rules.state_now works it out."""
    pending = Proposal.state == PENDING
    waiting = Proposal.expires_at > now
    same_version = Proposal.licence_version_now == Proposal.licence_version
    if state == PENDING:
        return pending & waiting & same_version
    if state == EXPIRED:
        return (Proposal.state == EXPIRED) | (pending & ~waiting)
    if state == STALE:
        return (Proposal.state == STALE) | (pending & waiting & ~same_version)
    return Proposal.state == state
