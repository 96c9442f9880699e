"""Failures of a use case that are not the domain's rules: races, a busy or unreachable database."""

from __future__ import annotations


class ConcurrentChange(Exception):
    """Another writer changed the same rows first; nothing was changed and a retry may work."""


class DatabaseBusy(Exception):
    """The database could not take the write lock in time; the request changed nothing."""


class DatabaseUnavailable(Exception):
    """The database cannot be reached (or has no schema yet); the request changed nothing."""


class OutcomeUnknown(DatabaseUnavailable):
    """The connection to the database was lost during COMMIT: the change may have been recorded
    (its commit reached the database, or a standby that was then promoted) or not, and nothing
    here can tell. A repeat with the same Idempotency-Key gives the first answer if it was, and
    makes the change if it was not."""
