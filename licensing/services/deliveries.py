"""Deliveries: each subscription's changes after its cursor, matched, signed and posted in order,
the cursor advanced only after a 2xx (at-least-once; receivers deduplicate by `webhook-id`).

This runs in a process of its own (`flask --app licensing deliveries run`), never in a write: a
receiver that is slow or down delays only its own subscription. Everything the process knows is
in the database (the cursors, the retry state, the log), so a process killed mid-round loses
nothing: the next one sends again what it had sent but not recorded (a batch at most per
subscription), under the same webhook-ids.

Several processes may run at once on PostgreSQL. Each takes a subscription for one batch with a
session-level advisory lock (`pg_try_advisory_lock`) on a connection of its own, skipping any
another process holds: the SKIP LOCKED of row locks, without their two traps. A row lock on the
subscription, held through a batch of HTTP calls, would be held while the cursor is written in
a write transaction that locks the chain head first: the API's writes take the head and then the
subscription row, so the two orders would deadlock (and the cursor's own UPDATE would wait on the
process's own lock connection). A lease column would keep others off a crashed process's
subscriptions until it ran out, and trusts the hosts' clocks to agree. PostgreSQL frees an
advisory lock the moment the process's connection ends, SIGKILL included. On SQLite one process
delivers (the database takes one writer anyway); no lock is taken.

Every attempt resolves the endpoint's host again, checks every address it resolves to, and
connects to the address it checked (no second lookup a rebinding DNS answer could change);
connect and total timeouts bound it, the answer is read to a bounded size and redirects are not
followed."""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from licensing import clock
from licensing.domain.timestamps import parse_utc
from licensing.domain.webhooks import (
    ACTIVE,
    DISABLED,
    FAILING,
    PAUSED,
    ChangeFacts,
    WebhookSettings,
    addresses_problem,
    change_payload,
    endpoint_of,
    literal_address,
    matches,
    next_wait,
    payload,
    retry_after_seconds,
    signature,
    webhook_id,
)
from licensing.models import AuditEvent, Change, Delivery, Subscription, db
from licensing.services.context import Actor
from licensing.services.failures import ConcurrentChange
from licensing.services.subscriptions import (
    SUBSCRIPTIONS,
    Resolver,
    SecretBox,
    follows_of_row,
    get,
    resolve,
)
from licensing.services.transaction import Write, write_transaction

log = logging.getLogger(__name__)
_DELIVERIES: Table = Delivery.__table__  # type: ignore[assignment]
_CHANGES: Table = Change.__table__  # type: ignore[assignment]
MAX_ERROR = 500  # characters of an error kept in the log
_LOCK_SPACE = 7215  # the first key of the advisory locks: "deliveries"


def secret_box(app: Any) -> SecretBox:
    """The app's box for subscription secrets, under its secret key."""
    box = app.extensions.get("licensing.secret_box")
    if box is None:
        key = app.config["SECRET_KEY"]
        box = app.extensions["licensing.secret_box"] = SecretBox(
            key if isinstance(key, bytes) else key.encode()
        )
    return box  # type: ignore[no-any-return]


# --- one HTTP attempt -----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int | None  # None when no HTTP answer came
    duration_ms: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _Pinned(http.client.HTTPConnection):
    """A connection to `address`, checked beforehand, whatever the host's name resolves to now."""

    def __init__(self, host: str, port: int, address: str, connect_timeout: float,
                 timeout: float) -> None:  # fmt: skip
        super().__init__(host, port, timeout=timeout)
        self.address, self.connect_timeout = address, connect_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.connect_timeout)
        self.sock.settimeout(self.timeout)

    def abort(self) -> None:
        """Cut the connection from another thread: the total timeout has passed."""
        with contextlib.suppress(OSError, AttributeError):
            self.sock.shutdown(socket.SHUT_RDWR)


