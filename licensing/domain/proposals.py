"""Four eyes: a grave status change is first a proposal, which a second officer approves (and it is
carried out at once), rejects with a reason, or the proposer withdraws; one that waited too long
has expired, and one made on a licence that changed since is stale. The rules of those moves live
here; the write path that carries out an approved change is the decider's, as for any change."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from licensing.domain.errors import DomainError, InvalidFields
from licensing.domain.text import TextRule, normalise_text

PENDING, APPROVED, REJECTED, WITHDRAWN, EXPIRED, STALE = (
    "pending", "approved", "rejected", "withdrawn", "expired", "stale",
)  # fmt: skip
STATES = (PENDING, APPROVED, REJECTED, WITHDRAWN, EXPIRED, STALE)

APPROVE, REJECT, WITHDRAW = "approve", "reject", "withdraw"
ACTS = (APPROVE, REJECT, WITHDRAW)
# what each act leaves a pending proposal as
OUTCOMES = {APPROVE: APPROVED, REJECT: REJECTED, WITHDRAW: WITHDRAWN}

REJECTION_RULE = TextRule(2000, multiline=True)


@dataclass(frozen=True)
class Officer:
    """Who proposes or decides: the name the trail records, and the token or account behind it."""

    name: str
    token_id: int | None = None
    user_id: int | None = None

    def is_also(self, other: Officer) -> bool:
        """Whether the two are (or could be) the same person: the same token, the same account,
        or the same name in the trail (where an approval by one's own name would read as the
        proposer approving), whatever its case or Unicode form: "aigerim" is Aigerim."""
        return (
            _folded(self.name) == _folded(other.name)
            or (self.token_id is not None and self.token_id == other.token_id)
            or (self.user_id is not None and self.user_id == other.user_id)
        )


def _folded(name: str) -> str:
    """A name as readers of the trail would tell it apart: trimmed, compatibility-normalised
    (a fullwidth or ligature letter is the plain one) and without case."""
    return unicodedata.normalize("NFKC", normalise_text(name).casefold())


class ProposalNotFound(DomainError):
    def __init__(self, proposal_id: int | str) -> None:
        self.proposal_id = str(proposal_id)[:40]
        super().__init__(f"no proposal {self.proposal_id}")


class ProposalClosed(DomainError):
    """The proposal is no longer pending: nothing can be done with it."""

    def __init__(self, proposal_id: int, state: str) -> None:
        self.proposal_id = proposal_id
        self.state = state
        super().__init__(f"proposal {proposal_id} is {state}, no longer pending")


class ProposalPending(DomainError):
    """The licence has a pending proposal already: one at a time."""

    def __init__(self, licence: str, proposal_id: int) -> None:
        self.licence = licence
        self.proposal_id = proposal_id
        super().__init__(f"licence {licence} has proposal {proposal_id} pending")


class OwnProposal(DomainError):
    """The proposer may not approve or reject their own proposal."""

    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        super().__init__(f"proposal {proposal_id} is yours: another officer decides on it")


class NotProposer(DomainError):
    """Only the proposer withdraws a proposal."""

    def __init__(self, proposal_id: int) -> None:
        self.proposal_id = proposal_id
        super().__init__(f"only the officer who made proposal {proposal_id} may withdraw it")


class CodeRefused(DomainError):
    """The second factor's code given for a decision is not the current one, or was used before."""


def state_now(
    stored: str, made_on: int, licence_version: int, expires_at: datetime, now: datetime
) -> str:
    """What a proposal is at `now`: its stored state, unless it is still pending and has waited
    past `expires_at` (expired) or the licence is no longer at the version it was made on
    (stale). Worked out whenever it is read or acted on: no process has to keep it up."""
    if stored != PENDING:
        return stored
    if now >= expires_at:
        return EXPIRED
    if licence_version != made_on:
        return STALE
    return PENDING


def check_act(proposal_id: int, act: str, state: str, proposer: Officer, officer: Officer) -> str:
    """The state `act` by `officer` leaves a proposal in `state` in; a DomainError when it may not
    be done: the proposal is closed, the proposer approves or rejects their own, or another
    than the proposer withdraws it."""
    if act not in OUTCOMES:
        raise ValueError(f"{act!r} is not an act on a proposal")
    if state != PENDING:
        raise ProposalClosed(proposal_id, state)
    same = officer.is_also(proposer)
    if act == WITHDRAW and not same:
        raise NotProposer(proposal_id)
    if act != WITHDRAW and same:
        raise OwnProposal(proposal_id)
    return OUTCOMES[act]


def check_rejection(reason: str | None) -> str:
    """A rejection's reason, normalised; InvalidFields without one, or with one that breaks the
    text rule."""
    if reason is None or not reason.strip():
        raise InvalidFields({"reason": ["A rejection needs its reason."]})
    if problems := REJECTION_RULE.problems(reason):
        raise InvalidFields({"reason": problems})
    return normalise_text(reason)


def approval_data(proposer: Officer, approver: Officer) -> dict[str, str]:
    """What the executed change's event records of the four eyes."""
    return {"proposed_by": proposer.name, "approved_by": approver.name}
