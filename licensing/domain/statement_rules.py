"""Signed status statements: what the registry says of one licence at one moment, for how long
that holds, and how anyone checks one offline against the registry's public keys."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from licensing.domain import jws
from licensing.domain.licence import is_licence_number
from licensing.domain.lifecycle import REVOKED, SUSPENDED
from licensing.domain.standing import STANDINGS
from licensing.domain.timestamps import format_utc

# The claims of a statement, in the order a reader meets them; every one is always present.
CLAIMS = (
    "iss", "sub", "status", "standing", "in_force", "status_since", "suspended_until",
    "expires_on", "seq", "hash", "iat", "exp",
)  # fmt: skip
# Clocks disagree a little; a statement dated this far ahead of the checker's clock still counts.
LEEWAY = timedelta(seconds=60)


@dataclass(frozen=True)
class StatementRules:
    """Who signs statements (`iss`) and how long one holds at most."""

    issuer: str
    validity: timedelta

    @property
    def window(self) -> timedelta:
        """Statements asked for within one window are the same bytes, so they cache: 1/24 of the
        validity (an hour for the default day)."""
        return max(self.validity / 24, timedelta(seconds=1))


@dataclass(frozen=True)
class LicenceFacts:
    """What a statement is made of: the licence's public standing and its last audit event."""

    number: str
    status: str
    standing: str
    in_force: bool
    status_since: datetime
    issued_on: date
    expires_on: date
    suspended_until: date | None
    seq: int
    hash: str
    last_change: datetime


