"""Witnessing: the log's checkpoints submitted to each witness (C2SP tlog-witness `add-checkpoint`,
with the consistency proof from the size the witness last acknowledged), and the cosignatures
they send back kept, once checked, to be served with the checkpoint.

This runs in a process of its own (`flask --app licensing log witness-loop`), never in a write:
a witness that is slow or down delays its own cosignature, nothing else. What the process knows
lives in the database (each witness's acknowledged size, its cosignatures), so a process killed
mid-submission loses nothing: the next one submits again, and a witness that did cosign answers
409 with its size, from which the registry proves on."""

from __future__ import annotations

import base64
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, select

from licensing import clock
from licensing.domain import notes
from licensing.domain.transparency import LogSettings, Witness
from licensing.models import LogCosignature, LogWitness, db
from licensing.services import transparency
from licensing.services.failures import ConcurrentChange
from licensing.services.signing import Signer
from licensing.services.transaction import Write, write_transaction

log = logging.getLogger(__name__)
_WITNESSES: Table = LogWitness.__table__  # type: ignore[assignment]
_COSIGNATURES: Table = LogCosignature.__table__  # type: ignore[assignment]

CONNECT_TIMEOUT = 10.0  # seconds, for the connection and each read
MAX_RESPONSE = 64 * 1024  # a witness's answer is a line or two
SIZE_TYPE = "text/x.tlog.size"


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str


@dataclass(frozen=True)
class Outcome:
    witness: str
    size: int
    result: str  # cosigned, up to date, not due, resynchronised, failed
    detail: str = ""


Post = Callable[[str, bytes], Answer]


def submit_all(
    signer: Signer, settings: LogSettings, post: Post | None = None, force: bool = False
) -> list[Outcome]:
    """One round: the current checkpoint to each witness that is due (its interval passed since
    the last attempt) and has not cosigned it."""
    post = post or http_post
    head = transparency.tree_head()
    outcomes = []
    for witness in settings.witnesses:
        try:
            outcomes.append(_submit(witness, head, signer, settings, post, force))
        except Exception as error:  # one witness's trouble is never the others'
            log.exception("witness %s", witness.name)
            outcomes.append(_failed(witness, 0, clock.now(), f"{type(error).__name__}: {error}"))
    return outcomes


def run(
    signer: Signer,
    settings: LogSettings,
    stop: threading.Event,
    post: Post | None = None,
    on_round: Callable[[list[Outcome]], None] | None = None,
) -> None:
    """Rounds until `stop` is set, one every few seconds; each witness is submitted to at most
    once per interval."""
    pause = max(1.0, min(settings.interval / 4, 10.0))
    while not stop.is_set():
        try:
            outcomes = submit_all(signer, settings, post)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("witnessing round failed")
            outcomes = []
        finally:
            db.session.remove()
        if on_round is not None:
            on_round(outcomes)
        stop.wait(pause)


def _submit(
    witness: Witness,
    head: transparency.TreeHead,
    signer: Signer,
    settings: LogSettings,
    post: Post,
    force: bool,
) -> Outcome:
    state = db.session.get(LogWitness, witness.name)
    now = clock.now()
    if state is not None and state.size == head.size and _holds(witness, head, settings):
        return Outcome(witness.name, head.size, "up to date")
    if (
        not force
        and state is not None
        and state.attempted_at is not None
        and now - state.attempted_at < timedelta(seconds=settings.interval)
    ):
        return Outcome(witness.name, head.size, "not due")
    old = state.size if state is not None else 0
    try:
        note = transparency.signed_note(head, signer, settings)
    except transparency.LogRewound as error:
        log.critical("not submitting to witness %s: %s", witness.name, error)
        return _failed(witness, old, now, f"the log refuses to sign: {error}")
    for _ in range(2):  # a 409 tells the size the witness holds: prove from there, once
        if old > head.size:
            return _failed(
                witness, old, now, f"the witness holds a tree of {old}, larger than ours"
            )
        proof = transparency.consistency(old, head.size).hashes
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        try:
            answer = post(f"{witness.url}/add-checkpoint", (body + "\n" + note).encode())
        except OSError as error:
            return _failed(witness, old, now, f"unreachable: {error}")
        if answer.status == 409 and answer.content_type.split(";")[0].strip() == SIZE_TYPE:
            told = answer.body.strip()
            if not (told.isascii() and told.isdigit()) or len(told) > 19:
                return _failed(witness, old, now, f"409 without a size: {told[:40]!r}")
            old = int(told)
            log.info("witness %s holds size %d: proving from there", witness.name, old)
            continue
        if answer.status != 200:
            return _failed(witness, old, now, f"{answer.status}: {answer.body.strip()[:200]}")
        return _keep(witness, head, settings, answer.body, now)
    return _failed(witness, old, now, "the witness answered 409 twice")


