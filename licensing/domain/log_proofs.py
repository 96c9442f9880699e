"""Checking what the transparency log hands out, offline: a signed checkpoint with the witnesses'
cosignatures, and a statement's tlog-proof (the statement is genuine, and its audit event is in a
tree the log signed and witnesses saw).

Every refusal is an answer with a reason code (for a page to say in the reader's words) and a
technical detail; nothing a person might paste raises.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from licensing.domain import merkle, notes, statement_rules
from licensing.domain.statement_rules import StatementCheck

__all__ = [
    "REFUSALS",
    "Cosigned",
    "LogKeys",
    "OpenedCheckpoint",
    "ProofCheck",
    "check_proof",
    "is_tlog_proof",
    "log_keys",
    "open_log_checkpoint",
]

_SIGNATURE_PREFIX = "\u2014 "  # a signature line starts with an em dash and a space
# Why a proof is refused, as codes a reader's page words: the order is the order they are checked.
REFUSALS = (
    "malformed",  # not a tlog-proof, or one cut short or altered in its form
    "origin",  # the checkpoint is of another log
    "checkpoint",  # the checkpoint is not signed by the log's key (forged, or another key)
    "no_statement",  # the proof carries no statement
    "statement",  # the statement is not one the registry signed, or was altered
    "index",  # the proof is for another position than the statement's event
    "inclusion",  # the path does not lead from the statement's event to the checkpoint's root
)


@dataclass(frozen=True)
class LogKeys:
    """Whom a checkpoint must come from: the log's origin, its signing keys (the current one and
    those it retired) and the witnesses whose cosignatures count."""

    origin: str
    signers: tuple[notes.Verifier, ...]
    witnesses: tuple[notes.Verifier, ...] = ()


def log_keys(vkeys: Iterable[str], witness_vkeys: Iterable[str] = ()) -> LogKeys:
    """The log's keys from vkeys (all of one name: the origin) and its witnesses' cosigner vkeys;
    NoteRefused naming the key that cannot be one."""
    signers = tuple(notes.parse_vkey(text) for text in vkeys)
    if not signers:
        raise notes.NoteRefused("the log's verifier key is needed")
    if any(signer.algorithm != notes.ALG_ED25519 for signer in signers):
        raise notes.NoteRefused("a log's verifier key is an Ed25519 signer's key (type 0x01)")
    origins = {signer.name for signer in signers}
    if len(origins) != 1:
        raise notes.NoteRefused("the log's verifier keys name more than one log")
    witnesses = tuple(notes.parse_vkey(text) for text in witness_vkeys)
    if any(witness.algorithm != notes.ALG_COSIGNATURE_V1 for witness in witnesses):
        raise notes.NoteRefused("a witness's verifier key is a cosigner's key (type 0x04)")
    return LogKeys(origins.pop(), signers, witnesses)


@dataclass(frozen=True)
class Cosigned:
    """A witness whose cosignature of the checkpoint holds, and the time it gave."""

    name: str
    timestamp: int

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)


@dataclass(frozen=True)
class OpenedCheckpoint:
    checkpoint: notes.Checkpoint
    cosigned: tuple[Cosigned, ...]  # the known witnesses whose cosignatures hold
    not_counted: tuple[str, ...]  # names on other signature lines: unknown keys, or not holding


def open_log_checkpoint(note: str | bytes, keys: LogKeys) -> OpenedCheckpoint:
    """A signed checkpoint of the log, once its origin is the log's and one of the log's keys
    signed it; each cosignature is checked on its own, so that one a witness's key does not hold
    is reported, not counted, and never hides the others. NoteRefused with the reason otherwise;
    a checkpoint of another log says so first."""
    found = notes.parse_checkpoint(_note_text(note))
    if found.origin != keys.origin:
        raise _Refused(
            "origin", f"the checkpoint is of the log {found.origin!r}, not {keys.origin}"
        )
    opened = None
    problem = "no signature on the checkpoint is by the log's key"
    for signer in keys.signers:
        try:
            checkpoint, opened = notes.open_checkpoint(note, signer)
            break
        except notes.NoteRefused as error:
            if signer.key_id == _line_key_id(note, signer.name):
                problem = str(error)  # the key it names: why that key's signature failed
    if opened is None:
        raise _Refused("checkpoint", problem)
    cosigned: list[Cosigned] = []
    not_counted: list[str] = []
    for line in opened.unknown:
        timestamp = None
        for witness in keys.witnesses:
            try:
                timestamp = notes.verify_cosignature(line, opened.text, witness)
                if all(seen.name != witness.name for seen in cosigned):  # a witness counts once
                    cosigned.append(Cosigned(witness.name, timestamp))
                break
            except notes.NoteRefused:
                continue
        if timestamp is None:
            not_counted.append(line.removeprefix(_SIGNATURE_PREFIX).split(" ", 1)[0])
    return OpenedCheckpoint(checkpoint, tuple(cosigned), tuple(not_counted))


def _note_text(note: str | bytes) -> str:
    """A note's text, the part its signatures sign (up to the last blank line)."""
    text = note.decode("utf-8", errors="replace") if isinstance(note, bytes) else note
    split = text.rfind("\n\n")
    if split < 0:
        raise notes.NoteRefused("a note has no blank line before its signatures")
    return text[: split + 1]


