"""Webhook subscriptions: made by a subscriber, a miner (for its own BIN) or a regulator, seen by
their owner (a regulator sees all), paused and resumed by regulators. A subscriber's or a
regulator's subscriptions are its token's; a miner's are its BIN's, seen and managed by every
token of that BIN (a miner rotating its token keeps its subscriptions).

The signing secret must be usable to sign every delivery, so it cannot be kept only as a hash: it
is kept encrypted (AES-256-GCM, the subscription's id bound in as associated data) under a key
derived (HKDF-SHA256) from the deployment's secret key file (LICENSING_SECRET_KEY_FILE), which
lives apart from the database. A copy of the database alone does not give the secrets away."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, and_, func, select

from licensing.domain.chain import canonical_json
from licensing.domain.errors import InvalidFields
from licensing.domain.lifecycle import ACTIONS
from licensing.domain.roles import MINER, REGULATOR
from licensing.domain.timestamps import format_utc, parse_utc
from licensing.domain.webhooks import (
    ACTIVE,
    DISABLED,
    PAUSED,
    Follows,
    SubscriptionNotFound,
    WebhookSettings,
    actions_problems,
    addresses_problem,
    endpoint_of,
    follows_of,
    literal_address,
    new_secret,
    within_holder,
)
from licensing.models import ApiToken, Delivery, Licence, Subscription, db
from licensing.services import idempotency
from licensing.services.changes import head_seq
from licensing.services.context import Actor, Context
from licensing.services.listing import newest_first, paginate
from licensing.services.results import Page, Slice
from licensing.services.transaction import write_transaction

SUBSCRIPTIONS: Table = Subscription.__table__  # type: ignore[assignment]

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (an empty list when it does not resolve)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


class SecretBox:
    """Encrypts and decrypts subscription secrets under the deployment's secret key."""

    def __init__(self, key_material: bytes) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"licensing webhook secrets"
        ).derive(key_material)
        self._aead = AESGCM(key)

    def seal(self, subscription_id: str, secret: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), subscription_id.encode())
        return "v1:" + base64.b64encode(nonce + sealed).decode()

    def open(self, subscription_id: str, sealed: str) -> str:
        """The secret, or ValueError when it was sealed under another key (the key file changed)."""
        raw = base64.b64decode(sealed.removeprefix("v1:"))
        try:
            return self._aead.decrypt(raw[:12], raw[12:], subscription_id.encode()).decode()
        except InvalidTag:
            raise ValueError(
                "the secret was sealed under another secret key (LICENSING_SECRET_KEY_FILE)"
            ) from None


@dataclass(frozen=True)
class SubscriptionView:
    id: str
    url: str
    follows: dict[str, Any]
    actions: list[str]
    status: str
    cursor: int
    owner: str
    created_at: datetime
    updated_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_delivered_at: datetime | None
    delivered: int
    failed: int
    lag: int = 0  # changes after the cursor, by seq

    @classmethod
    def of(cls, row: Subscription, owner: str, head: int) -> SubscriptionView:
        return cls(
            id=row.id,
            url=row.url,
            follows=follows_record(row),
            actions=json.loads(row.actions),
            status=row.status,
            cursor=row.cursor,
            owner=owner,
            created_at=row.created_at,
            updated_at=row.updated_at,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            last_delivered_at=row.last_delivered_at,
            delivered=row.delivered,
            failed=row.failed,
            lag=max(0, head - row.cursor),
        )

    def to_record(self) -> dict[str, Any]:
        record = asdict(self)
        for name in _TIMES:
            record[name] = record[name] and format_utc(record[name])
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SubscriptionView:
        values = dict(record)
        for name in _TIMES:
            values[name] = values[name] and parse_utc(values[name])
        return cls(**values)


_TIMES = ("created_at", "updated_at", "next_attempt_at", "last_delivered_at")


@dataclass(frozen=True)
class Created:
    subscription: SubscriptionView
    secret: str  # shown once (and again to a repeat under the same Idempotency-Key)
    replayed: bool = False


