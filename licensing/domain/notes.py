"""The transparency log's text formats, as C2SP specifies them: signed notes and their verifier
keys (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint), Ed25519 cosignatures
(c2sp.org/tlog-cosignature, cosignature/v1) and proofs (c2sp.org/tlog-proof@v1).

Everything here is strict: what the specifications allow is read, anything else is refused with a
reason, never repaired. Where a specification leaves a bound to the reader (how many signatures, how
large a number), the bound is the one Go's golang.org/x/mod/sumdb implementation applies, so that a
note we accept is one an independent verifier accepts too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "TLOG_PROOF_HEADER",
    "Checkpoint",
    "NoteRefused",
    "OpenedNote",
    "TlogProof",
    "Verified",
    "Verifier",
    "checkpoint_body",
    "cosignature_line",
    "cosigner_vkey",
    "format_tlog_proof",
    "inclusion_path_length",
    "key_id",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_tlog_proof",
    "parse_vkey",
    "sign",
    "signature_line",
    "verify_cosignature",
    "vkey",
]

ALG_ED25519 = 0x01  # signed-note: Ed25519 over the note text
ALG_COSIGNATURE_V1 = 0x04  # tlog-cosignature: timestamped Ed25519 over cosignature/v1
# signed-note asks verifiers to bound the number of signatures and to accept at least 16; Go's
# note.Open refuses more than 100, and so do we.
MAX_SIGNATURES = 100
# Tree sizes, indexes and timestamps are int64 in Go's tlog; tlog-cosignature bounds its
# timestamp by 2^63 - 1 in so many words.
MAX_INT63 = 2**63 - 1
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_SIGNATURE_PREFIX = "\u2014 "  # em dash, space
_COSIGNATURE_HEADER = "cosignature/v1\n"
_HASH_SIZE = 32
_ED25519_SIZE = 64
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-fA-F]{8}")


class NoteRefused(ValueError):
    """A note, key, checkpoint or proof that does not follow its specification, or whose signatures
    do not hold; the message says why, for a person to read."""


# --- keys -----------------------------------------------------------------------------------------


def key_id(name: str, algorithm: int, public: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public).digest()[:4]


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _vkey(name: str, algorithm: int, public: bytes) -> str:
    _check_name(name, "a key name")
    encoded = base64.b64encode(bytes([algorithm]) + public).decode()
    return f"{name}+{key_id(name, algorithm, public).hex()}+{encoded}"


def vkey(name: str, public: Ed25519PublicKey) -> str:
    """The verifier key of an Ed25519 note signer: `<name>+<key id hex>+<base64(0x01 || key)>`."""
    return _vkey(name, ALG_ED25519, _raw(public))


def cosigner_vkey(name: str, public: Ed25519PublicKey) -> str:
    """The verifier key of an Ed25519 cosigner (tlog-cosignature): signature type 0x04."""
    return _vkey(name, ALG_COSIGNATURE_V1, _raw(public))


@dataclass(frozen=True)
class Verifier:
    """A key a note may be checked against: name and key ID pick it, the algorithm says how."""

    name: str
    key_id: bytes
    algorithm: int
    public: bytes


def parse_vkey(text: str) -> Verifier:
    """The verifier a vkey names: an Ed25519 signer (0x01) or an Ed25519 cosigner (0x04), whose key
    ID is the one computed from its name and key."""
    name, plus, rest = text.partition("+")
    hex_id, plus2, encoded = rest.partition("+")
    if not (plus and plus2):
        raise NoteRefused("a verifier key is <name>+<key id>+<key>")
    _check_name(name, "the verifier key's name")
    if not _KEY_ID_HEX.fullmatch(hex_id):
        raise NoteRefused("a verifier key's key id is 8 hexadecimal digits")
    key = _b64decode(encoded, "the verifier key")
    if len(key) != 33 or key[0] not in (ALG_ED25519, ALG_COSIGNATURE_V1):
        raise NoteRefused("a verifier key holds 0x01 or 0x04 and a 32-byte Ed25519 public key")
    algorithm, public = key[0], key[1:]
    if key_id(name, algorithm, public) != bytes.fromhex(hex_id):
        raise NoteRefused("the verifier key's key id is not the one its name and key give")
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        raise NoteRefused("the verifier key is not an Ed25519 public key") from None
    return Verifier(name, bytes.fromhex(hex_id), algorithm, public)


# --- signing --------------------------------------------------------------------------------------


def _line(name: str, signature: bytes) -> str:
    return f"{_SIGNATURE_PREFIX}{name} {base64.b64encode(signature).decode()}\n"


def signature_line(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """`— <name> base64(key id || Ed25519 signature of text)` and its newline."""
    _check_text(text)
    _check_name(name, "the signer's name")
    kid = key_id(name, ALG_ED25519, _raw(private.public_key()))
    return _line(name, kid + private.sign(text.encode()))


def sign(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """A signed note: the text, a blank line, and the signature line of `name`'s key."""
    return text + "\n" + signature_line(text, name, private)


