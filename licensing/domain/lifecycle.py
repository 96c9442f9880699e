"""The licence lifecycle: one `transitions` machine, the only place that knows what is legal."""

from __future__ import annotations

from dataclasses import dataclass

from transitions import Machine

from licensing.domain.errors import ActionNotAllowed

ISSUED, SUSPENDED, RESUMED, REVOKED = "issued", "suspended", "resumed", "revoked"
STATES = (ISSUED, SUSPENDED, RESUMED, REVOKED)

ISSUE, SUSPEND, RESUME, REVOKE, AMEND = "issue", "suspend", "resume", "revoke", "amend"


@dataclass(frozen=True)
class Move:
    """A status change a regulator decides: from which states, to which one, and whether its
    decision sets the date the new status ends (a suspension's term)."""

    action: str
    sources: tuple[str, ...]
    dest: str
    ends: bool = False


# Every status change a licence can make. Everything that offers, checks, records, replays or
# shows one is derived from this table: a new action is a row here, its reason codes in the
# catalogue (reasons.py) and its words in the labels.
MOVES = (
    Move(SUSPEND, (ISSUED, RESUMED), SUSPENDED, ends=True),
    Move(RESUME, (SUSPENDED,), RESUMED),
    Move(REVOKE, (ISSUED, SUSPENDED, RESUMED), REVOKED),
)
STATUS_ACTIONS = tuple(move.action for move in MOVES)
ACTIONS = (ISSUE, *STATUS_ACTIONS, AMEND)
# For each status action, whether its decision sets the date the new status ends.
ENDS = {move.action: move.ends for move in MOVES}

# `amend` is internal (dest None): details change, the status does not. Issuing creates the
# licence in ISSUED and is not a move between states.
TRANSITIONS = (
    *({"trigger": m.action, "source": list(m.sources), "dest": m.dest} for m in MOVES),
    {"trigger": AMEND, "source": [s for s in STATES if s != REVOKED], "dest": None},
)

# Stateless and shared: no model is ever attached, so nothing is reset, leaked or half-moved; the
# machine is asked what is legal and the caller stores the answer in the same transaction as the
# audit event.
_MACHINE = Machine(
    model=None,
    states=list(STATES),
    transitions=[dict(t) for t in TRANSITIONS],
    initial=ISSUED,
    auto_transitions=False,
)

_ORDER = {action: i for i, action in enumerate(ACTIONS)}


def allowed_actions(status: str) -> list[str]:
    """The actions a licence in `status` may take, in a stable order."""
    return sorted(_MACHINE.get_triggers(status), key=_ORDER.__getitem__)


def next_status(status: str, action: str) -> str:
    """The status after `action`, or ActionNotAllowed when the machine has no such move."""
    moves = _MACHINE.get_transitions(trigger=action, source=status)
    if not moves:
        raise ActionNotAllowed(action, status, allowed_actions(status))
    dest = moves[0].dest
    return status if dest is None else dest


def is_status_action(action: str) -> bool:
    return action in ENDS


def sets_end_date(action: str) -> bool:
    """Whether `action`'s decision names the date its status ends (`until`)."""
    return ENDS.get(action, False)


def is_final(status: str) -> bool:
    return not allowed_actions(status)
