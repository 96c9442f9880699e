from __future__ import annotations

import pytest

from licensing.domain import lifecycle
from licensing.domain.errors import ActionNotAllowed
from licensing.domain.lifecycle import allowed_actions, next_status


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        ("issued", "suspend", "suspended"),
        ("issued", "revoke", "revoked"),
        ("suspended", "resume", "resumed"),
        ("suspended", "revoke", "revoked"),
        ("resumed", "suspend", "suspended"),
        ("resumed", "revoke", "revoked"),
        ("issued", "amend", "issued"),
        ("suspended", "amend", "suspended"),
        ("resumed", "amend", "resumed"),
    ],
)
def test_legal_moves_reach_their_status(status: str, action: str, expected: str) -> None:
    assert next_status(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("issued", "resume"),
        ("suspended", "suspend"),
        ("resumed", "resume"),
        ("revoked", "suspend"),
        ("revoked", "resume"),
        ("revoked", "revoke"),
        ("revoked", "amend"),
    ],
)
def test_illegal_moves_are_refused_with_what_is_allowed(status: str, action: str) -> None:
    with pytest.raises(ActionNotAllowed) as refused:
        next_status(status, action)
    assert refused.value.current_status == status
    assert refused.value.allowed_actions == allowed_actions(status)
    assert action not in refused.value.allowed_actions


def test_revoked_is_final_and_allows_nothing() -> None:
    assert allowed_actions("revoked") == []
    assert lifecycle.is_final("revoked")
    assert not any(lifecycle.is_final(s) for s in ("issued", "suspended", "resumed"))


def test_the_machine_has_no_auto_transitions() -> None:
    for status in lifecycle.STATES:
        assert not any(a.startswith("to_") for a in allowed_actions(status))


def test_asking_the_machine_attaches_no_model() -> None:
    for status in lifecycle.STATES:
        allowed_actions(status)
        next_status(status, "amend") if status != "revoked" else None
    assert lifecycle._MACHINE.models == []