def _cosigned_message(body: str, timestamp: int) -> bytes:
    return f"{_COSIGNATURE_HEADER}time {timestamp}\n{body}".encode()


def cosignature_line(
    checkpoint_body: str, name: str, private: Ed25519PrivateKey, timestamp: int
) -> str:
    """A cosignature/v1 line over a checkpoint's note text: `— <name> base64(key id || big-endian
    u64 timestamp || Ed25519 signature)`, the key ID computed with signature type 0x04."""
    parse_checkpoint(checkpoint_body)
    _check_name(name, "the cosigner's name")
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_INT63:
        raise NoteRefused("a cosignature's timestamp is between 0 and 2^63 - 1")
    kid = key_id(name, ALG_COSIGNATURE_V1, _raw(private.public_key()))
    signature = private.sign(_cosigned_message(checkpoint_body, timestamp))
    return _line(name, kid + struct.pack(">Q", timestamp) + signature)


# --- opening notes --------------------------------------------------------------------------------


class Verified(NamedTuple):
    """A signature that held: whose key, and for a cosignature the time the cosigner gave."""

    verifier: Verifier
    timestamp: int | None = None


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: its text, the known keys that signed it, and the
    signature lines of keys we do not know (kept, never trusted)."""

    text: str
    verified: list[Verified]
    unknown: list[str]


@dataclass(frozen=True)
class _SignatureLine:
    line: str
    name: str
    key_id: bytes
    signature: bytes


def _split(note: str | bytes) -> tuple[str, list[_SignatureLine]]:
    """The text and signature lines of a note, checked for form but not for signatures."""
    note = _as_text(note, "a note")
    if any(c < " " and c != "\n" for c in note):
        raise NoteRefused("a note holds no control character but the newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteRefused("a note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteRefused("a note ends with signature lines, each ending in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteRefused(f"a note has at most {MAX_SIGNATURES} signatures")
    return text, [_signature(line) for line in lines]


def _signature(line: str) -> _SignatureLine:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise NoteRefused("a signature line starts with an em dash and a space")
    name, space, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise NoteRefused("a signature line is a key name, a space and a signature")
    _check_name(name, "a signature's key name")
    raw = _b64decode(encoded, "a signature")
    if len(raw) < 5:
        raise NoteRefused("a signature is a 4-byte key id and the signature itself")
    return _SignatureLine(line + "\n", name, raw[:4], raw[4:])


def _verify(verifier: Verifier, text: str, signature: bytes) -> int | None:
    """The cosignature's timestamp (None for a plain signature) if the signature holds."""
    public = Ed25519PublicKey.from_public_bytes(verifier.public)
    timestamp = None
    if verifier.algorithm == ALG_COSIGNATURE_V1:
        if len(signature) != 8 + _ED25519_SIZE:
            raise NoteRefused(f"the cosignature of {verifier.name} is not 72 bytes")
        (timestamp,) = struct.unpack(">Q", signature[:8])
        if timestamp > MAX_INT63:
            raise NoteRefused(f"the cosignature of {verifier.name} has a timestamp past 2^63 - 1")
        message, signature = _cosigned_message(text, timestamp), signature[8:]
    else:
        message = text.encode()
    try:
        public.verify(signature, message)
    except InvalidSignature:
        raise NoteRefused(f"the signature of {verifier.name} does not hold") from None
    return timestamp


