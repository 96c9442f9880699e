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

from sqlalchemy import Connection, Table, and_, func, or_, select, text
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
from licensing.services.failures import ConcurrentChange
from licensing.services.subscriptions import (
    SUBSCRIPTIONS,
    Resolver,
    SecretBox,
    follows_of_row,
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


def _log_rows(
    subscription_id: str, logged: int, keep: int, attempts: list[_Attempt], log: _LogRows
) -> int:
    """Add the attempts to the subscription's ring of `keep` slots (attempt n in slot n modulo
    keep; those a longer round pushes out of the ring are not written); the subscription's new
    count of attempts logged."""
    first = max(0, len(attempts) - keep)
    for n, attempt in enumerate(attempts[first:], start=logged + first):
        row = {
            "subscription_id": subscription_id,
            "slot": n % keep,
            "attempt": n + 1,
            "seq": attempt.seq,
            "webhook_id": attempt.message_id,
            "at": attempt.at,
            "outcome": attempt.outcome,
            "status": attempt.answer.status,
            "duration_ms": attempt.answer.duration_ms,
            "error": attempt.answer.error,
        }
        # an earlier round filled this slot: written over
        (log.overwritten if logged > n % keep else log.new).append(row)
    return logged + len(attempts)


@dataclass
class _LogRows:
    """The delivery log's rows a round writes: slots filled for the first time, slots written
    over."""

    new: list[dict[str, Any]] = field(default_factory=list)
    overwritten: list[dict[str, Any]] = field(default_factory=list)

    def queue(self, write: Write) -> None:
        write.insert_rows(_DELIVERIES, self.new)
        write.update_rows(_DELIVERIES, ("subscription_id", "slot"), self.overwritten)


# --- a round --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Attempt:
    seq: int  # 0 for a test delivery
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
    tested: bool = False  # a queued test delivery was sent (whatever it gave)


@dataclass
class _Batch:
    """One subscription's part of a round: the changes it follows after its cursor (read before
    any is sent), how far it read, its queued test delivery, and what sending them gave."""

    id: str
    url: str
    secret: str
    cursor: int  # as read: the write records only onto a subscription still there
    due: list[Any]  # (seq, item) of the changes it follows, oldest first
    scanned: int | None  # the last seq read; None when its changes were not due this round
    test: tuple[str, bytes] | None = None  # the queued test's webhook-id and body
    attempts: list[_Attempt] = field(default_factory=list)
    tested: _Attempt | None = None


_TAKE = text(
    "SELECT id FROM unnest(CAST(:ids AS text[])) AS id"
    " WHERE pg_try_advisory_lock(:space, hashtext(id))"
)
_RELEASE = text(
    "SELECT count(pg_advisory_unlock(:space, hashtext(id))) FROM unnest(CAST(:ids AS text[])) AS id"
)


class Claims:
    """Which subscriptions this process is serving (PostgreSQL: advisory locks on a connection of
    its own, freed when the process ends however it ends; SQLite: one process, no locks). A round
    takes and frees all of its subscriptions in one statement each: a lock apiece was a round
    trip apiece, a tenth of a second a round with a hundred subscriptions."""

    def __init__(self) -> None:
        engine = db.engine
        self.connection: Connection | None = None
        if engine.dialect.name == "postgresql":
            self.connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def take(self, subscription_ids: list[str]) -> list[str]:
        """Those of `subscription_ids` no other process serves, now this one's."""
        if self.connection is None or not subscription_ids:
            return list(subscription_ids)
        taken = set(
            self.connection.execute(
                _TAKE, {"space": _LOCK_SPACE, "ids": subscription_ids}
            ).scalars()
        )
        return [subscription_id for subscription_id in subscription_ids if subscription_id in taken]

    def release(self, subscription_ids: list[str]) -> None:
        if self.connection is not None and subscription_ids:
            self.connection.execute(_RELEASE, {"space": _LOCK_SPACE, "ids": subscription_ids})

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _changes_due(now: datetime) -> Any:
    return and_(
        Subscription.status == ACTIVE,
        Subscription.deleted_at.is_(None),
        (Subscription.next_attempt_at.is_(None)) | (Subscription.next_attempt_at <= now),
    )


def _work(now: datetime) -> Any:
    """Subscriptions with something to send: changes due, or a test delivery queued (sent
    whatever the subscription's status or retries, as a test of its endpoint)."""
    queued = and_(Subscription.test_id.is_not(None), Subscription.deleted_at.is_(None))
    return or_(_changes_due(now), queued)


def deliver_round(
    box: SecretBox,
    settings: WebhookSettings,
    claims: Claims,
    send: Post | None = None,
    jitter: Callable[[], float] = random.random,
) -> list[Outcome]:
    """One round: every subscription with work that no other process serves, a batch each. The
    batches are sent side by side (each in order, stopping at its first failure), and what they
    gave is recorded in one write: the receivers' answers overlap, and the commits do not add up
    (each would wait for the chain head and its own flush)."""
    send = send or (lambda url, headers, body: post(url, headers, body, settings))
    now = clock.now()
    work = _work(now)
    claimed = claims.take(list(db.session.scalars(select(Subscription.id).where(work))))
    try:
        # read again once claimed: a process that served one a moment ago has moved its cursor
        rows = (
            db.session.scalars(
                select(Subscription)
                .where(Subscription.id.in_(claimed), work)
                .order_by(Subscription.id)
                .execution_options(populate_existing=True)
            ).all()
            if claimed
            else []
        )
        batches, outcomes = [], []
        window = _Window(settings.batch)
        for row in rows:
            try:
                batch = _batch(row, box, window, now)
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
        claims.release(claimed)


class _Window:
    """The changes after a cursor, `batch` at a time, read once per cursor in a round: the
    subscriptions of a register mostly stand at the same cursor, and one read serves them all."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.read: dict[int, list[Any]] = {}

    def after(self, cursor: int) -> list[Any]:
        if cursor not in self.read:
            self.read[cursor] = list(
                db.session.execute(
                    select(_CHANGES.c.seq, _CHANGES.c.licence, _CHANGES.c.holder_bin,
                           _CHANGES.c.region, _CHANGES.c.action, _CHANGES.c.item)
                    .where(_CHANGES.c.seq > cursor)
                    .order_by(_CHANGES.c.seq)
                    .limit(self.batch)
                )
            )  # fmt: skip
        return self.read[cursor]


def _batch(row: Subscription, box: SecretBox, window: _Window, now: datetime) -> _Batch | None:
    """The subscription's changes after its cursor (when due) and its queued test; None when
    there is neither."""
    due = row.status == ACTIVE and (row.next_attempt_at is None or row.next_attempt_at <= now)
    changes = window.after(row.cursor) if due else []
    if not changes and row.test_id is None:
        return None
    follows, actions = follows_of_row(row), json.loads(row.actions)
    wanted = [
        (change.seq, change.item)
        for change in changes
        if matches(follows, actions, ChangeFacts(change.licence, change.holder_bin,
                                                 change.region, change.action))
    ]  # fmt: skip
    test = None
    if row.test_id is not None:
        test = (row.test_id, payload("webhook.test", row.id, {"cursor": row.cursor}))
    secret = box.open(row.id, row.secret) if wanted or test else ""
    scanned = changes[-1].seq if changes else None
    return _Batch(row.id, row.url, secret, row.cursor, wanted, scanned, test)


def _send(batch: _Batch, send: Post) -> None:
    """Post the queued test, then the batch's changes in order up to the first that fails (in a
    sender thread: no database here)."""
    if batch.test is not None:
        message_id, body = batch.test
        answer = _attempt(send, batch, message_id, body)
        batch.tested = _Attempt(0, message_id, "test" if answer.ok else "failed", answer,
                                clock.now())  # fmt: skip
    for seq, item in batch.due:
        message_id = webhook_id(batch.id, seq)
        answer = _attempt(send, batch, message_id, change_payload(batch.id, item))
        outcome = "delivered" if answer.ok else "gone" if answer.status == 410 else "failed"
        batch.attempts.append(_Attempt(seq, message_id, outcome, answer, clock.now()))
        if not answer.ok:
            log.warning("subscription %s, seq %d: %s", batch.id, seq, answer.error)
            return


def _attempt(send: Post, batch: _Batch, message_id: str, body: bytes) -> Answer:
    try:
        return send(batch.url, signed_headers(batch.secret, message_id, body), body)
    except Exception as error:  # a sender's own failure is the delivery's, never the round's
        return Answer(None, 0, f"{type(error).__name__}: {error}"[:MAX_ERROR])


def _record(
    batches: list[_Batch], settings: WebhookSettings, jitter: Callable[[], float]
) -> list[Outcome]:
    """Each batch's attempts and where its subscription stands now, in one write. A subscription
    paused, redelivered or deleted since it was read is left as it now is (its attempts are still
    logged): the head's lock, taken first, keeps it so until commit. The rows go as a few
    statements whatever their number (Write.insert_rows, update_rows): a statement per row, or
    one folding them all, was built and compiled again for each new number of rows, seconds a
    round."""
    outcomes, log_rows, moved = [], _LogRows(), []
    with write_transaction() as write:
        rows = {
            row.id: row
            for row in write.session.execute(
                select(Subscription.id, Subscription.cursor, Subscription.status,
                       Subscription.attempts, Subscription.logged, Subscription.delivered,
                       Subscription.failed, Subscription.deleted_at, Subscription.test_id)
                .where(Subscription.id.in_([batch.id for batch in batches]))
            )
        }  # fmt: skip
        for batch in batches:
            row = rows[batch.id]
            tested = [batch.tested] if batch.tested is not None else []
            values: dict[str, Any] = {
                "id": batch.id,
                "logged": _log_rows(batch.id, row.logged, settings.log_keep,
                                    tested + batch.attempts, log_rows),
                "updated_at": write.now,
            }  # fmt: skip
            still = row.cursor == batch.cursor and row.status == ACTIVE and row.deleted_at is None
            if still and batch.scanned is not None:
                values.update(_moved(batch, batch.scanned, row, settings, jitter, write.now))
            if batch.test is not None and row.test_id == batch.test[0]:
                values["test_id"] = None
            moved.append(values)
            delivered = sum(1 for a in batch.attempts if a.answer.ok)
            failed = len(batch.attempts) - delivered
            last = batch.attempts[-1].answer.error if failed else ""
            outcomes.append(Outcome(batch.id, delivered, failed, last or "", bool(tested)))
        log_rows.queue(write)
        write.update_rows(SUBSCRIPTIONS, ("id",), moved)
    return outcomes


def _moved(
    batch: _Batch, scanned: int, row: Any, settings: WebhookSettings,
    jitter: Callable[[], float], now: datetime,
) -> dict[str, Any]:  # fmt: skip
    """The subscription after its batch: the cursor past everything delivered or not followed,
    up to the first failure; the retry of that one scheduled."""
    delivered = [a for a in batch.attempts if a.answer.ok]
    values: dict[str, Any] = {"delivered": row.delivered + len(delivered)}
    if delivered:
        values["last_delivered_at"] = delivered[-1].at
    failure = batch.attempts[-1] if batch.attempts and not batch.attempts[-1].answer.ok else None
    if failure is None:
        values.update(cursor=scanned, attempts=0, next_attempt_at=None, last_error=None)
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


CHANNEL = "licensing_changes"  # notified by the database on every change written (0010)


class Wake:
    """How the process waits between rounds that found nothing to do. On PostgreSQL it listens
    on CHANNEL, which a trigger on the change feed's table notifies when a change is committed:
    a round starts the moment there is something to send, rather than at the next look. It
    still looks every `poll` seconds, for what no change announces: retries coming due,
    redeliveries, resumed subscriptions and queued tests. On SQLite it looks every `poll`."""

    def __init__(self, poll: float, stop: threading.Event) -> None:
        self.poll, self.stop = poll, stop
        self.connection: Connection | None = None
        if db.engine.dialect.name == "postgresql":
            self.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.connection.execute(text(f"LISTEN {CHANNEL}"))

    def wait(self) -> None:
        """Until a change is committed, `poll` seconds pass, or the process is stopped."""
        if self.connection is None:
            self.stop.wait(self.poll)
            return
        listening = self.connection.connection.driver_connection
        for _ in listening.notifies(timeout=self.poll, stop_after=1):  # type: ignore[union-attr]
            pass
        for _ in listening.notifies(timeout=0):  # type: ignore[union-attr]
            pass  # those of the same moment: one round serves them all

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run(
    box: SecretBox,
    settings: WebhookSettings,
    stop: threading.Event,
    send: Post | None = None,
    on_round: Callable[[list[Outcome]], None] | None = None,
) -> None:
    """Rounds until `stop` is set; a round that found work is followed at once by the next."""
    claims, wake = Claims(), None
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
            if not any(o.delivered or o.failed or o.tested for o in outcomes):
                wake = _waited(wake, settings.poll, stop)
    finally:
        claims.close()
        if wake is not None:
            wake.close()


def _waited(wake: Wake | None, poll: float, stop: threading.Event) -> Wake | None:
    """Wait for the next round; the Wake to wait with next time (None: make one again, after
    the database went away)."""
    try:
        wake = wake or Wake(poll, stop)
        wake.wait()
        return wake
    except Exception:  # the database away for a moment, as in a round
        log.exception("listening for changes failed")
        if wake is not None:
            wake.close()
        stop.wait(poll)
        return None


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