class _PinnedTLS(_Pinned):
    _tls = ssl.create_default_context()

    def connect(self) -> None:
        super().connect()
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def post(
    url: str,
    headers: dict[str, str],
    body: bytes,
    settings: WebhookSettings,
    resolver: Resolver = resolve,
) -> Answer:
    """POST `body` to `url`, as the rules of a delivery say; every failure is an Answer."""
    started = time.monotonic()

    def answer(status: int | None, error: str | None = None, **extra: Any) -> Answer:
        elapsed = int((time.monotonic() - started) * 1000)
        return Answer(status, elapsed, error and error[:MAX_ERROR], **extra)

    endpoint, problems = endpoint_of(url, settings.allow_hosts)
    if endpoint is None:
        return answer(None, f"refused: {problems[0]}")
    literal = literal_address(endpoint.host)
    addresses = [str(literal)] if literal else resolver(endpoint.host, endpoint.port)
    if not addresses:
        return answer(None, f"{endpoint.host} does not resolve")
    if problem := addresses_problem(endpoint.host, addresses, settings.allow_hosts):
        return answer(None, f"refused: {problem}")
    kind = _PinnedTLS if endpoint.scheme == "https" else _Pinned
    connection = kind(endpoint.host, endpoint.port, addresses[0], settings.connect_timeout,
                      settings.timeout)  # fmt: skip
    deadline = threading.Timer(settings.timeout, connection.abort)
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", endpoint.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(settings.max_response)  # the rest is never read
        status = response.status
        retry_after = retry_after_seconds(response.getheader("Retry-After"), time.time())
    except (OSError, http.client.HTTPException, ValueError) as error:
        late = time.monotonic() - started >= settings.timeout
        reason = "timed out" if late or isinstance(error, TimeoutError) else "failed"
        return answer(None, f"{reason}: {type(error).__name__}: {error}".rstrip(": "))
    finally:
        deadline.cancel()
        connection.close()
    if 300 <= status < 400:
        location = (response.getheader("Location") or "")[:200]
        return answer(status, f"redirect to {location!r} not followed", retry_after=retry_after)
    if not 200 <= status < 300:
        return answer(status, f"answered {status}", retry_after=retry_after)
    return answer(status)


Post = Callable[[str, dict[str, str], bytes], Answer]


