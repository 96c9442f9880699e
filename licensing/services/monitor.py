"""Following a registry's transparency log from outside, as an auditor's cron job does: fetch its
signed checkpoint, prove from its C2SP tiles alone that it extends the checkpoint kept from the
last run, check the new entries (and, given an export of the trail, that they are its events),
and keep the new checkpoint only when all of that held.

Nothing the log serves is trusted on its word: not its JSON proofs (never asked for), not its
tiles until they make the signed root, not its entries until they make it too. The one thing
taken on trust is the log's key on a first run without --vkey, and the caller is told so."""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from licensing.domain import merkle, notes
from licensing.domain.merkle import TILE_WIDTH, Tile
from licensing.domain.tile_proofs import (
    ProofRefused,
    TiledTree,
    TilesRefused,
    check_entries,
    check_entry,
    check_growth,
    read_entries,
)
from licensing.domain.trail import Checkpoint as TrailAnchor
from licensing.fastpaths.trail_parallel import check_export

TIMEOUT = 10.0  # seconds for each request: connecting, and each read
STATE_FORMAT = "licensing-log-monitor/1"
_MAX_NOTE = 64 << 10  # a checkpoint with a hundred signature lines is well under this
_MAX_JSON = 1 << 20
_ENTRY_SIZE = merkle.HASH_SIZE  # our log's leaves are the events' 32-byte hashes
_MAX_TILE = TILE_WIDTH * merkle.HASH_SIZE
_MAX_BUNDLE = TILE_WIDTH * (2 + _ENTRY_SIZE)


class MonitorFailure(Exception):
    """Why a run did not keep the new checkpoint, in words for the person reading cron's mail."""


class Forked(MonitorFailure):
    """The signed tree does not extend the kept one: same size and another root, or a larger
    tree without the kept one in it."""


class Shrunk(MonitorFailure):
    """The log signs a smaller tree than the one kept."""


class KeyRefused(MonitorFailure):
    """The checkpoint is not signed by a trusted key, or its signature does not hold."""


class LogMalformed(MonitorFailure):
    """The log answered, but with something that is not what its signed tree serves."""


class Unreachable(MonitorFailure):
    """The log could not be asked: refused, timed out, broke off, or answered 5xx or 429."""


class ExportRefused(MonitorFailure):
    """The export's chain does not hold, or its events are not the log's new entries."""


class StateUnusable(MonitorFailure):
    """The state file cannot be read or written."""


@dataclass(frozen=True)
class Kept:
    """What a run keeps for the next: the checkpoint as signed, and the keys trusted."""

    origin: str
    size: int
    root: bytes
    checkpoint: str  # the signed note, as served
    vkeys: tuple[str, ...]


@dataclass(frozen=True)
class Followed:
    old_size: int | None  # None on a first run
    new_size: int
    entries_checked: int
    export_checked: int  # entries matched to the export's events (0 without one)
    trusted_on_first_use: str | None  # the vkey taken from the log itself, on a first run


def follow(
    url: str,
    state: Path,
    vkeys: Sequence[str] = (),
    export: BinaryIO | None = None,
    timeout: float = TIMEOUT,
) -> Followed:
    """One monitoring run against the log at `url` (the registry's base), keeping its state in
    `state`; a MonitorFailure subclass says what did not hold, and then the state is untouched."""
    kept = load(state)
    log = _Log(url, timeout)
    trusted, first_use = _trusted(kept, vkeys, log)
    note = log.text("/log/checkpoint")
    checkpoint = _opened(note, trusted, kept)
    old, old_root = (kept.size, kept.root) if kept else (0, merkle.EMPTY_ROOT)
    if checkpoint.size < old:
        raise Shrunk(
            f"the log shrank: it signs a tree of {checkpoint.size} entries, but one of {old} was "
            f"kept: {old - checkpoint.size} signed events are missing (it was restored from an "
            "older backup, failed over to a standby that lacked them, or entries were removed)"
        )
    tree = TiledTree(checkpoint.size, log.tile)
    try:
        check_growth(old, old_root, tree, checkpoint.root)
        # with an export, the entry before the new ones too: an export may start just after it
        start = old - 1 if export is not None and old else old
        entries = _entries(log, start, checkpoint.size)
        if start < old:
            check_entry(tree, start, entries[0], checkpoint.root)
        if checkpoint.size > old:
            check_entries(tree, old, old_root, entries[old - start :], checkpoint.root)
    except ProofRefused as refused:
        raise Forked(
            f"fork: the log's tree of {checkpoint.size} is inconsistent with the tree of {old} "
            f"kept: {refused}"
        ) from None
    except TilesRefused as refused:
        raise LogMalformed(f"malformed log data: {refused}") from None
    matched = _check_export(export, start, old, entries) if export is not None else 0
    signed = note.decode("utf-8")  # open_checkpoint read it as UTF-8
    save(state, Kept(checkpoint.origin, checkpoint.size, checkpoint.root, signed, trusted))
    return Followed(
        None if kept is None else old, checkpoint.size, checkpoint.size - old, matched, first_use
    )