def _line_key_id(note: str | bytes, name: str) -> bytes | None:
    """The key id on `name`'s first signature line, to tell "signed by another key" apart from "a
    signature of the log's key that does not hold"."""
    text = note.decode("utf-8", errors="replace") if isinstance(note, bytes) else note
    for line in text[len(_note_text(note)) + 1 :].splitlines():
        signer, _, signature = line.removeprefix(_SIGNATURE_PREFIX).partition(" ")
        if signer == name:
            try:
                return base64.b64decode(signature, validate=True)[:4]
            except binascii.Error:
                return None
    return None


class _Refused(notes.NoteRefused):
    def __init__(self, reason: str, problem: str) -> None:
        super().__init__(problem)
        self.reason = reason


@dataclass(frozen=True)
class ProofCheck:
    """The answer to "is this statement genuine, and is its event in the log?"."""

    in_log: bool  # the statement is genuine and the proof leads from its event to a signed tree
    statement: StatementCheck | None  # the statement's own check (None: none could be read)
    position: int | None  # the event's seq: its place in the log, from 1
    size: int | None  # the size of the tree the checkpoint signs
    cosigned: tuple[Cosigned, ...]
    not_counted: tuple[str, ...]
    reason: str | None  # one of REFUSALS, or None when it holds
    problem: str | None  # the technical detail of the refusal

    @property
    def genuine(self) -> bool:
        return self.in_log and self.statement is not None and self.statement.genuine

    @property
    def holds(self) -> bool:
        """Genuine, current (and not superseded, when checked against the register), in the log."""
        return self.genuine and self.statement is not None and self.statement.holds

    @property
    def verdict(self) -> str:
        if not self.in_log:
            return f"refused ({self.reason}): {self.problem}"
        assert self.statement is not None
        seen = ", ".join(c.name for c in self.cosigned) or "no witness"
        where = f"in the log at position {self.position} of a tree of {self.size} ({seen})"
        return f"{self.statement.verdict}; {where}"


def is_tlog_proof(text: str) -> bool:
    """Whether `text` is meant as a tlog-proof (its first line is the header, spaces aside): then
    it is checked, and refused, as one, never mistaken for a statement."""
    return text.lstrip("\ufeff").split("\n", 1)[0].strip() == notes.TLOG_PROOF_HEADER


def check_proof(
    text: str | bytes, keys: LogKeys, jwks: dict[str, Any], at: datetime, issuer: str
) -> ProofCheck:
    """Check a statement's C2SP tlog-proof: its checkpoint is the log's (origin, signature), its
    `extra` a genuine statement of `issuer` about a licence, its index the statement's event
    (seq - 1), and the inclusion path leads from that event's leaf to the checkpoint's root."""
    try:
        proof = notes.parse_tlog_proof(text)
    except notes.NoteRefused as error:
        return _refused("malformed", str(error))
    try:
        opened = open_log_checkpoint(proof.checkpoint, keys)
    except _Refused as error:
        return _refused(error.reason, str(error))
    except notes.NoteRefused as error:
        return _refused("checkpoint", str(error))
    tree = opened.checkpoint
    seen = {"size": tree.size, "cosigned": opened.cosigned, "not_counted": opened.not_counted}
    if proof.extra is None:
        return _refused("no_statement", "the proof has no extra line", **seen)
    try:
        token = proof.extra.decode("ascii")
    except UnicodeDecodeError:
        return _refused("no_statement", "the extra data is not a compact JWS", **seen)
    statement = statement_rules.check(token, jwks, at, issuer)
    if not statement.genuine:
        return _refused("statement", statement.problem, statement=statement, **seen)
    assert statement.claims is not None
    seq = statement.claims["seq"]
    if proof.index != seq - 1:
        problem = f"the proof is for index {proof.index}; the statement's event {seq} is {seq - 1}"
        return _refused("index", problem, statement=statement, position=seq, **seen)
    try:
        leaf = merkle.leaf_hash(bytes.fromhex(statement.claims["hash"]))
        merkle.check_inclusion(proof.index, tree.size, leaf, proof.hashes, tree.root)
    except (ValueError, binascii.Error, merkle.ProofRefused) as error:
        return _refused("inclusion", str(error), statement=statement, position=seq, **seen)
    return ProofCheck(True, statement, seq, tree.size, opened.cosigned, opened.not_counted,
                      None, None)  # fmt: skip


def _refused(
    reason: str,
    problem: str | None,
    *,
    statement: StatementCheck | None = None,
    position: int | None = None,
    size: int | None = None,
    cosigned: Sequence[Cosigned] = (),
    not_counted: Sequence[str] = (),
) -> ProofCheck:
    return ProofCheck(
        False, statement, position, size, tuple(cosigned), tuple(not_counted), reason, problem
    )
