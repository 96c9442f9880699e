"""A transparency-log witness written from the C2SP specifications alone, for tests.

It deliberately imports nothing from the `licensing` package: it is a second, independent reading
of the specifications, so a mistake in the registry's log is not repeated here. Only the standard
library, `cryptography` and werkzeug are used.

Specifications followed (the sections are quoted in the comments where a rule is applied):

- c2sp.org/signed-note: note format, key ID, verifier keys (vkeys), Ed25519 type 0x01.
- c2sp.org/tlog-checkpoint: the checkpoint note text (origin, size, root hash, extensions).
- c2sp.org/tlog-cosignature: Ed25519 cosignatures (type 0x04, `cosignature/v1`).
- c2sp.org/tlog-witness: the `add-checkpoint` HTTP call and its status codes.
- RFC 9162 section 2.1.4.2: verifying a consistency proof between two tree heads.

Use in a test::

    with WitnessServer(Witness("witness.example/w1", logs={origin: log_vkey})) as server:
        server.url                      # "http://127.0.0.1:PORT" (the submission prefix)
        server.witness.vkey             # "witness.example/w1+<keyid>+<base64(0x04||pub)>"
        server.down()                   # refuse connections; server.down(mode="503") answers 503
        server.up()                     # serve again on the same port
        server.witness.submission_count # POSTs to add-checkpoint that reached it
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

EM_DASH = "\u2014"
ED25519 = 0x01  # signed-note: "0x01 — Ed25519 signatures"
COSIGNATURE_V1 = 0x04  # signed-note: "0x04 — Timestamped Ed25519 witness cosignatures"
# tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
MAX_PROOF_LINES = 63
MAX_SIGNATURES = 64  # signed-note: verifiers "MUST accept at least up to 16 signatures"
MAX_BODY = 1 << 20
SIZE_TYPE = "text/x.tlog.size"  # tlog-witness, the 409 response
TEXT_TYPE = "text/plain; charset=utf-8"
EMPTY_TREE = hashlib.sha256(b"").digest()  # RFC 6962: MTH({}) = SHA-256()
DECIMAL = re.compile(r"0|[1-9][0-9]*")  # "ASCII decimal with no leading zeroes"


class SpecError(ValueError):
    """An input that breaks one of the specifications."""


# --- encodings -----------------------------------------------------------------------------------


def b64decode(text: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), strictly: padded, canonical, nothing else."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise SpecError(f"not base64: {text!r}") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise SpecError(f"not canonical base64: {text!r}")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def parse_decimal(text: str) -> int:
    if not DECIMAL.fullmatch(text):
        raise SpecError(f"not a decimal with no leading zeroes: {text!r}")
    return int(text)


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- signed-note ---------------------------------------------------------------------------------


def check_key_name(name: str) -> None:
    # signed-note: "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus
    # (U+002B) characters."
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise SpecError(f"bad key name: {name!r}")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """signed-note: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([signature_type]) + public_key
    ).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A vkey: `<name>+<key ID, 8 hex>+<base64(type byte || public key)>`."""

    name: str
    key_id: bytes
    signature_type: int
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str, signature_type: int) -> VerifierKey:
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise SpecError(f"a vkey is name+hash+key: {vkey!r}")
        name, hash_hex, key_b64 = parts
        check_key_name(name)
        if not re.fullmatch(r"[0-9a-f]{8}", hash_hex):
            raise SpecError(f"a vkey's key ID is 8 lowercase hex digits: {hash_hex!r}")
        material = b64decode(key_b64)
        if not material or material[0] != signature_type:
            raise SpecError(
                f"vkey of signature type {material[:1].hex()}, {signature_type:#04x} expected"
            )
        public_key = material[1:]
        if len(public_key) != 32:
            raise SpecError("an Ed25519 public key is 32 bytes")
        kid = key_id(name, signature_type, public_key)
        if kid.hex() != hash_hex:
            raise SpecError(f"vkey key ID {hash_hex} is not {kid.hex()}")
        return cls(name, kid, signature_type, public_key)

    def __str__(self) -> str:
        material = bytes([self.signature_type]) + self.public_key
        return f"{self.name}+{self.key_id.hex()}+{b64encode(material)}"

    def ed25519(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes  # after the key ID

    def line(self) -> str:
        return f"{EM_DASH} {self.name} {b64encode(self.key_id + self.signature)}\n"


def check_note_characters(text: str) -> None:
    # signed-note: "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control
    # characters (those below U+0020) other than newline."
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise SpecError("a note holds an ASCII control character")


def parse_signature_line(line: str) -> NoteSignature:
    """One `— <key name> <base64(key ID || signature)>` line, without its newline."""
    prefix = EM_DASH + " "
    if not line.startswith(prefix):
        raise SpecError(f"a signature line starts with an em dash and a space: {line!r}")
    rest = line[len(prefix) :].split(" ")
    if len(rest) != 2:
        raise SpecError(f"a signature line is '— name signature': {line!r}")
    name, sig_b64 = rest
    check_key_name(name)
    raw = b64decode(sig_b64)
    # signed-note: "Signatures are the base64 encoding of 4+n bytes."
    if len(raw) < 5:
        raise SpecError("a signature is a 4-byte key ID and at least one byte")
    return NoteSignature(name, raw[:4], raw[4:])


def parse_note(note: str) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text (with the final newline) and its signatures.

    signed-note: "a text ending in newline (U+000A), followed by a blank line (only a newline),
    followed by one or more signature lines [...] The note text MAY contain empty lines; the text
    is separated from the signatures by the last empty line in the note."
    """
    check_note_characters(note)
    if not note.endswith("\n"):
        raise SpecError("a signed note ends in a newline")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise SpecError("a signed note has a blank line before its signatures")
    text, block = note[: cut + 1], note[cut + 2 :]
    lines = block.split("\n")[:-1]
    if not lines:
        raise SpecError("a signed note has at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise SpecError("too many signatures")
    return text, [parse_signature_line(line) for line in lines]


def verify_ed25519_note(
    text: str, signatures: Iterable[NoteSignature], keys: Iterable[VerifierKey]
) -> int:
    """How many signatures from `keys` (type 0x01) verify over `text`.

    signed-note: "Verifiers MUST ignore signatures from unknown keys, even if they share a name or
    ID (but not both) with a known key. If the key name and ID match a known key, verifiers MUST
    verify the signature. If a signature from a known key fails to verify, clients SHOULD reject
    the whole note." A known key's failing signature raises SpecError.
    """
    known = {(k.name, k.key_id): k for k in keys}
    good = 0
    for sig in signatures:
        key = known.get((sig.name, sig.key_id))
        if key is None:
            continue
        try:
            key.ed25519().verify(sig.signature, text.encode("utf-8"))
        except InvalidSignature as exc:
            raise SpecError(f"the signature of known key {sig.name} does not verify") from exc
        good += 1
    return good


# --- tlog-checkpoint -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]
    text: str  # the note text, final newline included

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        # tlog-checkpoint: "a sequence of at least three non-empty lines, separated by newlines"
        if not text.endswith("\n"):
            raise SpecError("a checkpoint's text ends in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise SpecError("a checkpoint is at least three non-empty lines")
        origin, size_line, root_line, *extensions = lines
        root = b64decode(root_line)
        if len(root) != 32:
            raise SpecError("a checkpoint's root hash is 32 bytes")
        return cls(origin, parse_decimal(size_line), root, tuple(extensions), text)


# --- RFC 9162 section 2.1.4.2 -------------------------------------------------------------------


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2, for 0 < first < second; the other cases as C2SP merkle-tree states
    them (first == second: empty proof, equal roots; first == 0: empty proof)."""
    if first > second:
        return False
    if first == second:
        return not path and first_hash == second_hash
    if first == 0:
        return not path
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    path = list(path)
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
            # is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        # Otherwise: Set sr to HASH(0x01 || sr || c).
        else:
            sr = node_hash(sr, c)
        # Finally, right-shift both fn and sn one time.
        fn, sn = fn >> 1, sn >> 1
    # 7. Verify that the fr calculated is equal to the first_hash supplied, that the sr calculated
    # is equal to the second_hash supplied, and that sn is 0.
    return fr == first_hash and sr == second_hash and sn == 0


# --- tlog-cosignature ----------------------------------------------------------------------------


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """tlog-cosignature, "Ed25519 signed message": `cosignature/v1\\n`, `time <ts>\\n`, then the
    whole note body of the cosigned checkpoint (final newline included, no signature lines)."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_text.encode("utf-8")


def verify_cosignature(checkpoint_text: str, line: str, vkey: str) -> int:
    """Verify one cosignature line (with or without its newline) from the witness `vkey`
    (type 0x04) over the checkpoint text. Returns its timestamp; raises SpecError otherwise.

    tlog-cosignature: the signature is `timestamped_signature` = u64 timestamp (big-endian) ||
    ed25519_signature[64], after the 4-byte key ID SHA-256(<name> || "\\n" || 0x04 || key)[:4].
    """
    key = VerifierKey.parse(vkey, COSIGNATURE_V1)
    sig = parse_signature_line(line.removesuffix("\n"))
    if (sig.name, sig.key_id) != (key.name, key.key_id):
        raise SpecError(f"the line is not from {key.name}+{key.key_id.hex()}")
    if len(sig.signature) != 8 + 64:
        raise SpecError("a cosignature is an 8-byte timestamp and a 64-byte Ed25519 signature")
    (timestamp,) = struct.unpack(">Q", sig.signature[:8])
    if timestamp > 2**63 - 1:
        raise SpecError("a cosignature's timestamp MUST NOT exceed 2^63 - 1")
    try:
        key.ed25519().verify(sig.signature[8:], cosignature_message(checkpoint_text, timestamp))
    except InvalidSignature as exc:
        raise SpecError("the cosignature does not verify") from exc
    return timestamp


def verify_cosigned_checkpoint(
    note: str, log_vkeys: Iterable[str], witness_vkeys: Iterable[str]
) -> dict[str, int]:
    """Verify a whole checkpoint note as a client would: at least one log signature (0x01) and,
    for every witness vkey given, one valid cosignature. Returns {witness vkey: timestamp}.
    Signatures from keys not given are ignored, as signed-note requires."""
    text, sigs = parse_note(note)
    Checkpoint.parse(text)
    logs = [VerifierKey.parse(v, ED25519) for v in log_vkeys]
    if verify_ed25519_note(text, sigs, logs) == 0:
        raise SpecError("no log signature verifies")
    found: dict[str, int] = {}
    for vkey in witness_vkeys:
        key = VerifierKey.parse(vkey, COSIGNATURE_V1)
        mine = [s for s in sigs if (s.name, s.key_id) == (key.name, key.key_id)]
        if not mine:
            raise SpecError(f"no cosignature from {key.name}")
        for s in mine:
            found[vkey] = verify_cosignature(text, s.line(), vkey)
    return found


# --- the witness ---------------------------------------------------------------------------------


class WitnessRefusal(Exception):
    def __init__(self, status: int, message: str, content_type: str = TEXT_TYPE) -> None:
        super().__init__(message)
        self.status = status
        self.body = message if message.endswith("\n") else message + "\n"
        self.content_type = content_type


@dataclass(frozen=True)
class Submission:
    """One POST to add-checkpoint, as received."""

    status: int
    body: bytes
    origin: str | None = None
    old: int | None = None
    size: int | None = None


@dataclass
class _Record:
    size: int
    root: bytes


@dataclass
class Witness:
    """A witness: a name, an Ed25519 key, the logs it witnesses, and its record of each log.

    `logs` maps an origin to the log's vkey (or a list of vkeys), all of signature type 0x01.
    `state_path`, if given, is a JSON file the record is loaded from and written to on each
    cosigning. `clock` gives the POSIX time used for timestamps.
    """

    name: str
    logs: Mapping[str, str | Iterable[str]] = field(default_factory=dict)
    private_key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    state_path: Path | None = None
    clock: Callable[[], float] = time.time
    unavailable: bool = False  # answer 503 to every request

    def __post_init__(self) -> None:
        check_key_name(self.name)
        self._lock = threading.Lock()
        self._keys: dict[str, list[VerifierKey]] = {}
        self._records: dict[str, _Record] = {}
        self.submissions: list[Submission] = []
        for origin, vkeys in dict(self.logs).items():
            self.add_log(origin, *([vkeys] if isinstance(vkeys, str) else vkeys))
        if self.state_path is not None and Path(self.state_path).exists():
            saved = json.loads(Path(self.state_path).read_text())
            for origin, rec in saved.items():
                self._records[origin] = _Record(rec["size"], b64decode(rec["root"]))

    # configuration and identity

    def add_log(self, origin: str, *vkeys: str) -> None:
        if not origin:
            raise SpecError("an origin is non-empty")
        keys = [VerifierKey.parse(v, ED25519) for v in vkeys]
        with self._lock:
            self._keys.setdefault(origin, []).extend(keys)

    @property
    def public_key(self) -> bytes:
        return raw_public_key(self.private_key.public_key())

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, COSIGNATURE_V1, self.public_key)

    @property
    def vkey(self) -> str:
        """tlog-cosignature: a vkey of signature type 0x04 over the 32-byte public key."""
        return str(VerifierKey(self.name, self.key_id, COSIGNATURE_V1, self.public_key))

    def latest(self, origin: str) -> tuple[int, bytes] | None:
        """The (size, root) it last cosigned for `origin`, or None."""
        with self._lock:
            rec = self._records.get(origin)
            return None if rec is None else (rec.size, rec.root)

    @property
    def submission_count(self) -> int:
        with self._lock:
            return len(self.submissions)

    # cosigning

    def cosign(self, checkpoint_text: str) -> str:
        """A cosignature line over a checkpoint's text, timestamped now."""
        timestamp = int(self.clock())
        signature = self.private_key.sign(cosignature_message(checkpoint_text, timestamp))
        timestamped = struct.pack(">Q", timestamp) + signature
        return NoteSignature(self.name, self.key_id, timestamped).line()

    def add_checkpoint(self, body: bytes) -> tuple[int, str, str]:
        """Handle an add-checkpoint request body: (status, content type, response body)."""
        with self._lock:
            sub: dict[str, object] = {}
            try:
                status, content_type, text = 200, TEXT_TYPE, self._add_checkpoint(body, sub)
            except WitnessRefusal as refusal:
                status, content_type, text = refusal.status, refusal.content_type, refusal.body
            self.submissions.append(Submission(status, body, **sub))  # type: ignore[arg-type]
            return status, content_type, text

    def _add_checkpoint(self, body: bytes, sub: dict[str, object]) -> str:
        try:
            request = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WitnessRefusal(400, "the body is not UTF-8") from exc
        # tlog-witness: "an old size line, zero or more consistency proof lines, and an empty
        # line, followed by a checkpoint. Each line MUST terminate in a newline character."
        head, sep, note = request.partition("\n\n")
        if not sep:
            raise WitnessRefusal(400, "no empty line before the checkpoint")
        head_lines = head.split("\n")
        old_match = re.fullmatch(r"old (0|[1-9][0-9]*)", head_lines[0])
        if not old_match:
            raise WitnessRefusal(400, "the first line is `old <size>`")
        old = int(old_match.group(1))
        sub["old"] = old
        proof_lines = head_lines[1:]
        if len(proof_lines) > MAX_PROOF_LINES:
            raise WitnessRefusal(400, "more than 63 consistency proof lines")
        try:
            proof = [b64decode(line) for line in proof_lines]
            if any(len(h) != 32 for h in proof):
                raise SpecError("a proof line is a 32-byte hash")
            text, signatures = parse_note(note)
            checkpoint = Checkpoint.parse(text)
        except SpecError as exc:
            raise WitnessRefusal(400, str(exc)) from exc
        sub["origin"], sub["size"] = checkpoint.origin, checkpoint.size

        # "If the checkpoint origin is unknown, the witness MUST respond with 404 Not Found."
        keys = self._keys.get(checkpoint.origin)
        if not keys:
            raise WitnessRefusal(404, f"unknown origin {checkpoint.origin}")
        # "If none of the signatures verify against a trusted public key, the witness MUST
        # respond with 403 Forbidden." (A known key's bad signature rejects the note too.)
        try:
            verified = verify_ed25519_note(text, signatures, keys)
        except SpecError as exc:
            raise WitnessRefusal(403, str(exc)) from exc
        if verified == 0:
            raise WitnessRefusal(403, "no signature from a trusted log key")
        # "The old size MUST be equal to or lower than the checkpoint size. Otherwise, 400."
        if old > checkpoint.size:
            raise WitnessRefusal(400, f"old size {old} is above the checkpoint size")
        # "The witness MUST check that the old size matches the size of the latest checkpoint it
        # cosigned for the checkpoint's origin (or zero if it never cosigned a checkpoint for
        # that origin). If it doesn't match, 409 Conflict. The response body MUST consist of the
        # tree size of the latest cosigned checkpoint in decimal, followed by a newline. The
        # response MUST have a Content-Type of text/x.tlog.size."
        record = self._records.get(checkpoint.origin)
        latest_size = record.size if record else 0
        latest_root = record.root if record else EMPTY_TREE
        if old != latest_size:
            raise WitnessRefusal(409, f"{latest_size}\n", SIZE_TYPE)
        # "If the old size matches the checkpoint size, the witness MUST check that the root
        # hashes are also identical. If they don't match, 409 Conflict." With no record, the
        # old tree is the empty one, whose root is SHA-256 of the empty string.
        if old == checkpoint.size and checkpoint.root != latest_root:
            raise WitnessRefusal(409, f"{latest_size}\n", SIZE_TYPE)
        # "The proof MUST be empty if the old size is zero. If the Merkle Consistency Proof
        # doesn't verify, 422 Unprocessable Entity."
        if not verify_consistency(old, checkpoint.size, latest_root, checkpoint.root, proof):
            raise WitnessRefusal(422, "the consistency proof does not verify")
        # "the witness MUST update its record of the latest cosigned checkpoint" and "MUST
        # persist the new checkpoint before responding", atomically with the check (the lock).
        self._records[checkpoint.origin] = _Record(checkpoint.size, checkpoint.root)
        self._persist()
        return self.cosign(checkpoint.text)

    def _persist(self) -> None:
        if self.state_path is None:
            return
        path = Path(self.state_path)
        data = {o: {"size": r.size, "root": b64encode(r.root)} for o, r in self._records.items()}
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, path)

    # HTTP

    def wsgi(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        request = Request(environ)
        response = self._respond(request)
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        if request.path != "/add-checkpoint":
            return Response("not found\n", 404, content_type=TEXT_TYPE)
        if request.method != "POST":
            # "The request MUST be an HTTP POST."
            return Response("POST only\n", 405, content_type=TEXT_TYPE, headers={"Allow": "POST"})
        if request.content_length is not None and request.content_length > MAX_BODY:
            return Response("too large\n", 413, content_type=TEXT_TYPE)
        body = request.get_data(cache=False)
        if self.unavailable:
            with self._lock:
                self.submissions.append(Submission(503, body))
            return Response("unavailable\n", 503, content_type=TEXT_TYPE)
        status, content_type, text = self.add_checkpoint(body)
        return Response(text, status, content_type=content_type)


class WitnessServer:
    """A witness served over HTTP on 127.0.0.1, on an ephemeral port, in a background thread.

    `url` is its submission prefix: POST `url + "/add-checkpoint"`. `down()` makes it refuse
    connections (the listening socket is closed); `down(mode="503")` keeps it listening but
    answering 503 Service Unavailable; `up()` undoes either, on the same port.
    """

    def __init__(self, witness: Witness, host: str = "127.0.0.1", port: int = 0) -> None:
        self.witness = witness
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> WitnessServer:
        if self._server is not None:
            return self
        server = make_server(self.host, self.port, self.witness.wsgi, threaded=True)
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True, name="witness")
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def down(self, mode: str = "refuse") -> None:
        if mode == "refuse":
            self.stop()
        elif mode == "503":
            self.witness.unavailable = True
        else:
            raise ValueError("mode is 'refuse' or '503'")

    def up(self) -> None:
        self.witness.unavailable = False
        self.start()

    def __enter__(self) -> WitnessServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serving(witness: Witness) -> Iterator[WitnessServer]:
    """For a pytest fixture: `yield from serving(Witness(...))`."""
    with WitnessServer(witness) as server:
        yield server