# The keys and the checkpoint


def log_verifier(vkey: str) -> notes.Verifier:
    """A log's vkey read (an Ed25519 signer's, type 0x01); NoteRefused for any other."""
    verifier = notes.parse_vkey(vkey)
    if verifier.algorithm != notes.ALG_ED25519:
        raise notes.NoteRefused(f"{vkey} is not a log's signing key (a witness's, perhaps)")
    return verifier


def _trusted(
    kept: Kept | None, given: Sequence[str], log: _Log
) -> tuple[tuple[str, ...], str | None]:
    """The keys to check the checkpoint with: those given, else those kept, else (a first run)
    the one the log names for itself, which is then trusted on first use."""
    if given:
        return tuple(dict.fromkeys(given)), None
    if kept is not None:
        return kept.vkeys, None
    described = log.json("/api/v1/log")
    vkey = described.get("vkey") if isinstance(described, dict) else None
    try:
        log_verifier(vkey if isinstance(vkey, str) else "")
    except notes.NoteRefused as refused:
        raise LogMalformed(f"/api/v1/log names no usable vkey: {refused}") from None
    return (vkey,), vkey  # type: ignore[return-value]


def _opened(note: bytes, trusted: Sequence[str], kept: Kept | None) -> notes.Checkpoint:
    text = note.decode("utf-8", "replace")
    try:
        notes.parse_checkpoint(text[: text.rfind("\n\n") + 1])
        notes.open_note(note, [])  # its form only: with no key given, no signature is known
    except notes.NoteRefused as refused:
        if str(refused) != "no signature on the note is by a known key":
            raise LogMalformed(f"malformed checkpoint: {refused}") from None
    reasons = []
    for vkey in trusted:
        try:
            checkpoint, _ = notes.open_checkpoint(note, log_verifier(vkey))
        except notes.NoteRefused as refused:
            reasons.append(str(refused))
            continue
        if kept is not None and checkpoint.origin != kept.origin:
            raise KeyRefused(
                f"the checkpoint is for the log {checkpoint.origin}, not {kept.origin} followed"
            )
        return checkpoint
    hint = ""
    if "no signature on the note is by a known key" in reasons:
        hint = " (if the log changed its key, check its new vkey out of band, give it with --vkey)"
    raise KeyRefused(f"bad signature or unknown key: {'; '.join(dict.fromkeys(reasons))}{hint}")


# Entries and the export