def signed_headers(secret: str, message_id: str, body: bytes) -> dict[str, str]:
    # the wall clock's time, as receivers check it against theirs to refuse replays
    timestamp = int(time.time())
    return {
        "Content-Type": "application/json",
        "User-Agent": "licensing-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


# --- the delivery log -----------------------------------------------------------------------


def _log_attempts(
    write: Write, subscription_id: str, logged: int, keep: int, attempts: list[_Attempt]
) -> int:
    """Queue the attempts into the subscription's ring of `keep` slots (attempt n in slot n
    modulo keep; those a longer round pushes out of the ring are not written); the subscription's
    new count of attempts logged."""
    first = max(0, len(attempts) - keep)
    for n, attempt in enumerate(attempts[first:], start=logged + first):
        slot = n % keep
        values = {
            "attempt": n + 1,
            "seq": attempt.seq,
            "webhook_id": attempt.message_id,
            "at": attempt.at,
            "outcome": attempt.outcome,
            "status": attempt.answer.status,
            "duration_ms": attempt.answer.duration_ms,
            "error": attempt.answer.error,
        }
        if logged > slot:  # an earlier round filled this slot
            write.update(_DELIVERIES, {"subscription_id": subscription_id, "slot": slot}, values)
        else:
            write.insert(_DELIVERIES, {"subscription_id": subscription_id, "slot": slot, **values})
    return logged + len(attempts)


# --- a round --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    seq: int
    message_id: str
    outcome: str  # delivered, failed, gone, test
    answer: Answer
    at: datetime


@dataclass(frozen=True)
class Outcome:
    subscription: str
    delivered: int = 0
    failed: int = 0
    detail: str = ""


@dataclass
class _Batch:
    """One subscription's part of a round: the changes it follows after its cursor (read before
    any is sent), how far it read, and what sending them gave."""

    id: str
    url: str
    secret: str
    cursor: int  # as read: the write records only onto a subscription still there
    due: list[Any]  # (seq, item) of the changes it follows, oldest first
    scanned: int  # the last seq read
    attempts: list[_Attempt] = field(default_factory=list)


class Claims:
    """Which subscriptions this process is serving (PostgreSQL: advisory locks on a connection of
    its own, freed when the process ends however it ends; SQLite: one process, no locks)."""

    def __init__(self) -> None:
        engine = db.engine
        self.connection: Connection | None = None
        if engine.dialect.name == "postgresql":
            self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def take(self, subscription_id: str) -> bool:
        if self.connection is None:
            return True
        return bool(
            self.connection.execute(
                text("SELECT pg_try_advisory_lock(:space, hashtext(:id))"),
                {"space": _LOCK_SPACE, "id": subscription_id},
            ).scalar()
        )

    def release(self, subscription_id: str) -> None:
        if self.connection is not None:
            self.connection.execute(
                text("SELECT pg_advisory_unlock(:space, hashtext(:id))"),
                {"space": _LOCK_SPACE, "id": subscription_id},
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def deliver_round(
    box: SecretBox,
    settings: WebhookSettings,
    claims: Claims,
    send: Post | None = None,
    jitter: Callable[[], float] = random.random,
) -> list[Outcome]:
    """One round: every due, active subscription that no other process serves, a batch each.
    The batches are sent side by side (each in order, stopping at its first failure), and what
    they gave is recorded in one write: the receivers' answers overlap, and the commits do not
    add up (each would wait for the chain head and its own flush)."""
    send = send or (lambda url, headers, body: post(url, headers, body, settings))
    now = clock.now()
    is_due = (
        Subscription.status == ACTIVE,
        Subscription.deleted_at.is_(None),
        (Subscription.next_attempt_at.is_(None)) | (Subscription.next_attempt_at <= now),
    )
    due = db.session.scalars(select(Subscription.id).where(*is_due)).all()
    claimed = [subscription_id for subscription_id in due if claims.take(subscription_id)]
    try:
        # read again once claimed: a process that served one a moment ago has moved its cursor
        rows = (
            db.session.scalars(
                select(Subscription)
                .where(Subscription.id.in_(claimed), *is_due)
                .order_by(Subscription.id)
                .execution_options(populate_existing=True)
            ).all()
            if claimed
            else []
        )
        batches, outcomes = [], []
        for row in rows:
            try:
                batch = _batch(row, box, settings)
            except ValueError as error:  # its secret cannot be opened
                _note(row.id, str(error))
                outcomes.append(Outcome(row.id, detail=str(error)))
                continue
            if batch is not None:
                batches.append(batch)
        db.session.commit()  # end the reads: nothing is held while the receivers answer
        if batches:
            with ThreadPoolExecutor(max_workers=min(settings.senders, len(batches))) as pool:
                list(pool.map(lambda batch: _send(batch, send), batches))
            outcomes += _record(batches, settings, jitter)
        return outcomes
    finally:
        db.session.rollback()
        for subscription_id in claimed:
            claims.release(subscription_id)


def _batch(row: Subscription, box: SecretBox, settings: WebhookSettings) -> _Batch | None:
    """The subscription's changes after its cursor, read a batch at a time; None when none."""
    changes = db.session.execute(
        select(_CHANGES.c.seq, _CHANGES.c.licence, _CHANGES.c.holder_bin, _CHANGES.c.region,
               _CHANGES.c.action, _CHANGES.c.item)
        .where(_CHANGES.c.seq > row.cursor)
        .order_by(_CHANGES.c.seq)
        .limit(settings.batch)
    ).all()  # fmt: skip
    if not changes:
        return None
    follows, actions = follows_of_row(row), json.loads(row.actions)
    wanted = [
        (change.seq, change.item)
        for change in changes
        if matches(follows, actions, ChangeFacts(change.licence, change.holder_bin,
                                                 change.region, change.action))
    ]  # fmt: skip
    secret = box.open(row.id, row.secret) if wanted else ""
    return _Batch(row.id, row.url, secret, row.cursor, wanted, changes[-1].seq)


def _send(batch: _Batch, send: Post) -> None:
    """Post the batch's changes in order, up to the first that fails (in a sender thread: no
    database here)."""
    for seq, item in batch.due:
        message_id = webhook_id(batch.id, seq)
        body = change_payload(batch.id, item)
        try:
            answer = send(batch.url, signed_headers(batch.secret, message_id, body), body)
        except Exception as error:  # a sender's own failure is the delivery's, never the round's
            answer = Answer(None, 0, f"{type(error).__name__}: {error}"[:MAX_ERROR])
        outcome = "delivered" if answer.ok else "gone" if answer.status == 410 else "failed"
        batch.attempts.append(_Attempt(seq, message_id, outcome, answer, clock.now()))
        if not answer.ok:
            log.warning("subscription %s, seq %d: %s", batch.id, seq, answer.error)
            return


def _record(
    batches: list[_Batch], settings: WebhookSettings, jitter: Callable[[], float]
) -> list[Outcome]:
    """Each batch's attempts and where its subscription stands now, in one write. A subscription
    paused, redelivered or deleted since it was read is left as it now is (its attempts are still
    logged): the head's lock, taken first, keeps it so until commit."""
    outcomes = []
    with write_transaction() as write:
        rows = {
            row.id: row
            for row in write.session.execute(
                select(Subscription.id, Subscription.cursor, Subscription.status,
                       Subscription.attempts, Subscription.logged, Subscription.delivered,
                       Subscription.failed, Subscription.deleted_at)
                .where(Subscription.id.in_([batch.id for batch in batches]))
            )
        }  # fmt: skip
        for batch in batches:
            row = rows[batch.id]
            values: dict[str, Any] = {
                "logged": _log_attempts(write, batch.id, row.logged, settings.log_keep,
                                        batch.attempts),
                "updated_at": write.now,
            }  # fmt: skip
            still = row.cursor == batch.cursor and row.status == ACTIVE and row.deleted_at is None
            if still:
                values.update(_moved(batch, row, settings, jitter, write.now))
            write.update(SUBSCRIPTIONS, {"id": batch.id}, values)
            delivered = sum(1 for a in batch.attempts if a.answer.ok)
            failed = len(batch.attempts) - delivered
            last = batch.attempts[-1].answer.error if failed else ""
            outcomes.append(Outcome(batch.id, delivered, failed, last or ""))
    return outcomes


def _moved(
    batch: _Batch, row: Any, settings: WebhookSettings, jitter: Callable[[], float],
    now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The subscription after its batch: the cursor past everything delivered or not followed,
    up to the first failure; the retry of that one scheduled."""
    delivered = [a for a in batch.attempts if a.answer.ok]
    values: dict[str, Any] = {"delivered": row.delivered + len(delivered)}
    if delivered:
        values["last_delivered_at"] = delivered[-1].at
    failure = batch.attempts[-1] if batch.attempts and not batch.attempts[-1].answer.ok else None
    if failure is None:
        values.update(cursor=batch.scanned, attempts=0, next_attempt_at=None, last_error=None)
        return values
    attempts = (0 if delivered else row.attempts) + 1
    wait = next_wait(attempts, settings.schedule, failure.answer.retry_after, jitter())
    status = DISABLED if failure.outcome == "gone" else FAILING if wait is None else ACTIVE
    values.update(
        cursor=failure.seq - 1,  # everything before it was delivered or is not followed
        attempts=attempts,
        next_attempt_at=None if wait is None else now + timedelta(seconds=wait),
        last_error=failure.answer.error,
        status=status,
        failed=row.failed + 1,
    )
    return values


def _note(subscription_id: str, error: str) -> None:
    try:
        with write_transaction() as write:
            write.update(SUBSCRIPTIONS, {"id": subscription_id}, {"last_error": error[:MAX_ERROR]})
    except ConcurrentChange:
        pass


def run(
    box: SecretBox,
    settings: WebhookSettings,
    stop: threading.Event,
    send: Post | None = None,
    on_round: Callable[[list[Outcome]], None] | None = None,
) -> None:
    """Rounds until `stop` is set; a round that found work is followed at once by the next."""
    claims = Claims()
    try:
        while not stop.is_set():
            try:
                outcomes = deliver_round(box, settings, claims, send)
            except Exception:  # the database away for a moment: the next round tries again
                log.exception("delivery round failed")
                outcomes = []
                claims.close()
                claims = Claims()
            finally:
                db.session.remove()
            if on_round is not None:
                on_round(outcomes)
            if not any(o.delivered or o.failed for o in outcomes):
                stop.wait(settings.poll)
    finally:
        claims.close()


# --- a test delivery --------------------------------------------------------------------------


def send_test(app: Any, actor: Actor, subscription_id: str) -> dict[str, Any]:
    """Send a signed `webhook.test` delivery to the subscription's endpoint now; logged, and
    changing nothing of its cursor or retries."""
    view = get(actor, subscription_id)
    settings: WebhookSettings = app.config["LICENSING_WEBHOOKS"]
    row = db.session.get(Subscription, view.id)
    assert row is not None
    secret = secret_box(app).open(row.id, row.secret)
    message_id = f"{row.id}-test-{int(time.time() * 1000)}"
    body = payload("webhook.test", row.id, {"cursor": row.cursor})
    db.session.commit()
    answer = post(row.url, signed_headers(secret, message_id, body), body, settings)
    attempt = _Attempt(0, message_id, "test" if answer.ok else "failed", answer, clock.now())
    with write_transaction() as write:
        logged = write.session.scalar(select(Subscription.logged).where(Subscription.id == view.id))
        assert logged is not None
        count = _log_attempts(write, view.id, logged, settings.log_keep, [attempt])
        write.update(SUBSCRIPTIONS, {"id": view.id}, {"logged": count})
    return {"attempt": count, "seq": 0, "webhook_id": message_id, "at": attempt.at,
            "outcome": attempt.outcome, "status": answer.status,
            "duration_ms": answer.duration_ms, "error": answer.error}  # fmt: skip


# --- health, for the metrics --------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The deliveries in numbers, read from the database at scrape time (the delivery processes
    are not the web workers Prometheus scrapes)."""

    outcomes: dict[str, int]  # attempts by outcome, over every subscription ever made
    statuses: dict[str, int]  # live subscriptions by status
    lag: dict[str, int]  # per live subscription: the head's seq minus its cursor
    oldest: dict[str, float]  # per live subscription: age in seconds of the first event after it


def figures() -> Figures | None:
    """None when the database cannot be read."""
    try:
        head = db.session.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
        totals = db.session.execute(
            select(func.coalesce(func.sum(Subscription.delivered), 0),
                   func.coalesce(func.sum(Subscription.failed), 0))
        ).one()  # fmt: skip
        live = db.session.execute(
            select(Subscription.id, Subscription.status, Subscription.cursor, AuditEvent.at)
            .outerjoin(AuditEvent, AuditEvent.seq == Subscription.cursor + 1)
            .where(Subscription.deleted_at.is_(None))
        ).all()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    now = clock.now()
    statuses = dict.fromkeys((ACTIVE, PAUSED, FAILING, DISABLED), 0)
    for row in live:
        statuses[row.status] += 1
    return Figures(
        outcomes={"delivered": int(totals[0]), "failed": int(totals[1])},
        statuses=statuses,
        lag={row.id: max(0, head - row.cursor) for row in live},
        oldest={
            row.id: max(0.0, (now - parse_utc(row.at)).total_seconds())
            for row in live
            if row.at is not None
        },
    )
