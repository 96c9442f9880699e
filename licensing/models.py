"""The registry's tables: licences, the append-only audit trail and its head, tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, registry
from sqlalchemy.types import TypeDecorator, TypeEngine

from licensing.domain.licence import SUBTYPES
from licensing.domain.lifecycle import STATES


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC time is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC where the database has it; text on SQLite, which would round through a float."""

    impl = Numeric(10, 3)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(10, 3))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={datetime: UTCDateTime, date: Date, Decimal: ExactDecimal},
    )


db = SQLAlchemy(model_class=Base)


def on_database(item: object, dialect: str) -> bool:
    """Whether a schema item the models declare exists on this kind of database: an index kept
    for PostgreSQL only (`ddl_if(dialect="postgresql")`) is no part of SQLite's schema, so the
    migrations leave it out there and comparing them with the models must too."""
    condition = getattr(item, "_ddl_if", None)  # where SQLAlchemy keeps the ddl_if() rule
    return condition is None or condition.dialect in (None, dialect)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Licence(db.Model):
    __tablename__ = "licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    holder_name: Mapped[str] = mapped_column(String(300))
    # casefolded copy for search: SQLite's LIKE and lower() only fold ASCII, and names are Cyrillic
    holder_name_folded: Mapped[str] = mapped_column(String(300))
    holder_bin: Mapped[str] = mapped_column(String(12), index=True)
    subtype: Mapped[str] = mapped_column(String(2), index=True)
    site_address: Mapped[str] = mapped_column(String(500))
    region: Mapped[str] = mapped_column(String(32), index=True)
    capacity_mw: Mapped[Decimal]
    issued_on: Mapped[date]
    expires_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16), index=True)
    status_since: Mapped[datetime]
    suspended_until: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint(_one_of("status", STATES), name="status"),
        CheckConstraint(_one_of("subtype", SUBTYPES), name="subtype"),
        CheckConstraint("capacity_mw > 0", name="capacity_positive"),
        CheckConstraint("expires_on > issued_on", name="term"),
        # the register read in order of issue, and "not yet in force" (issued_on > today)
        Index("ix_licences_issued_on_id", "issued_on", "id"),
        # "expired" (expires_on < today)
        Index("ix_licences_expires_on", "expires_on"),
        # substring search (LIKE '%text%') through trigrams, on PostgreSQL (pg_trgm); SQLite scans
        *(
            Index(
                f"ix_licences_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("holder_name_folded", "number")
        ),
    )


class AuditEvent(db.Model):
    """One action on one licence. The database refuses UPDATE and DELETE (see the migrations)."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    licence: Mapped[str] = mapped_column(String(20), ForeignKey("licences.number"), index=True)
    action: Mapped[str] = mapped_column(String(16), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the bytes that were hashed
    actor: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str] = mapped_column(String(128))
    # the instant as it was hashed (2026-11-28T19:51:57.123456Z); fixed width, so text order is
    # time order and time filters compare text
    at: Mapped[str] = mapped_column(String(27), index=True)
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The event's canonical JSON, hash included: exactly the bytes that were hashed plus the hash,
    # and the NDJSON export's line. The columns above are its queryable projection; verification
    # checks that both agree.
    line: Mapped[str] = mapped_column(Text)

    # what `action` may be is the lifecycle machine's to say (see migration 0005)
    __table_args__ = (CheckConstraint("seq > 0", name="seq_positive"),)


class ChainHead(db.Model):
    """The last event of the chain. Every write transaction locks this one row first, so appends
    (and everything checked before them) are serialised: no fork, no reused seq."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime | None]
    # the Merkle tree's frontier (domain/merkle.py): the hashes of its perfect subtrees, largest
    # first, joined; the tree's root and its next append need nothing else
    tree: Mapped[bytes] = mapped_column(LargeBinary, default=b"", server_default="")

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class LogNode(db.Model):
    """The hashes of the Merkle tree's perfect subtrees that leaf `leaf` (the event with seq
    leaf + 1) completes, lowest level first (see domain/merkle.py). Append-only, as the trail."""

    __tablename__ = "log_nodes"

    # on SQLite an INTEGER key is the rowid itself: one b-tree, not two
    leaf: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    hashes: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (CheckConstraint("leaf >= 0", name="leaf_not_negative"),)


