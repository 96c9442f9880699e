"""The transparency log's settings: its origin, and the witnesses it submits checkpoints to."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from licensing.domain import notes


@dataclass(frozen=True)
class Witness:
    name: str
    vkey: str  # C2SP vkey of its cosignatures (tlog-cosignature, type 0x04)
    url: str  # its tlog-witness prefix: checkpoints are POSTed to <url>/add-checkpoint

    @property
    def verifier(self) -> notes.Verifier:
        return notes.parse_vkey(self.vkey)


@dataclass(frozen=True)
class LogSettings:
    origin: str
    witnesses: tuple[Witness, ...] = ()
    interval: int = 60  # seconds between submissions to a witness, at most one per interval
    quorum: int = 0  # serve the newest checkpoint at least this many witnesses cosigned


def default_origin(base_url: str) -> str:
    """The host (and port) of the registry's address, then /licensing."""
    parts = urlsplit(base_url)
    host = parts.hostname or "localhost"
    return f"{host}:{parts.port}/licensing" if parts.port else f"{host}/licensing"


def parse_witnesses(text: str) -> tuple[Witness, ...]:
    """`name vkey url` for each witness, the witnesses separated by commas or new lines; ValueError
    naming what is wrong. A witness's name is the name its vkey carries: its cosignature lines are
    signed under it."""
    witnesses: list[Witness] = []
    for entry in (part.strip() for part in text.replace("\n", ",").split(",")):
        if not entry or entry == "none":
            continue
        fields = entry.split()
        if len(fields) != 3:
            raise ValueError(f"{entry!r} is not `name vkey url`")
        name, vkey, url = fields
        try:
            verifier = notes.parse_vkey(vkey)
        except notes.NoteRefused as error:
            raise ValueError(f"witness {name!r}: {error}") from None
        if verifier.algorithm != notes.ALG_COSIGNATURE_V1:
            raise ValueError(f"witness {name!r}: its vkey is not a cosignature/v1 (0x04) key")
        if verifier.name != name:
            raise ValueError(f"witness {name!r}: its vkey is for {verifier.name!r}")
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ValueError(f"witness {name!r}: {url!r} is not an http(s) address")
        if any(w.name == name for w in witnesses):
            raise ValueError(f"witness {name!r} is named twice")
        witnesses.append(Witness(name, vkey, url.rstrip("/")))
    return tuple(witnesses)
