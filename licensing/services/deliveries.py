"""Deliveries: each subscription's changes after its cursor, matched, signed and posted in order,
the cursor advanced only after a 2xx (at-least-once; receivers deduplicate by `webhook-id`).

This runs in a process of its own (`flask --app licensing deliveries run`), never in a write: a
receiver that is slow or down delays only its own subscription. Everything the process knows is
in the database (the cursors, the retry state, the log), so a process killed mid-delivery loses
nothing: the next one delivers the same change again, under the same webhook-id.

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
from dataclasses import asdict, dataclass
from datetime import timedelta
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


def _log_attempt(
    write: Write, row: Subscription, keep: int, seq: int, message_id: str, outcome: str,
    answer: Answer,
) -> dict[str, Any]:  # fmt: skip
    """Queue the attempt into the subscription's ring of `keep` slots; the subscription's new
    `logged` count, for its own update."""
    slot = row.logged % keep
    values = {
        "attempt": row.logged + 1,
        "seq": seq,
        "webhook_id": message_id,
        "at": write.now,
        "outcome": outcome,
        "status": answer.status,
        "duration_ms": answer.duration_ms,
        "error": answer.error,
    }
    if row.logged < keep:
        write.insert(_DELIVERIES, {"subscription_id": row.id, "slot": slot, **values})
    else:
        write.update(_DELIVERIES, {"subscription_id": row.id, "slot": slot}, values)
    return {"logged": row.logged + 1}


# --- a round --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    subscription: str
    delivered: int = 0
    failed: int = 0
    detail: str = ""


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
    """One round: every due, active subscription not served by another process, a batch each."""
    send = send or (lambda url, headers, body: post(url, headers, body, settings))
    now = clock.now()
    due = db.session.scalars(
        select(Subscription.id)
        .where(Subscription.status == ACTIVE, Subscription.deleted_at.is_(None))
        .where((Subscription.next_attempt_at.is_(None)) | (Subscription.next_attempt_at <= now))
        .order_by(Subscription.next_attempt_at.is_not(None), Subscription.id)
    ).all()
    db.session.commit()  # end the read: each subscription is read afresh once claimed
    outcomes = []
    for subscription_id in due:
        if not claims.take(subscription_id):
            continue  # another process is serving it
        try:
            outcomes.append(_serve(subscription_id, box, settings, send, jitter))
        except Exception as error:  # one subscription's trouble is never the others'
            log.exception("subscription %s", subscription_id)
            outcomes.append(Outcome(subscription_id, detail=f"{type(error).__name__}: {error}"))
        finally:
            db.session.rollback()
            claims.release(subscription_id)
    return outcomes


def _fresh(subscription_id: str) -> Subscription | None:
    return db.session.scalars(
        select(Subscription)
        .where(Subscription.id == subscription_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _serve(
    subscription_id: str,
    box: SecretBox,
    settings: WebhookSettings,
    send: Post,
    jitter: Callable[[], float],
) -> Outcome:
    """Deliver the subscription's next batch, in order, stopping at the first failure."""
    row = _fresh(subscription_id)
    now = clock.now()
    if row is None or row.status != ACTIVE or row.deleted_at is not None:
        return Outcome(subscription_id, detail="not active")
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return Outcome(subscription_id, detail="not due")
    follows, actions = follows_of_row(row), json.loads(row.actions)
    changes = db.session.execute(
        select(_CHANGES.c.seq, _CHANGES.c.licence, _CHANGES.c.holder_bin, _CHANGES.c.region,
               _CHANGES.c.action, _CHANGES.c.item)
        .where(_CHANGES.c.seq > row.cursor)
        .order_by(_CHANGES.c.seq)
        .limit(settings.batch)
    ).all()  # fmt: skip
    db.session.commit()
    try:
        secret = box.open(row.id, row.secret)
    except ValueError as error:
        _note(row, str(error))
        return Outcome(subscription_id, detail=str(error))
    delivered, passed = 0, row.cursor
    for change in changes:
        facts = ChangeFacts(change.licence, change.holder_bin, change.region, change.action)
        if not matches(follows, actions, facts):
            passed = change.seq
            continue
        message_id = webhook_id(row.id, change.seq)
        body = change_payload(row.id, change.item)
        answer = send(row.url, signed_headers(secret, message_id, body), body)
        row = _after_attempt(row, settings, change.seq, passed, message_id, answer, jitter)
        if row is None:
            return Outcome(subscription_id, delivered, detail="changed meanwhile")
        if not answer.ok:
            return Outcome(subscription_id, delivered, 1, answer.error or "")
        delivered, passed = delivered + 1, change.seq
    if passed != row.cursor:  # only changes it does not follow were left: pass them
        _advance(row, passed)
    return Outcome(subscription_id, delivered)


