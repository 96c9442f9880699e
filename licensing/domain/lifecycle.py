"""The licence lifecycle: one `transitions` machine, the only place that knows what is legal."""

from __future__ import annotations

from transitions import Machine

from licensing.domain.errors import ActionNotAllowed

ISSUED, SUSPENDED, RESUMED, REVOKED = "issued", "suspended", "resumed", "revoked"
STATES = (ISSUED, SUSPENDED, RESUMED, REVOKED)

ISSUE, SUSPEND, RESUME, REVOKE, AMEND = "issue", "suspend", "resume", "revoke", "amend"
STATUS_ACTIONS = (SUSPEND, RESUME, REVOKE)
ACTIONS = (ISSUE, *STATUS_ACTIONS, AMEND)

# Every move a licence can make. `amend` is internal (dest None): details change, the status does
# not. Issuing creates the licence in ISSUED and is not a move between states.
TRANSITIONS = (
    {"trigger": SUSPEND, "source": [ISSUED, RESUMED], "dest": SUSPENDED},
    {"trigger": RESUME, "source": [SUSPENDED], "dest": RESUMED},
    {"trigger": REVOKE, "source": [ISSUED, SUSPENDED, RESUMED], "dest": REVOKED},
    {"trigger": AMEND, "source": [ISSUED, SUSPENDED, RESUMED], "dest": None},
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


def is_final(status: str) -> bool:
    return not allowed_actions(status)
