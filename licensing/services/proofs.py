"""Check a statement's tlog-proof, or a checkpoint of the log, against the registry's own log
(its keys and witnesses, as configured) or against keys a relying party was given."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from licensing import clock
from licensing.domain import log_proofs
from licensing.domain.log_proofs import LogKeys, OpenedCheckpoint, ProofCheck
from licensing.domain.statement_rules import StatementRules
from licensing.domain.transparency import LogSettings
from licensing.services import signing, transparency
from licensing.services.signing import Signer

__all__ = ["LogKeys", "ProofCheck", "check", "given_keys", "open_checkpoint", "registry_keys"]


def registry_keys(signer: Signer, settings: LogSettings) -> LogKeys:
    """The registry's own log: its origin, its current and retired keys, its witnesses."""
    vkeys = [transparency.log_vkey(signer, settings), *transparency.retired_vkeys(settings)]
    return log_proofs.log_keys(vkeys, [w.vkey for w in settings.witnesses])


def check(
    text: str | bytes,
    rules: StatementRules,
    keys: LogKeys,
    jwks: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ProofCheck:
    """Whether a tlog-proof holds a genuine statement of the registry (`rules.issuer`) that is in
    the log `keys` names, checked at `at` (default: now) against `jwks` (default: the registry's
    own public keys, retired ones included)."""
    return log_proofs.check_proof(
        text, keys, signing.jwks() if jwks is None else jwks, at or clock.now(), rules.issuer
    )


def open_checkpoint(note: str | bytes, keys: LogKeys) -> OpenedCheckpoint:
    """A signed checkpoint of the log `keys` names; NoteRefused with the reason otherwise."""
    return log_proofs.open_log_checkpoint(note, keys)


def given_keys(vkeys: Sequence[str], witness_vkeys: Sequence[str] = ()) -> LogKeys:
    """A log's keys as a relying party was given them; NoteRefused for a key that is not one."""
    return log_proofs.log_keys(vkeys, witness_vkeys)