@dataclass(frozen=True)
class NewSubscription:
    """What a subscription request asks for: what makes two requests the same."""

    url: str
    follows: Any
    actions: list[str]


def follows_of_row(row: Subscription) -> Follows:
    value = json.loads(row.follows_value) if row.follows_value is not None else None
    return Follows(row.follows, tuple(value) if isinstance(value, list) else value)


def follows_record(row: Subscription) -> dict[str, Any]:
    return follows_of_row(row).as_record()


def check_endpoint(url: str, settings: WebhookSettings, resolver: Resolver) -> dict[str, list[str]]:
    """The problems with `url` as an endpoint, keyed `url`: its form, then where it resolves."""
    endpoint, problems = endpoint_of(url, settings.allow_hosts)
    if endpoint is None:
        return {"url": problems}
    addresses = (
        [endpoint.host] if _is_literal(endpoint.host) else resolver(endpoint.host, endpoint.port)
    )
    if endpoint.host not in settings.allow_hosts and not addresses:
        return {"url": [f"The host {endpoint.host} does not resolve."]}
    if problem := addresses_problem(endpoint.host, addresses, settings.allow_hosts):
        return {"url": [f"Must reach a public address: {problem}."]}
    return {}


def _is_literal(host: str) -> bool:
    return literal_address(host) is not None


def create(
    ctx: Context,
    box: SecretBox,
    settings: WebhookSettings,
    url: str,
    follows: Any,
    actions: Sequence[str] | None = None,
    resolver: Resolver | None = None,
) -> Created:
    """A new subscription of `ctx.actor`'s token (a miner's: of its BIN), following from the
    trail's head on. A repeat under the same Idempotency-Key gets the first answer, its secret
    included, and makes nothing."""
    actor = ctx.actor
    resolver = resolver or resolve
    actions = list(dict.fromkeys(actions)) if actions is not None else list(ACTIONS)
    chosen, errors = follows_of(follows)
    errors.update(check_endpoint(url, settings, resolver))
    if problems := actions_problems(actions):
        errors["actions"] = problems
    if errors:
        raise InvalidFields(errors)
    assert chosen is not None and actor.token_id is not None
    _check_follows(actor, chosen)
    request_fingerprint = idempotency.fingerprint(
        "subscribe", None, NewSubscription(url, follows, actions)
    )
    subscription_id = "sub_" + secrets.token_hex(8)
    secret = new_secret(secrets.token_bytes(32))
    with write_transaction() as write:
        if (kept := idempotency.replay_record(write, ctx, request_fingerprint)) is not None:
            view = SubscriptionView.from_record(kept)
            sealed = write.session.scalar(
                select(Subscription.secret).where(Subscription.id == view.id)
            )
            assert sealed is not None
            return Created(view, box.open(view.id, sealed), replayed=True)
        kept_now = write.session.scalar(
            select(func.count()).select_from(Subscription).join(ApiToken)
            .where(_owned_by(actor), Subscription.deleted_at.is_(None))
        )  # fmt: skip
        if kept_now >= settings.per_token:
            owner = "This BIN's tokens keep" if actor.role == MINER else "This token keeps"
            raise InvalidFields(
                {"url": [f"{owner} {kept_now} subscriptions, the most it may "
                         f"(LICENSING_SUBSCRIPTIONS_PER_TOKEN); delete one first."]}
            )  # fmt: skip
        value = chosen.as_record()[chosen.kind]
        row = {
            "id": subscription_id,
            "token_id": actor.token_id,
            "url": url,
            "follows": chosen.kind,
            "follows_value": None if chosen.value is None else canonical_json(value),
            "actions": canonical_json(actions),
            "secret": box.seal(subscription_id, secret),
            "status": ACTIVE,
            "cursor": write.head.seq,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
            "last_delivered_at": None,
            "logged": 0,
            "delivered": 0,
            "failed": 0,
            "test_id": None,
            "created_at": write.now,
            "updated_at": write.now,
            "deleted_at": None,
        }
        write.insert(SUBSCRIPTIONS, row)
        view = SubscriptionView.of(SimpleNamespace(**row), actor.name, write.head.seq)  # type: ignore[arg-type]
        idempotency.remember_record(write, ctx, request_fingerprint, view.to_record())
    return Created(view, secret)