def _entries(log: _Log, start: int, end: int) -> list[bytes]:
    """The log's entries [start, end), from its entry bundles, each the 32 bytes of an event's
    hash."""
    entries: list[bytes] = []
    for n in range(start // TILE_WIDTH, -(-end // TILE_WIDTH)):
        bundle = Tile(0, n, min(TILE_WIDTH, end - n * TILE_WIDTH))
        entries.extend(read_entries(log.entries(bundle), bundle))
    entries = entries[start % TILE_WIDTH :]
    for leaf, entry in enumerate(entries, start=start):
        if len(entry) != _ENTRY_SIZE:
            raise TilesRefused(f"entry {leaf} is {len(entry)} bytes, not an event's hash")
    return entries


def _check_export(export: BinaryIO, start: int, old: int, entries: Sequence[bytes]) -> int:
    """How many new entries (from `old`) the export's events matched. Its chain is checked by
    audit verify-export's check, each log entry (from `start`) standing as a kept checkpoint of
    its event: entry i is the hash of the event seq i + 1. So the export must hold, reach the
    log's size, and start no later than the first new event."""
    anchors = [TrailAnchor(leaf + 1, entry.hex()) for leaf, entry in enumerate(entries, start)]
    walk = check_export(export, anchors)
    end = start + len(entries)
    head = walk.head.seq if walk.head else 0
    if walk.finding is None:
        first = head - walk.lines + 1
        if first > old + 1:
            raise ExportRefused(
                f"the export starts at seq {first}, after the first new event (seq {old + 1}): "
                f"export from seq {old + 1} or earlier"
            )
        return end - old
    if walk.finding.line is None and head < end:
        raise ExportRefused(
            f"the export ends at seq {head} but the log holds {end} entries: the log grew after "
            "the export was taken (export again and rerun), or the export is cut short"
        )
    where = f"line {walk.finding.line}" if walk.finding.line else "its end"
    raise ExportRefused(
        f"the export does not hold at {where} (seq {walk.finding.seq}): {walk.finding.problem} "
        "(the log's entries stand as the kept checkpoints)"
    )


# The state file


def load(path: Path) -> Kept | None:
    """The state kept by the last run; None when there is none yet (a first run)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateUnusable(f"cannot read the state file {path}: {error.strerror}") from None
    try:
        fields = json.loads(raw)
        if fields.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} file")
        kept = Kept(
            fields["origin"],
            fields["size"],
            base64.b64decode(fields["root"], validate=True),
            fields["checkpoint"],
            tuple(fields["vkeys"]),
        )
        text = kept.checkpoint[: kept.checkpoint.rfind("\n\n") + 1]
        body = notes.parse_checkpoint(text)
        for vkey in kept.vkeys:
            log_verifier(vkey)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
        raise StateUnusable(
            f"the state file {path} is not one this command wrote: {error}"
        ) from error
    if (body.origin, body.size, body.root) != (kept.origin, kept.size, kept.root) or not kept.vkeys:
        raise StateUnusable(f"the state file {path} disagrees with the checkpoint it holds")
    return kept


def save(path: Path, kept: Kept) -> None:
    """Replace the state file whole (a new file renamed over it), so a crash leaves the old one."""
    fields = {
        "format": STATE_FORMAT,
        "origin": kept.origin,
        "size": kept.size,
        "root": base64.b64encode(kept.root).decode(),
        "checkpoint": kept.checkpoint,
        "vkeys": list(kept.vkeys),
    }
    folder = path.resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(fields, file, indent=2)
                file.write("\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as error:
        raise StateUnusable(f"cannot write the state file {path}: {error.strerror}") from None


# Asking the log


def log_url(url: str) -> str:
    """The registry's base URL, without a trailing slash; ValueError for one that is not
    http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("the log's URL is the registry's base, http:// or https://")
    return url.rstrip("/")


class _Log:
    """The log at a registry's base URL, over HTTP(S), each request bounded in time and size."""

    def __init__(self, url: str, timeout: float) -> None:
        self.base = log_url(url)
        self.timeout = timeout

    def text(self, path: str) -> bytes:
        return self._found(path, _MAX_NOTE)

    def json(self, path: str) -> Any:
        try:
            return json.loads(self._found(path, _MAX_JSON))
        except ValueError:
            raise LogMalformed(f"{path} is not JSON") from None

    def _found(self, path: str, limit: int) -> bytes:
        try:
            return self._get(path, limit)
        except _NotServed:
            raise LogMalformed(
                f"{self.base}{path} answered 404: is {self.base} the registry's base URL?"
            ) from None

    def tile(self, tile: Tile) -> bytes:
        return self._tile(f"/log/tile/{tile.level}/", tile, merkle.HASH_SIZE, _MAX_TILE)

    def entries(self, bundle: Tile) -> bytes:
        return self._tile("/log/tile/entries/", bundle, None, _MAX_BUNDLE)

    def _tile(self, prefix: str, tile: Tile, item: int | None, limit: int) -> bytes:
        """A tile at its width; where a partial one is gone (tlog-tiles lets a log delete it once
        the full tile is there), the full tile's first hashes."""
        try:
            return self._get(prefix + merkle.tile_path(tile.index, tile.width), limit)
        except _NotServed:
            if tile.full or item is None:
                raise LogMalformed(
                    f"the log does not serve {prefix}{merkle.tile_path(tile.index, tile.width)}, "
                    "which its signed tree holds"
                ) from None
        try:
            return self._get(prefix + merkle.tile_path(tile.index), limit)[: tile.width * item]
        except _NotServed:
            raise LogMalformed(
                f"the log serves neither {prefix}{merkle.tile_path(tile.index, tile.width)} nor "
                "its full tile, which its signed tree holds"
            ) from None

    def _get(self, path: str, limit: int) -> bytes:
        request = urllib.request.Request(
            self.base + path, headers={"User-Agent": "licensing-log-monitor"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(limit + 1)
        except urllib.error.HTTPError as error:
            error.close()  # it holds the connection
            if error.code == 404:
                raise _NotServed(path) from None
            if error.code >= 500 or error.code == 429:
                raise Unreachable(f"unreachable: {path} answered HTTP {error.code}") from None
            raise LogMalformed(f"{path} answered HTTP {error.code}") from None
        except urllib.error.URLError as error:
            raise Unreachable(f"unreachable: {self.base}: {error.reason}") from None
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
            reason = str(error) or type(error).__name__
            raise Unreachable(f"unreachable: {self.base}{path}: {reason}") from None
        if len(body) > limit:
            raise LogMalformed(f"{path} is larger than {limit} bytes")
        return body


class _NotServed(LookupError):
    """A 404: for the checkpoint, no log there; for a tile, one the log should have."""