def claims(
    facts: LicenceFacts, rules: StatementRules, now: datetime, timezone: ZoneInfo
) -> dict[str, Any]:
    """The statement's claims at `now`.

    `iat` is the start of the current window, but never before the licence's last change nor
    before the last moment its standing turned by the calendar, so that the claims held for the
    whole of `iat`..`exp`. `exp` is `iat` plus the validity, cut at the next moment the standing
    turns by the calendar: the end of the term (the `expires_on` day), the end of a suspension,
    the issue date. A licence already revoked or expired gets the full validity: that stays true."""
    turns = _standing_turns(facts, timezone)
    window = rules.window.total_seconds()
    floor = datetime.fromtimestamp(now.timestamp() // window * window, UTC)
    issued_at = max([floor, facts.last_change, *(t for t in turns if t <= now)])
    expires_at = min([issued_at + rules.validity, *(t for t in turns if t > now)])
    return {
        "iss": rules.issuer,
        "sub": facts.number,
        "status": facts.status,
        "standing": facts.standing,
        "in_force": facts.in_force,
        "status_since": format_utc(facts.status_since),
        "suspended_until": facts.suspended_until and facts.suspended_until.isoformat(),
        "expires_on": facts.expires_on.isoformat(),
        "seq": facts.seq,
        "hash": facts.hash,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
    }


# The claims' canonical JSON (sorted keys, compact, UTF-8: `chain.canonical_json`, encoded), by
# one encoder instead of json.dumps; a test holds the two to the same bytes.
_CANONICAL = msgspec.json.Encoder(order="sorted")


def payload(statement_claims: dict[str, Any]) -> bytes:
    """What a statement signs: its claims as canonical JSON."""
    return _CANONICAL.encode(statement_claims)


def _standing_turns(facts: LicenceFacts, timezone: ZoneInfo) -> list[datetime]:
    """The instants at which the licence's standing changes with the calendar alone."""
    if facts.status == REVOKED:
        return []

    def start(day: date) -> datetime:
        return datetime.combine(day, time(), timezone).astimezone(UTC)

    turns = [start(facts.issued_on), start(facts.expires_on + timedelta(days=1))]
    if facts.status == SUSPENDED and facts.suspended_until is not None:
        turns.append(start(facts.suspended_until + timedelta(days=1)))
    return turns


@dataclass(frozen=True)
class StatementCheck:
    """The answer to "is this statement genuine, and does it still hold?", in plain words."""

    genuine: bool  # signed by a key the registry lists, unaltered, and a status statement
    current: bool  # genuine, and the moment checked lies within iat..exp
    licence: str | None  # the licence it speaks of (only when genuine)
    claims: dict[str, Any] | None  # only when genuine: a forgery's claims are not repeated
    kid: str | None
    problem: str | None  # why it is not genuine or not current; None when it holds
    # the licence's events after the statement's own (`seq`), when it was checked against the
    # register: any one means the statement no longer says what the register holds
    changed_since: tuple[Any, ...] = ()
    # when it was checked against the register and the register does not hold the licence or the
    # event it speaks of: why (see not_held)
    not_in_register: str | None = None

    @property
    def superseded(self) -> bool:
        return self.genuine and self.not_in_register is None and bool(self.changed_since)

    @property
    def holds(self) -> bool:
        return (
            self.genuine and self.current and self.not_in_register is None and not self.superseded
        )

    @property
    def verdict(self) -> str:
        if self.holds:
            word = self.claims["standing"].replace("_", " ") if self.claims else "?"
            return f"genuine and current: the registry states that licence {self.licence} is {word}"
        if self.genuine and self.not_in_register is not None:
            return (
                f"not in the register: signed with the registry's key, but {self.not_in_register}"
            )
        if self.superseded:
            count = len(self.changed_since)
            changes = "a change" if count == 1 else f"{count} changes"
            return (
                f"genuine but superseded: the register holds {changes} to licence {self.licence} "
                f"recorded after this statement's event (seq {self.claims and self.claims['seq']})"
            )
        if self.genuine:
            return f"genuine but not current: {self.problem}"
        return f"not genuine: {self.problem}"


def not_held(
    claims: dict[str, Any], licence_held: bool, event: tuple[str, str] | None
) -> str | None:
    """Why the register does not hold what a genuine statement's `claims` speak of, given whether
    it holds the licence (`sub`) and the register's event at the statement's `seq` (its licence
    and hash; None when it has none); None when it holds both. A statement signed with the
    registry's key for a licence or an event the register never recorded (a key used outside
    the register, or a register that lost its rows) must not pass for one of the register's."""
    number, seq = claims["sub"], claims["seq"]
    if not licence_held:
        return f"the register holds no licence {number}"
    if event is None:
        return f"the register holds no event {seq}, the statement's event of licence {number}"
    if event[0] != number:
        return f"the register's event {seq} is not an event of licence {number}"
    if event[1] != claims["hash"]:
        return f"the register's event {seq} of licence {number} has another hash than the statement"
    return None


def check(
    token: str, jwks: dict[str, Any], at: datetime, issuer: str | None = None
) -> StatementCheck:
    """Check a statement against the registry's public keys at the moment `at`; with `issuer`,
    one that another issuer signed (a key shared with another service) is not genuine, nor is one
    whose subject is not a licence number. Never raises for anything a person might paste: every
    refusal is an answer."""
    try:
        header, body = jws.read(token, jwks)
    except jws.JwsRefused as error:
        return StatementCheck(False, False, None, None, None, str(error))
    kid = header.get("kid")
    found = _claims(body)
    if found is None:
        return StatementCheck(
            False, False, None, None, kid,
            "it is signed by the registry, but it is not a status statement",
        )  # fmt: skip
    if issuer is not None and found["iss"] != issuer:
        return StatementCheck(
            False, False, None, None, kid,
            f"it is signed by the registry's key, but its issuer is {found['iss'][:80]!r}, "
            f"not {issuer!r}",
        )  # fmt: skip
    if not is_licence_number(found["sub"]):
        return StatementCheck(
            False, False, None, None, kid,
            "it is signed by the registry's key, but its subject is not a licence number",
        )  # fmt: skip
    issued_at = datetime.fromtimestamp(found["iat"], UTC)
    expires_at = datetime.fromtimestamp(found["exp"], UTC)
    problem = None
    if at + LEEWAY < issued_at:
        problem = f"it is dated {format_utc(issued_at)}, later than {format_utc(at)}: not yet valid"
    elif at >= expires_at:
        problem = f"it expired at {format_utc(expires_at)}; ask the registry for a fresh one"
    return StatementCheck(True, problem is None, found["sub"], found, kid, problem)


def _claims(body: bytes) -> dict[str, Any] | None:
    """The claims, when the payload has the shape of a statement; None otherwise."""
    try:
        found = json.loads(body)
    except ValueError:
        return None
    if not isinstance(found, dict) or set(found) != set(CLAIMS):
        return None
    numbers = ("iat", "exp", "seq")
    if any(type(found[name]) is not int or not 0 <= found[name] < 2**40 for name in numbers):
        return None
    if found["exp"] <= found["iat"]:
        return None
    texts = ("iss", "sub", "status", "status_since", "expires_on", "hash")
    if any(not isinstance(found[name], str) for name in texts):
        return None
    if found["standing"] not in STANDINGS or not isinstance(found["in_force"], bool):
        return None
    return {name: found[name] for name in CLAIMS}