def _check_follows(actor: Actor, follows: Follows) -> None:
    """Named licences must exist; a miner follows only what is its own."""
    holders: dict[str, str] = {}
    if follows.kind == "licences":
        holders = dict(
            db.session.execute(
                select(Licence.number, Licence.holder_bin).where(
                    Licence.number.in_(follows.value or ())
                )
            ).all()
        )
        if missing := [n for n in follows.value or () if n not in holders]:
            raise InvalidFields({"follows.licences": [f"No licence numbered {missing[0]}."]})
    if actor.role == MINER:
        assert actor.holder_bin is not None
        if not within_holder(follows, actor.holder_bin, holders):
            raise InvalidFields(
                {
                    "follows": [
                        "A miner follows its own licences only: its BIN, or licences it holds."
                    ]
                }
            )


def _owned_by(actor: Actor) -> Any:
    """The subscriptions that are `actor`'s (joined to their tokens): a miner's are its BIN's,
    made by any of its tokens; anyone else's are its token's."""
    if actor.role == MINER:
        return and_(ApiToken.role == MINER, ApiToken.holder_bin == actor.holder_bin)
    return Subscription.token_id == actor.token_id


def _visible(actor: Actor) -> Any:
    query = (
        select(Subscription, ApiToken.name).join(ApiToken).where(Subscription.deleted_at.is_(None))
    )
    if actor.role != REGULATOR:
        query = query.where(_owned_by(actor))
    return query


def get(actor: Actor, subscription_id: str) -> SubscriptionView:
    """The subscription, if `actor` may see it (its own; a regulator any), else not found."""
    found = db.session.execute(
        _visible(actor).where(Subscription.id == subscription_id)
    ).one_or_none()
    if found is None:
        raise SubscriptionNotFound(subscription_id)
    return SubscriptionView.of(found[0], found[1], head_seq(db.session))