def _known(verifiers: Iterable[Verifier]) -> dict[tuple[str, bytes], Verifier]:
    known: dict[tuple[str, bytes], Verifier] = {}
    for verifier in verifiers:
        other = known.setdefault((verifier.name, verifier.key_id), verifier)
        if other != verifier:
            raise NoteRefused(f"two verifiers share the name {verifier.name} and a key id")
    return known


def open_note(note: str | bytes, verifiers: Iterable[Verifier]) -> OpenedNote:
    """The note, once at least one known key's signature holds. A signature whose name and key ID
    match a known key must hold, or the whole note is refused; signatures of unknown keys (even if
    they share a name or a key ID, but not both, with a known one) are kept aside, unverified."""
    text, lines = _split(note)
    known = _known(verifiers)
    verified: list[Verified] = []
    unknown: list[str] = []
    for line in lines:
        verifier = known.get((line.name, line.key_id))
        if verifier is None:
            if line.line not in unknown:
                unknown.append(line.line)
            continue
        timestamp = _verify(verifier, text, line.signature)
        if all(seen.verifier != verifier for seen in verified):
            verified.append(Verified(verifier, timestamp))
    if not verified:
        raise NoteRefused("no signature on the note is by a known key")
    return OpenedNote(text, verified, unknown)


def verify_cosignature(line: str, checkpoint_body: str, verifier: Verifier) -> int:
    """The timestamp of a cosigner's signature line over a checkpoint, once it holds."""
    if verifier.algorithm != ALG_COSIGNATURE_V1:
        raise NoteRefused(f"{verifier.name} is not a cosigner's key")
    parse_checkpoint(checkpoint_body)
    signature = _signature(line.removesuffix("\n"))
    if (signature.name, signature.key_id) != (verifier.name, verifier.key_id):
        raise NoteRefused(f"the line is not signed by {verifier.name}'s key")
    timestamp = _verify(verifier, checkpoint_body, signature.signature)
    assert timestamp is not None
    return timestamp


# --- checkpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: origin, tree size, RFC 6962 root hash, and opaque extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def checkpoint_body(cp: Checkpoint) -> str:
    """The note text of a checkpoint: `<origin>\\n<size>\\n<base64 root>\\n` and any extensions."""
    lines = [cp.origin, str(cp.size), base64.b64encode(cp.root).decode(), *cp.extensions]
    text = "".join(line + "\n" for line in lines)
    if parse_checkpoint(text) != cp:
        raise NoteRefused("the checkpoint cannot be written as tlog-checkpoint text")
    return text


def parse_checkpoint(text: str | bytes) -> Checkpoint:
    """A checkpoint's note text read strictly: at least three non-empty lines, a decimal size
    without leading zeros, a 32-byte root in base64, non-empty extension lines."""
    text = _as_text(text, "a checkpoint")
    _check_text(text)
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteRefused("a checkpoint has an origin, a size and a root hash, a line each")
    if any(line == "" for line in lines):
        raise NoteRefused("a checkpoint has no empty lines")
    origin, size, root, *extensions = lines
    return Checkpoint(
        origin, _decimal(size, "the tree size"), _hash(root, "the root hash"), tuple(extensions)
    )


def open_checkpoint(
    note: str | bytes, log: Verifier, witnesses: Iterable[Verifier] = ()
) -> tuple[Checkpoint, OpenedNote]:
    """A signed checkpoint, once the log's own signature on it holds and its origin is the log's
    key name (as our log signs under its origin). Cosignatures of the given witnesses are checked;
    how many are needed is the caller's policy."""
    if log.algorithm != ALG_ED25519:
        raise NoteRefused(f"{log.name} is not a log's signing key")
    opened = open_note(note, [log, *witnesses])
    if all(seen.verifier != log for seen in opened.verified):
        raise NoteRefused(f"the checkpoint is not signed by the log {log.name}")
    checkpoint = parse_checkpoint(opened.text)
    if checkpoint.origin != log.name:
        raise NoteRefused(f"the checkpoint's origin is not {log.name}")
    return checkpoint, opened


# --- tlog-proof -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlogProof:
    """A c2sp.org/tlog-proof@v1: opaque extra data, the entry's index, its inclusion path (leaf's
    sibling first), and the signed checkpoint (with any cosignatures) the path leads to."""

    extra: bytes | None
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str


