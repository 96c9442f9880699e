"""The rules of four eyes, without a database: what a proposal is now, and who may do what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from licensing.domain.errors import InvalidFields
from licensing.domain.policy import Policy
from licensing.domain.proposals import (
    ACTS,
    APPROVE,
    APPROVED,
    EXPIRED,
    PENDING,
    REJECT,
    REJECTED,
    STALE,
    STATES,
    WITHDRAW,
    WITHDRAWN,
    NotProposer,
    Officer,
    OwnProposal,
    ProposalClosed,
    check_act,
    check_rejection,
    state_now,
)

MADE = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
DUE = MADE + timedelta(hours=72)
ALICE = Officer("alice", token_id=1)
BOB = Officer("bob", token_id=2)


def test_a_pending_proposal_expires_at_its_hour_not_before() -> None:
    assert state_now(PENDING, 3, 3, DUE, DUE - timedelta(microseconds=1)) == PENDING
    assert state_now(PENDING, 3, 3, DUE, DUE) == EXPIRED


def test_a_pending_proposal_on_a_licence_that_moved_on_is_stale() -> None:
    assert state_now(PENDING, 3, 4, DUE, MADE) == STALE


@given(
    stored=st.sampled_from([s for s in STATES if s != PENDING]),
    made_on=st.integers(1, 5),
    version=st.integers(1, 5),
    hours=st.integers(-100, 100),
)
def test_a_decided_proposal_stays_as_it_was_decided(
    stored: str, made_on: int, version: int, hours: int
) -> None:
    assert state_now(stored, made_on, version, DUE, DUE + timedelta(hours=hours)) == stored


@given(
    act=st.sampled_from(ACTS),
    state=st.sampled_from(STATES),
    same=st.booleans(),
)
def test_only_a_pending_proposal_is_acted_on_and_never_by_the_wrong_officer(
    act: str, state: str, same: bool
) -> None:
    officer = ALICE if same else BOB
    refusal: Exception | None = None
    try:
        outcome = check_act(7, act, state, ALICE, officer)
    except ProposalClosed as closed:
        refusal = closed
        assert state != PENDING
    except OwnProposal:
        assert state == PENDING and same and act != WITHDRAW
    except NotProposer:
        assert state == PENDING and not same and act == WITHDRAW
    else:
        assert state == PENDING
        assert (act, same) in ((APPROVE, False), (REJECT, False), (WITHDRAW, True))
        assert outcome == {APPROVE: APPROVED, REJECT: REJECTED, WITHDRAW: WITHDRAWN}[act]
    if isinstance(refusal, ProposalClosed):
        assert refusal.state == state


@pytest.mark.parametrize(
    "other",
    [
        Officer("alice", token_id=9),  # another token under the proposer's name
        Officer("carol", token_id=1),  # the proposer's token under another name
        Officer("carol", user_id=5),
    ],
)
def test_the_same_name_token_or_account_is_the_same_officer(other: Officer) -> None:
    proposer = Officer("alice", token_id=1) if other.user_id is None else Officer("x", user_id=5)
    with pytest.raises(OwnProposal):
        check_act(1, APPROVE, PENDING, proposer, other)


@pytest.mark.parametrize("reason", [None, "", "   ", "x" * 2001, "bad\x00text"])
def test_a_rejection_without_a_fit_reason_is_refused(reason: str | None) -> None:
    with pytest.raises(InvalidFields) as refused:
        check_rejection(reason)
    assert "reason" in refused.value.errors


def test_a_policy_requiring_approval_of_an_unknown_action_is_refused() -> None:
    with pytest.raises(ValueError, match="close"):
        Policy(approval_required=frozenset({"revoke", "close"}))
    assert Policy(approval_required=frozenset({"revoke"})).approval_required == {"revoke"}