def listing(actor: Actor, page: int = 1, page_size: int = 20) -> Page[SubscriptionView]:
    query = _visible(actor)
    head = head_seq(db.session)
    rows = db.session.execute(
        query.order_by(Subscription.created_at, Subscription.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    total = db.session.scalar(query.with_only_columns(func.count(Subscription.id)))
    return Page([SubscriptionView.of(r[0], r[1], head) for r in rows], total or 0, page, page_size)


def delete(actor: Actor, subscription_id: str) -> None:
    get(actor, subscription_id)
    with write_transaction() as write:
        write.update(
            SUBSCRIPTIONS,
            {"id": subscription_id},
            {"deleted_at": write.now, "updated_at": write.now, "status": DISABLED},
        )


def set_status(actor: Actor, subscription_id: str, status: str) -> SubscriptionView:
    """Pause, or resume (from its cursor: nothing is skipped) a subscription; regulators only."""
    if actor.role != REGULATOR:
        raise SubscriptionNotFound(subscription_id)
    if status not in (ACTIVE, PAUSED):
        raise ValueError(f"a subscription is paused or resumed, not made {status!r}")
    get(actor, subscription_id)
    with write_transaction() as write:
        write.update(
            SUBSCRIPTIONS,
            {"id": subscription_id},
            {"status": status, "attempts": 0, "next_attempt_at": None, "updated_at": write.now},
        )
    return get(actor, subscription_id)


def redeliver(ctx: Context, subscription_id: str, from_seq: int) -> Redelivered:
    """Deliver again every matching change from `from_seq` on: the cursor moves back to just
    before it and the subscription is active again (a failing or disabled one resumes). A repeat
    under the same Idempotency-Key gets the first answer and moves nothing again."""
    view = get(ctx.actor, subscription_id)
    request_fingerprint = idempotency.fingerprint("redeliver", view.id, _Redelivery(from_seq))
    with write_transaction() as write:
        if (kept := idempotency.replay_record(write, ctx, request_fingerprint)) is not None:
            return Redelivered(SubscriptionView.from_record(kept), replayed=True)
        if from_seq > write.head.seq + 1:
            raise InvalidFields(
                {"from_seq": [f"The trail ends at seq {write.head.seq}: give at most "
                              f"{write.head.seq + 1}."]}
            )  # fmt: skip
        moved = {
            "cursor": from_seq - 1,
            "status": ACTIVE,
            "attempts": 0,
            "next_attempt_at": None,
            "updated_at": write.now,
        }
        write.update(SUBSCRIPTIONS, {"id": view.id}, moved)
        after = replace(view, **moved, lag=max(0, write.head.seq - moved["cursor"]))
        idempotency.remember_record(write, ctx, request_fingerprint, after.to_record())
    return Redelivered(after)


@dataclass(frozen=True)
class _Redelivery:
    from_seq: int


@dataclass(frozen=True)
class Redelivered:
    subscription: SubscriptionView
    replayed: bool = False


@dataclass(frozen=True)
class QueuedTest:
    subscription: str
    webhook_id: str
    outcome: str = "queued"


def queue_test(actor: Actor, subscription_id: str) -> QueuedTest:
    """Queue a signed `webhook.test` delivery to the subscription's endpoint, for the delivery
    process to send (whatever the subscription's status or retries); its outcome appears in the
    delivery log under the webhook-id returned. Changes nothing of its cursor or retries. A test
    already queued and not yet sent is the one returned: a second is not queued."""
    view = get(actor, subscription_id)
    with write_transaction() as write:
        queued = write.session.scalar(
            select(Subscription.test_id).where(Subscription.id == view.id)
        )
        if queued is not None:
            return QueuedTest(view.id, queued)
        message_id = f"{view.id}-test-{int(write.now.timestamp() * 1000)}"
        write.update(SUBSCRIPTIONS, {"id": view.id}, {"test_id": message_id})
    return QueuedTest(view.id, message_id)


@dataclass(frozen=True)
class DeliveryEntry:
    attempt: int
    seq: int
    webhook_id: str
    at: datetime
    outcome: str
    status: int | None
    duration_ms: int
    error: str | None


def delivery_log(actor: Actor, subscription_id: str, limit: int = 100) -> list[DeliveryEntry]:
    """The subscription's newest delivery attempts first."""
    get(actor, subscription_id)
    rows = db.session.scalars(
        select(Delivery)
        .where(Delivery.subscription_id == subscription_id)
        .order_by(Delivery.attempt.desc())
        .limit(limit)
    )
    return [
        DeliveryEntry(r.attempt, r.seq, r.webhook_id, r.at, r.outcome, r.status, r.duration_ms,
                      r.error)
        for r in rows
    ]  # fmt: skip


def delivery_page(
    actor: Actor, subscription_id: str, before: int | None, size: int
) -> Slice[DeliveryEntry]:
    """A page of the subscription's delivery attempts, newest first, older than attempt
    `before`."""
    get(actor, subscription_id)
    query = select(Delivery).where(Delivery.subscription_id == subscription_id)
    return newest_first(db.session, query, Delivery.attempt, before, size, _entry)


def _entry(r: Delivery) -> DeliveryEntry:
    return DeliveryEntry(
        r.attempt, r.seq, r.webhook_id, r.at, r.outcome, r.status, r.duration_ms, r.error
    )


def health(page: int, page_size: int) -> Page[SubscriptionView]:
    """A page of the live subscriptions with their health, for regulators."""
    head = head_seq(db.session)
    query = (
        select(Subscription, ApiToken.name)
        .join(ApiToken)
        .where(Subscription.deleted_at.is_(None))
        .order_by(Subscription.status, Subscription.created_at, Subscription.id)
    )
    return paginate(
        db.session, query, page, page_size, lambda r: SubscriptionView.of(r[0], r[1], head),
        columns=True,
    )  # fmt: skip