def _keep(
    witness: Witness,
    head: transparency.TreeHead,
    settings: LogSettings,
    body: str,
    now: datetime,
) -> Outcome:
    """Check the cosignature lines the witness sent (at least one by its key) and keep them."""
    checkpoint_body = transparency.checkpoint_body(settings, head.size, head.root)
    verifier = witness.verifier
    kept: list[tuple[str, int]] = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        line = raw.rstrip("\r") + "\n"  # kept as a note's line, whatever the witness ended it with
        try:
            kept.append((line, notes.verify_cosignature(line, checkpoint_body, verifier)))
        except notes.NoteRefused as error:
            log.warning(
                "witness %s sent a line that is not its cosignature: %s", witness.name, error
            )
    if not kept:
        return _failed(witness, head.size, now, "200 without a valid cosignature")
    line, timestamp = kept[0]
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    try:
        with write_transaction() as write:
            values = {"line": line, "signed_at": signed_at, "received_at": now}
            if _stored(witness.name, head.size) is None:
                write.insert(_COSIGNATURES, {"witness": witness.name, "size": head.size, **values})
            else:  # one that no longer holds (the witness's key changed): the new one instead
                write.update(_COSIGNATURES, {"witness": witness.name, "size": head.size}, values)
            _record(write, witness.name, head.size, now, acknowledged=True, failure=None)
    except ConcurrentChange:  # another process kept the same cosignature first
        pass
    log.info("witness %s cosigned the tree of %d", witness.name, head.size)
    return Outcome(witness.name, head.size, "cosigned")


def _failed(witness: Witness, size: int, now: datetime, detail: str) -> Outcome:
    log.warning("witness %s: %s", witness.name, detail)
    try:
        with write_transaction() as write:
            _record(write, witness.name, size, now, acknowledged=False, failure=detail)
    except ConcurrentChange:
        pass
    return Outcome(witness.name, size, "failed", detail)


def _record(
    write: Write, name: str, size: int, now: datetime, *, acknowledged: bool, failure: str | None
) -> None:
    """What the witness acknowledged (or why not), kept for the next round."""
    values = {"size": size, "attempted_at": now, "failure": failure}
    if acknowledged:
        values["acknowledged_at"] = now
    if write.session.get(LogWitness, name, populate_existing=True) is None:
        write.insert(_WITNESSES, {"name": name, "acknowledged_at": None, **values})
    else:
        write.update(_WITNESSES, {"name": name}, values)


def _stored(name: str, size: int) -> str | None:
    """The cosignature line kept for the witness and size, if any."""
    return db.session.execute(
        select(LogCosignature.line).where(
            LogCosignature.witness == name, LogCosignature.size == size
        )
    ).scalar_one_or_none()


def _holds(witness: Witness, head: transparency.TreeHead, settings: LogSettings) -> bool:
    """Whether a cosignature of the tree of `head` that holds for the witness's key is kept."""
    line = _stored(witness.name, head.size)
    if line is None:
        return False
    body = transparency.checkpoint_body(settings, head.size, head.root)
    return transparency.cosigned(line, body, witness.vkey)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a witness that redirects is answered as what it said, never followed


_OPENER = urllib.request.build_opener(_NoRedirects)


def http_post(url: str, body: bytes) -> Answer:
    """POST `body` as text; the answer read to a bounded size, redirects not followed."""
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        response = _OPENER.open(request, timeout=CONNECT_TIMEOUT)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        content = response.read(MAX_RESPONSE + 1)[:MAX_RESPONSE]
        return Answer(
            response.status,
            response.headers.get("Content-Type", ""),
            content.decode("utf-8", errors="replace"),
        )
