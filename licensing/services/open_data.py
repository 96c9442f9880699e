"""Open data: snapshots of the public register (the public view only, as /api/v1/status shows
it) as CSV and JSON, each with its SHA-256 and the trail's seq it was cut at, in a manifest; and
the list of snapshots a directory holds."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from licensing import clock
from licensing.database import public_read_engine
from licensing.domain.exports import neutralise
from licensing.domain.policy import Policy
from licensing.domain.timestamps import format_utc
from licensing.models import ChainHead, Licence
from licensing.services.results import LicenceView, PublicLicenceView

COLUMNS = tuple(f.name for f in fields(PublicLicenceView))
BATCH = 5_000  # rows read at a time: a million licences never sit in memory at once
MANIFEST = re.compile(r"register-(\d{4}-\d{2}-\d{2})-seq(\d+)\.manifest\.json")
SERVED = re.compile(r"register-\d{4}-\d{2}-\d{2}-seq\d+\.(?:csv|json|manifest\.json)")


@dataclass(frozen=True)
class SnapshotFile:
    name: str
    media_type: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class Snapshot:
    """One cut of the public register: the seq of the trail it shows, when and on which legal
    day it was cut (standings are that day's), and its files."""

    seq: int
    cut_at: datetime
    day: date
    licences: int
    files: tuple[SnapshotFile, ...]

    @property
    def manifest_name(self) -> str:
        return f"{_stem(self.day, self.seq)}.manifest.json"

    def record(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "cut_at": format_utc(self.cut_at),
            "day": self.day.isoformat(),
            "licences": self.licences,
            "view": "the public view of /api/v1/status: " + ", ".join(COLUMNS),
            "files": [
                {"name": f.name, "media_type": f.media_type, "sha256": f.sha256, "bytes": f.bytes}
                for f in self.files
            ],
        }


def export(directory: Path, policy: Policy) -> Snapshot:
    """Write a snapshot of the public register into `directory`, read in one snapshot of the
    database; the files appear whole (written aside, then renamed), the manifest last."""
    directory.mkdir(parents=True, exist_ok=True)
    now = clock.now()
    today = policy.today(now)
    with Session(public_read_engine()) as session:
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        seq = connection.scalar(select(ChainHead.seq)) or 0
        stem = _stem(today, seq)
        with (
            _Written(directory / f"{stem}.csv", "text/csv") as csv_file,
            _Written(directory / f"{stem}.json", "application/json") as json_file,
        ):
            count = _write(session, today, seq, now, csv_file, json_file)
    snapshot = Snapshot(seq, now, today, count, (csv_file.described, json_file.described))
    manifest = json.dumps(snapshot.record(), ensure_ascii=False, indent=2).encode() + b"\n"
    _replace(directory / snapshot.manifest_name, manifest)
    return snapshot


def snapshots(directory: Path) -> list[Snapshot]:
    """The snapshots `directory` holds, newest first (by seq, then time)."""
    found = []
    if directory.is_dir():
        for path in directory.iterdir():
            if MANIFEST.fullmatch(path.name):
                record = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    Snapshot(
                        seq=record["seq"],
                        cut_at=datetime.fromisoformat(record["cut_at"]),
                        day=date.fromisoformat(record["day"]),
                        licences=record["licences"],
                        files=tuple(
                            SnapshotFile(f["name"], f["media_type"], f["sha256"], f["bytes"])
                            for f in record["files"]
                        ),
                    )
                )
    return sorted(found, key=lambda s: (s.seq, s.cut_at), reverse=True)


def listing(directory: Path) -> str:
    """The manifests `directory` holds, by name, size and time written, as one text: it changes
    whenever `snapshots` would answer otherwise."""
    if not directory.is_dir():
        return ""
    found = []
    for path in directory.iterdir():
        if MANIFEST.fullmatch(path.name):
            stat = path.stat()
            found.append(f"{path.name} {stat.st_size} {stat.st_mtime_ns}")
    return "\n".join(sorted(found))


def is_served(name: str) -> bool:
    """Whether `name` is one of the files an export writes (and nothing else in the directory)."""
    return SERVED.fullmatch(name) is not None


def _stem(day: date, seq: int) -> str:
    return f"register-{day.isoformat()}-seq{seq}"


def _views(session: Session, today: date) -> Iterator[PublicLicenceView]:
    rows = session.scalars(select(Licence).order_by(Licence.id).execution_options(yield_per=BATCH))
    for row in rows:
        yield PublicLicenceView.of(LicenceView.of(row, today))


def _write(session, today, seq, now, csv_file, json_file) -> int:  # type: ignore[no-untyped-def]
    text = io.TextIOWrapper(csv_file.handle, encoding="utf-8", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    head = {"as_of_seq": seq, "cut_at": format_utc(now), "day": today.isoformat()}
    json_file.write(json.dumps(head, ensure_ascii=False)[:-1].encode() + b', "items": [')
    count = 0
    for view in _views(session, today):
        record = {name: _value(getattr(view, name)) for name in COLUMNS}
        writer.writerow([_cell(record[name]) for name in COLUMNS])
        item = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        json_file.write(("\n" if count == 0 else ",\n").encode() + item.encode())
        count += 1
    json_file.write(b"\n]}\n")
    text.flush()
    text.detach()
    return count


def _value(value: object) -> object:
    """A public-view value as /api/v1/status writes it."""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return neutralise(str(value))  # a holder's name never runs as a spreadsheet formula


class _Written:
    """A file written aside and renamed into place when complete, hashed as it is written."""

    def __init__(self, path: Path, media_type: str) -> None:
        self.path, self.media_type = path, media_type
        self.aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.digest = hashlib.sha256()
        self.size = 0

    def __enter__(self) -> _Written:
        self.handle = _Hashing(self.aside.open("wb"), self)
        return self

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def __exit__(self, kind: object, *_: object) -> None:
        self.handle.close()
        if kind is None:
            os.replace(self.aside, self.path)
        else:
            self.aside.unlink(missing_ok=True)

    @property
    def described(self) -> SnapshotFile:
        return SnapshotFile(self.path.name, self.media_type, self.digest.hexdigest(), self.size)


class _Hashing(io.RawIOBase):
    """A binary file that hashes and counts what goes through it."""

    def __init__(self, file: Any, owner: _Written) -> None:
        self.file, self.owner = file, owner

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        data = bytes(data)
        self.owner.digest.update(data)
        self.owner.size += len(data)
        self.file.write(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self.file.close()
        super().close()


def _replace(path: Path, content: bytes) -> None:
    aside = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    aside.write_bytes(content)
    os.replace(aside, path)