def inclusion_path_length(index: int, size: int) -> int:
    """How many hashes RFC 6962's inclusion path of leaf `index` in a tree of `size` leaves has."""
    if not 0 <= index < size:
        raise NoteRefused(f"index {index} is not in a tree of {size} leaves")
    inner = (index ^ (size - 1)).bit_length()
    return inner + (index >> inner).bit_count()


def format_tlog_proof(proof: TlogProof) -> str:
    """The proof as text: header, `extra` (if any), `index`, one base64 hash a line, a blank line,
    then the signed checkpoint verbatim."""
    if proof.extra is not None and not proof.extra:
        raise NoteRefused("extra data, when there is some, is not empty")
    lines = [TLOG_PROOF_HEADER]
    if proof.extra is not None:
        lines.append(f"extra {base64.b64encode(proof.extra).decode()}")
    lines.append(f"index {proof.index}")
    lines.extend(base64.b64encode(h).decode() for h in proof.hashes)
    text = "".join(line + "\n" for line in lines) + "\n" + proof.checkpoint
    if parse_tlog_proof(text) != proof:
        raise NoteRefused("the proof cannot be written as tlog-proof text")
    return text


def parse_tlog_proof(text: str | bytes) -> TlogProof:
    """A tlog-proof read strictly. Its checkpoint is checked for form (a signed note whose text is
    a checkpoint, of a tree holding the index, with a path of exactly the right length), not for
    signatures: that needs the log's key, and is `open_checkpoint`'s work."""
    text = _as_text(text, "a proof")
    head, blank, checkpoint = text.partition("\n\n")
    if not blank:
        raise NoteRefused("a proof has a blank line before its checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteRefused(f"a proof starts with the line {TLOG_PROOF_HEADER}")
    lines = lines[1:]
    extra = None
    if lines and lines[0].startswith("extra "):
        extra = _b64decode(lines.pop(0).removeprefix("extra "), "the extra data")
        if not extra:
            raise NoteRefused("an extra line holds some data")
    if not lines or not lines[0].startswith("index "):
        raise NoteRefused("a proof's index line follows its header (and extra line)")
    index = _decimal(lines.pop(0).removeprefix("index "), "the index")
    hashes = tuple(_hash(line, "a proof hash") for line in lines)
    body, _ = _split(checkpoint)
    size = parse_checkpoint(body).size
    if len(hashes) != inclusion_path_length(index, size):
        raise NoteRefused(
            f"an inclusion path of leaf {index} in a tree of {size} leaves has "
            f"{inclusion_path_length(index, size)} hashes, not {len(hashes)}"
        )
    return TlogProof(extra, index, hashes, checkpoint)


# --- the rules every format shares ----------------------------------------------------------------


def _as_text(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteRefused(f"{what} is not valid UTF-8") from None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteRefused(f"{what} is not valid UTF-8") from None
    return value


def _check_text(text: str) -> None:
    """Note text: UTF-8 ending in a newline, with no control character but the newline."""
    _as_text(text, "the text")
    if not text.endswith("\n"):
        raise NoteRefused("a note's text ends in a newline")
    if any(c < " " and c != "\n" for c in text):
        raise NoteRefused("a note holds no control character but the newline")


def _check_name(name: str, what: str) -> None:
    """Key names: non-empty, no Unicode space, no plus."""
    _as_text(name, what)
    if not name or "+" in name or any(c.isspace() or c < " " for c in name):
        raise NoteRefused(f"{what} is non-empty, without spaces or plus signs")


def _b64decode(encoded: str, what: str) -> bytes:
    """Standard base64, padded, in its one canonical spelling (RFC 4648 section 3.5)."""
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteRefused(f"{what} is not standard base64") from None
    if base64.b64encode(raw).decode() != encoded:
        raise NoteRefused(f"{what} is not canonical base64")
    return raw


def _decimal(value: str, what: str) -> int:
    if not _DECIMAL.fullmatch(value):
        raise NoteRefused(f"{what} is a decimal number without leading zeros")
    number = int(value) if len(value) <= len(str(MAX_INT63)) else MAX_INT63 + 1
    if number > MAX_INT63:
        raise NoteRefused(f"{what} is at most 2^63 - 1")
    return number


def _hash(value: str, what: str) -> bytes:
    raw = _b64decode(value, what)
    if len(raw) != _HASH_SIZE:
        raise NoteRefused(f"{what} is 32 bytes")
    return raw