class SigningKey(db.Model):
    """A public key the registry signs (or signed) with; its private half stays in a file."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class LicenceSerial(db.Model):
    """The last serial given out per year, for licence numbers like DM-2026-000123."""

    __tablename__ = "licence_serials"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    holder_bin: Mapped[str | None] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(
        String(64), unique=True
    )  # SHA-256; the token is never kept
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    __table_args__ = (
        # a name is reused only after its token was revoked
        Index(
            "uq_api_tokens_active_name",
            "name",
            unique=True,
            sqlite_where=db.text("revoked_at IS NULL"),
            postgresql_where=db.text("revoked_at IS NULL"),
        ),
        CheckConstraint("(role = 'miner') = (holder_bin IS NOT NULL)", name="miner_has_bin"),
    )


class IdempotencyRecord(db.Model):
    """The answer to a POST sent with an Idempotency-Key, kept so a retry gets it again."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # whose key it is: a token's, or a person's in the console (one of the two)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (
        UniqueConstraint("token_id", "key"),
        UniqueConstraint("user_id", "key"),
        CheckConstraint("(token_id IS NULL) != (user_id IS NULL)", name="one_owner"),
    )


class User(db.Model):
    """A person who signs in to the console: a regulator or an auditor. The name is the actor of
    their changes, as a token's name is."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text)  # Argon2id; None until set up
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]  # a code is good once: steps up to this one are spent
    setup_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the link
    setup_expires_at: Mapped[datetime | None]
    failed_sign_ins: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime | None]
    # sessions carry the epoch they began in; a reset or a disable moves it on, ending them all
    session_epoch: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint(_one_of("role", ("regulator", "auditor")), name="role"),)


class LogCosignature(db.Model):
    """A witness's cosignature (C2SP tlog-cosignature) of the log's checkpoint of `size`: the
    signature line as the witness sent it, once checked against the witness's key."""

    __tablename__ = "log_cosignatures"

    witness: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    line: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]  # the witness's own timestamp in the cosignature
    received_at: Mapped[datetime]

    __table_args__ = (Index("ix_log_cosignatures_size", "size"),)


class LogWitness(db.Model):
    """What the registry knows of a witness it submits to: the size it last acknowledged (its
    consistency proof starts there), and how the last submission went."""

    __tablename__ = "log_witnesses"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    attempted_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(Text)


class Proposal(db.Model):
    """Four eyes: a status change proposed by one officer, waiting for another's approval (or
    rejected, withdrawn, expired, stale). Not an event: only the change an approval carries out
    enters the trail. One write at a time holds the chain head, so the rule of one pending
    proposal per licence is checked under that lock by the use case."""

    __tablename__ = "proposals"

    # given by the use case under the head's lock (the next after the largest), so the answer to
    # the request that makes one can name it in the same transaction
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    licence: Mapped[str] = mapped_column(String(20), ForeignKey("licences.number"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), index=True)
    licence_version: Mapped[int] = mapped_column(Integer)  # the version it was made on
    # the command as proposed: reason_code, reason, legal_basis, decision, until (canonical JSON)
    change: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposer_token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id"))
    proposer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    seq: Mapped[int | None]  # the event an approval recorded
    # the licence's version as it is now: a pending proposal made on another one is stale
    licence_version_now: Mapped[int] = column_property(
        select(Licence.version).where(Licence.number == licence).scalar_subquery()
    )

    __table_args__ = (
        CheckConstraint(
            _one_of("state", ("pending", "approved", "rejected", "withdrawn", "expired", "stale")),
            name="state",
        ),
        CheckConstraint(
            "(proposer_token_id IS NULL) != (proposer_user_id IS NULL)", name="one_proposer"
        ),
    )


