"""Who may read what: the roles a token can carry, and a miner's view limited to its own BIN."""

from __future__ import annotations

REGULATOR, AUDITOR, MINER, ADMIN = "regulator", "auditor", "miner", "admin"
SUBSCRIBER = "subscriber"  # a relying party: follows changes through webhooks, reads nothing else
ROLES = (REGULATOR, AUDITOR, MINER, SUBSCRIBER, ADMIN)

# Roles that read licences and their histories through the API (a miner its own only).
READERS = (REGULATOR, AUDITOR, MINER)
# Roles a person signing in to the console holds; both read the whole register there.
PEOPLE = (REGULATOR, AUDITOR)
WRITERS = (REGULATOR,)
# Roles that keep webhook subscriptions: a subscriber and a miner their own, a regulator any.
SUBSCRIBERS = (SUBSCRIBER, MINER, REGULATOR)


def holder_scope(role: str, holder_bin: str | None) -> str | None:
    """The only holder whose licences `role` may read, or None when it may read every licence."""
    if role == MINER:
        if holder_bin is None:
            raise ValueError("a miner is always bound to one BIN")
        return holder_bin
    return None