def _after_attempt(
    row: Subscription,
    settings: WebhookSettings,
    seq: int,
    passed: int,
    message_id: str,
    answer: Answer,
    jitter: Callable[[], float],
) -> Subscription | None:
    """Record the attempt, and move the subscription on: its cursor to `seq` after a 2xx, or
    past the changes it does not follow (`passed`) and on to the next retry otherwise. None when
    the subscription changed meanwhile (paused, redelivered, deleted): the next round reads it
    again."""
    if answer.ok:
        outcome = "delivered"
        values: dict[str, Any] = {
            "cursor": seq,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
            "last_delivered_at": clock.now(),
            "delivered": row.delivered + 1,
        }
    else:
        attempts = row.attempts + 1
        wait = next_wait(attempts, settings.schedule, answer.retry_after, jitter())
        outcome, status = "failed", ACTIVE
        if answer.status == 410:
            outcome, status = "gone", DISABLED
        elif wait is None:
            status = FAILING
        values = {
            "cursor": passed,
            "attempts": attempts,
            "next_attempt_at": None if wait is None else clock.now() + timedelta(seconds=wait),
            "last_error": answer.error,
            "status": status,
            "failed": row.failed + 1,
        }
        log.warning("subscription %s, seq %d: %s", row.id, seq, answer.error)
    try:
        with write_transaction() as write:
            values.update(_log_attempt(write, row, settings.log_keep, seq, message_id, outcome,
                                       answer))  # fmt: skip
            values["updated_at"] = write.now
            write.update(
                SUBSCRIPTIONS, {"id": row.id, "cursor": row.cursor, "status": ACTIVE}, values
            )
    except ConcurrentChange:
        return None
    return _fresh(row.id)


def _advance(row: Subscription, cursor: int) -> None:
    try:
        with write_transaction() as write:
            write.update(
                SUBSCRIPTIONS,
                {"id": row.id, "cursor": row.cursor, "status": ACTIVE},
                {"cursor": cursor, "updated_at": write.now},
            )
    except ConcurrentChange:
        pass


def _note(row: Subscription, error: str) -> None:
    try:
        with write_transaction() as write:
            write.update(SUBSCRIPTIONS, {"id": row.id}, {"last_error": error[:MAX_ERROR]})
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
            busy = any(o.delivered or o.failed for o in outcomes)
            if not busy:
                stop.wait(settings.poll)
    finally:
        claims.close()


# --- a test delivery --------------------------------------------------------------------------


def send_test(app: Any, actor: Actor, subscription_id: str) -> dict[str, Any]:
    """Send a signed `webhook.test` delivery to the subscription's endpoint now; logged, and
    changing nothing of its cursor or retries."""
    view = get(actor, subscription_id)
    settings: WebhookSettings = app.config["LICENSING_WEBHOOKS"]
    row = _fresh(view.id)
    assert row is not None
    secret = secret_box(app).open(row.id, row.secret)
    message_id = f"{row.id}-test-{int(time.time() * 1000)}"
    body = payload("webhook.test", row.id, {"cursor": row.cursor})
    answer = post(row.url, signed_headers(secret, message_id, body), body, settings)
    outcome = "test" if answer.ok else "failed"
    with write_transaction() as write:
        logged = _log_attempt(write, row, settings.log_keep, 0, message_id, outcome, answer)
        write.update(SUBSCRIPTIONS, {"id": row.id}, logged)
    return {
        "attempt": logged["logged"],
        "seq": 0,
        "webhook_id": message_id,
        "at": write.now,
        "outcome": outcome,
        **{k: v for k, v in asdict(answer).items() if k in ("status", "duration_ms", "error")},
    }


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
