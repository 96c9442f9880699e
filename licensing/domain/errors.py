"""Errors the domain raises; the API and the CLI decide how to show them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A request the registry's rules refuse."""


class InvalidFields(DomainError):
    """One or more fields break a rule; `errors` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ActionNotAllowed(DomainError):
    """The action is not legal from the licence's current status."""

    def __init__(self, action: str, current_status: str, allowed_actions: Sequence[str]) -> None:
        self.action = action
        self.current_status = current_status
        self.allowed_actions = list(allowed_actions)
        super().__init__(f"a licence that is {current_status} cannot take the action {action!r}")


class LicenceNotFound(DomainError):
    def __init__(self, number: str) -> None:
        self.number = number if len(number) <= 40 else number[:40] + "…"  # it is shown back
        super().__init__(f"no licence numbered {self.number!r}")


class VersionMismatch(DomainError):
    """The client's copy of the licence is stale (If-Match names another version)."""

    def __init__(self, current_version: int) -> None:
        self.current_version = current_version
        super().__init__(f"the licence is now at version {current_version}")


class IdempotencyKeyReused(DomainError):
    """The same idempotency key came back with a different request."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"idempotency key {key!r} was already used for a different request")