class ConsoleSession(db.Model):
    """A person's signed-in console session. The cookie names it by a random secret, kept here
    only as its digest; ending it (sign-out, another of the person's sessions ending it, a
    disable, a reset, a password change) refuses the cookie at once, wherever it was copied."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the cookie's secret
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    began_at: Mapped[datetime]
    seen_at: Mapped[datetime]  # kept to the minute: a request writes it only when it is older
    ended_at: Mapped[datetime | None]
    agent: Mapped[str] = mapped_column(String(200))  # the browser's User-Agent, cut short
    address: Mapped[str] = mapped_column(String(64))  # the client address it began from


class SignInFailures(db.Model):
    """Failed sign-ins counted against one source address or one login (by the digest of the
    login as normalised, whether or not an account has it): a count that decays with time
    (domain/signin.py), as it stood at the last failure."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # "address:<digest>", "login:…"
    failures: Mapped[float] = mapped_column(Float)
    last_at: Mapped[datetime]


class Change(db.Model):
    """The change feed's item for an event that changed what the public sees (every event but an
    amendment of details the public view does not show): written in the same transaction as the
    event, so the trail stays the outbox and the feed reads one row per item. `item` is the feed
    item's JSON, exactly as served; `holder_bin` is kept for matching subscriptions, never shown."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(
        ForeignKey("audit_events.seq"), primary_key=True, autoincrement=False
    )
    licence: Mapped[str] = mapped_column(String(20))
    region: Mapped[str] = mapped_column(String(32))
    holder_bin: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(16))
    item: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_changes_licence_seq", "licence", "seq"),
        Index("ix_changes_region_seq", "region", "seq"),
        Index("ix_changes_holder_bin_seq", "holder_bin", "seq"),
    )


class Subscription(db.Model):
    """A relying party's webhook endpoint, what it follows, and how far delivery has come: the
    cursor is the seq of the last change delivered (or not matching); nothing after it is
    skipped."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    # what it follows: "licences" (a list), "holder_bin", "region" or "all", and its value
    follows: Mapped[str] = mapped_column(String(16))
    follows_value: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    actions: Mapped[str] = mapped_column(Text)  # canonical JSON list
    secret: Mapped[str] = mapped_column(Text)  # the whsec_ secret, encrypted (AES-GCM)
    status: Mapped[str] = mapped_column(String(16), index=True)
    cursor: Mapped[int] = mapped_column(BigInteger)
    # the retry of the change after the cursor: attempts failed so far, and when to try again
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_delivered_at: Mapped[datetime | None]
    logged: Mapped[int] = mapped_column(BigInteger)  # delivery attempts logged so far
    delivered: Mapped[int] = mapped_column(BigInteger)  # attempts answered 2xx, for the metrics
    failed: Mapped[int] = mapped_column(BigInteger)  # attempts that were not
    # the webhook-id of a test delivery queued for the delivery process, until it is sent
    test_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            _one_of("status", ("active", "paused", "failing", "disabled")), name="status"
        ),
        CheckConstraint(
            _one_of("follows", ("licences", "holder_bin", "region", "all")), name="follows"
        ),
    )


class Delivery(db.Model):
    """One delivery attempt, in a ring of LICENSING_DELIVERIES_LOG_KEEP slots per subscription:
    attempt n is kept in slot n modulo the ring's size, so the log stays bounded without deletes."""

    __tablename__ = "deliveries"

    subscription_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("subscriptions.id"), primary_key=True
    )
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    attempt: Mapped[int] = mapped_column(BigInteger)  # the subscription's n-th attempt
    seq: Mapped[int] = mapped_column(BigInteger)
    webhook_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(16))  # delivered, failed, gone, test
    status: Mapped[int | None] = mapped_column(Integer)  # the HTTP status, None when none came
    duration_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
