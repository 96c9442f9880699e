"""People's accounts for the console: created by an operator with a one-time set-up link, a
password kept as an Argon2 hash, a TOTP second factor (required for regulators), sign-in that
slows down an address or a login after repeated failures (domain/signin.py), and the sessions a
sign-in opens, kept as rows so that ending one refuses its cookie wherever it is."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from licensing import clock, metrics
from licensing.domain.errors import InvalidFields
from licensing.domain.passwords import MAX_LENGTH, normalised, password_problems
from licensing.domain.roles import PEOPLE, REGULATOR
from licensing.domain.signin import (
    Counts,
    SignInPolicy,
    accepted_step,
    admitted,
    new_totp_secret,
    totp_uri,
)
from licensing.domain.text import NAME, normalise_text
from licensing.models import ConsoleSession, SignInFailures, User, db
from licensing.services.context import Actor
from licensing.services.listing import paginate
from licensing.services.results import Page
from licensing.services.tokens import secret_digest
from licensing.services.transaction import Write, write_transaction

PERSON_ROLES = PEOPLE
ISSUER = "Licensing registry"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")
_hasher = PasswordHasher()
USERS: Table = User.__table__  # type: ignore[assignment]
SESSIONS: Table = ConsoleSession.__table__  # type: ignore[assignment]
FAILURES: Table = SignInFailures.__table__  # type: ignore[assignment]
# A session's last use is written when the one recorded is older than this: a request that reads
# does not write, and the idle limit is still kept to the minute.
SESSION_TOUCH = timedelta(minutes=1)
log = logging.getLogger(__name__)


@cache
def _unknown() -> str:
    """A hash checked against when the name is unknown, so a wrong name takes as long as a wrong
    password. Made on first use, not at import: a hash takes Argon2's whole memory cost (64 MiB),
    which every process importing the registry (CLI exports, verification) would otherwise pay."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Person:
    """Someone signed in (or half-way: password given, second factor pending)."""

    id: int
    name: str
    email: str
    role: str
    epoch: int
    needs_totp: bool

    @property
    def actor(self) -> Actor:
        return Actor(name=self.name, role=self.role, user_id=self.id)


@dataclass(frozen=True)
class UserView:
    name: str
    email: str
    role: str
    state: str  # awaiting set-up, active, locked, disabled
    created_at: datetime


@dataclass(frozen=True)
class SetupView:
    name: str
    email: str
    role: str
    totp_secret: str | None
    totp_uri: str | None


class SignInRefused(Exception):
    """Wrong name, password or code (never says which), or a wait or lock still running."""

    def __init__(self, until: datetime | None = None) -> None:
        self.until = until  # set when the account must wait or is locked
        super().__init__("sign-in refused" if until is None else f"try again after {until}")


def create(name: str, email: str, role: str, link_valid: timedelta) -> str:
    """A new account awaiting set-up; the returned set-up secret is never stored."""
    errors: dict[str, list[str]] = {}
    if problems := NAME.problems(name):
        errors["name"] = problems
    if not _EMAIL.fullmatch(email):
        errors["email"] = ["Give an e-mail address like name@example.kz."]
    if role not in PERSON_ROLES:
        errors["role"] = [f"Must be one of: {', '.join(PERSON_ROLES)}."]
    if errors:
        raise InvalidFields(errors)
    name, email = normalise_text(name), email.strip().casefold()
    secret = secrets.token_urlsafe(32)
    with write_transaction() as write:
        taken = write.session.scalars(
            select(User).where(or_(User.name == name, User.email == email))
        ).first()
        if taken is not None:
            field = "name" if taken.name == name else "email"
            raise InvalidFields({field: ["Another account already has this; choose another."]})
        write.insert(
            USERS,
            {
                "name": name,
                "email": email,
                "role": role,
                "password_hash": None,
                "totp_secret": new_totp_secret() if role == REGULATOR else None,
                "totp_last_step": None,
                "setup_hash": secret_digest(secret),
                "setup_expires_at": write.now + link_valid,
                "failed_sign_ins": 0,
                "last_failure_at": None,
                "session_epoch": 0,
                "created_at": write.now,
                "disabled_at": None,
            },
        )
    return secret


def reset(name: str, link_valid: timedelta) -> str | None:
    """Start the account over: password and second factor cleared, its sessions ended, enabled
    again, and a new set-up link (returned). None when there is no such account."""
    secret = secrets.token_urlsafe(32)
    with write_transaction() as write:
        user = _named(write.session, name)
        if user is None:
            return None
        _update(
            write,
            user,
            ("session_epoch",),
            {
                "password_hash": None,
                "totp_secret": new_totp_secret() if user.role == REGULATOR else None,
                "totp_last_step": None,
                "setup_hash": secret_digest(secret),
                "setup_expires_at": write.now + link_valid,
                "failed_sign_ins": 0,
                "last_failure_at": None,
                "session_epoch": user.session_epoch + 1,
                "disabled_at": None,
            },
        )
        _end_sessions(write, user.id)
    return secret


def disable(name: str) -> bool:
    """No more sign-ins, and every session of the account ends; False when there is none."""
    with write_transaction() as write:
        user = _named(write.session, name)
        if user is None:
            return False
        _update(
            write,
            user,
            ("session_epoch",),
            {
                "disabled_at": user.disabled_at or write.now,
                "setup_hash": None,
                "session_epoch": user.session_epoch + 1,
            },
        )
        _end_sessions(write, user.id)
    return True


def unlock(name: str) -> bool | None:
    """Forget the failed sign-ins counted against the account's logins (its name and e-mail
    address); None when there is no such account, else whether there was anything to forget."""
    with write_transaction() as write:
        user = _named(write.session, name)
        if user is None:
            return None
        keys = [_login_key(user.name), _login_key(user.email)]
        rows = write.session.scalars(select(SignInFailures).where(SignInFailures.key.in_(keys)))
        found = [row.key for row in rows]
        for key in found:
            write.update(FAILURES, {"key": key}, {"failures": 0.0})
    if found:
        log.warning(
            "sign-in lock cleared for %s",
            user.name,
            extra={"event": "sign_in_unlocked", "account": user.name},
        )
    return bool(found)


def unlock_address(address: str) -> bool:
    """Forget the failed sign-ins counted against a source address; whether there were any."""
    key = _address_key(address.strip())
    with write_transaction() as write:
        if write.session.get(SignInFailures, key) is None:
            return False
        write.update(FAILURES, {"key": key}, {"failures": 0.0})
    log.warning(
        "sign-in lock cleared for address %s",
        address,
        extra={"event": "sign_in_unlocked", "address": address},
    )
    return True


def listing(policy: SignInPolicy) -> list[UserView]:
    now = clock.now()
    rows = list(db.session.scalars(select(User).order_by(User.name)))
    keys = [_login_key(login) for u in rows for login in (u.name, u.email)]
    counts = {
        row.key: policy.blocked_until(row.failures, row.last_at)
        if policy.locks(row.failures)
        else None
        for row in db.session.scalars(select(SignInFailures).where(SignInFailures.key.in_(keys)))
    }
    return [UserView(u.name, u.email, u.role, _state(u, counts, now), u.created_at) for u in rows]


def setup_of(secret: str) -> SetupView | None:
    """What a valid, unexpired set-up link is for; None for any other link."""
    user = _by_setup(db.session, secret, clock.now())
    if user is None:
        return None
    return SetupView(
        user.name,
        user.email,
        user.role,
        user.totp_secret,
        totp_uri(user.totp_secret, user.email, ISSUER) if user.totp_secret else None,
    )


def complete_setup(
    secret: str, password: str, repeated: str, code: str | None, minimum_length: int
) -> bool:
    """Set the password (and confirm the second factor with a first code); the link is then
    spent. False when the link is not (or no longer) valid; InvalidFields for a bad answer. The
    password is judged and hashed before the write's lock is taken."""
    user = _by_setup(db.session, secret, clock.now())
    if user is None:
        return False
    password, repeated = normalised(password), normalised(repeated)
    errors = _password_errors(user, password, repeated, minimum_length)
    step = None
    if user.totp_secret:
        step = accepted_step(user.totp_secret, code or "", clock.now(), None)
        if step is None:
            errors["code"] = ["This code is not the one your app shows now."]
    if errors:
        raise InvalidFields(errors)
    hashed, setup_hash = _hasher.hash(password), user.setup_hash
    with write_transaction() as write:
        user = _by_setup(write.session, secret, write.now)
        if user is None or user.setup_hash != setup_hash:
            return False
        _update(
            write,
            user,
            ("setup_hash",),  # the link this answers: spent once
            {
                "password_hash": hashed,
                "totp_last_step": step,
                "setup_hash": None,
                "setup_expires_at": None,
                "failed_sign_ins": 0,
                "last_failure_at": None,
            },
        )
    return True


def check_password(login: str, password: str, policy: SignInPolicy, address: str = "-") -> Person:
    """The person, when `login` (name or e-mail) and `password` match an active account and the
    attempt is admitted (domain/signin.py); for a regulator the second factor is still to come
    (`needs_totp`). `address` is the client's, where failures are counted too. Known or not,
    locked or not, a login costs one Argon2 verification (two for a password that normalising
    changes: see _verified) and is refused in the same words: the answer tells nothing of which
    accounts exist.

    The verification runs before the write that counts its outcome, never under the chain head's
    lock that every write of the registry takes: a flood of sign-ins holds up no other write."""
    login = login.strip()
    if not login or len(login) > 254 or len(normalised(password)) > MAX_LENGTH:
        raise SignInRefused()
    user = _by_login(db.session, login)
    keys = _sign_in_keys(user, login, address)
    now = clock.now()
    counts = _counts(db.session, keys, policy, now)
    if counts.address_until is not None and now < counts.address_until:
        # the refusal depends on the address alone, never on the login: no work is owed
        raise SignInRefused(counts.address_until)
    checked = user.password_hash if _usable(user) and user else None
    right, from_raw = _verified(checked, password)
    rehashed = None
    if right and (from_raw or _hasher.check_needs_rehash(checked or "")):
        rehashed = _hasher.hash(normalised(password))
    locks: list[tuple[str, str]] = []
    with write_transaction() as write:
        user = _by_login(write.session, login)
        keys = _sign_in_keys(user, login, address)
        counts = _counts(write.session, keys, policy, write.now)
        usable = _usable(user)
        # what was verified must still be the account's password: one changed meanwhile is not
        right = right and usable and user is not None and user.password_hash == checked
        second_factor = bool(usable and user and user.totp_secret)
        weighed = admitted(policy, counts, write.now, second_factor)
        person, name = None, user.name if usable and user else None
        if weighed and right:
            assert user is not None
            until = None
            if not user.totp_secret:
                _forget_failures(write, (keys[1],))
            if rehashed is not None:
                _update(write, user, ("password_hash",), {"password_hash": rehashed})
            person = _person(user, needs_totp=bool(user.totp_secret))
        else:
            until, counted = _refused(counts, keys, write.now)
            locks = _count_failure(write, counted, policy, address)
    _report_locks(locks, name, address)
    if person is None:  # raised after the commit, so the failure is counted
        raise SignInRefused(until)
    return person


def _by_login(session: Session, login: str) -> User | None:
    return session.scalars(
        select(User).where(or_(User.name == login, func.lower(User.email) == login.casefold()))
    ).first()


def _sign_in_keys(user: User | None, login: str, address: str) -> tuple[str, str]:
    # an account's name and e-mail address are one login, counted under the name: only someone
    # who knows both can tell that they are counted together
    return _address_key(address), _login_key(user.name if user else login)


def _usable(user: User | None) -> bool:
    return user is not None and user.disabled_at is None and user.password_hash is not None


def check_code(person: Person, code: str, policy: SignInPolicy, address: str = "-") -> Person:
    """The person fully signed in when `code` is their app's current code, not used before. The
    failures are counted against the address and the account's name."""
    locks: list[tuple[str, str]] = []
    with write_transaction() as write:
        user = write.session.get(User, person.id)
        if user is None or not _current(user, person.epoch) or not user.totp_secret:
            raise SignInRefused()
        name, keys = user.name, (_address_key(address), _login_key(user.name))
        counts = _counts(write.session, keys, policy, write.now)
        if not admitted(policy, counts, write.now, second_factor=True):
            raise SignInRefused(counts.address_until or counts.login_until)
        step = accepted_step(user.totp_secret, code, write.now, user.totp_last_step)
        if step is None:
            locks = _count_failure(write, _refused(counts, keys, write.now)[1], policy, address)
        else:
            _update(write, user, ("session_epoch",), {"totp_last_step": step})
            _forget_failures(write, (keys[1],))
            signed = _person(user, needs_totp=False)
    _report_locks(locks, name, address)
    if step is None:  # raised after the commit, so the failure is counted
        raise SignInRefused()
    return signed


@dataclass(frozen=True)
class SessionView:
    """One of a person's open console sessions, as their sessions page shows it."""

    id: int
    began_at: datetime
    seen_at: datetime
    agent: str
    address: str
    current: bool


def begin_session(person: Person, agent: str, address: str) -> str:
    """Open a session for someone just signed in; the returned secret (for their cookie) is
    never stored, only its digest."""
    secret = secrets.token_urlsafe(32)
    with write_transaction() as write:
        user = write.session.get(User, person.id)
        if user is None or not _current(user, person.epoch):
            raise SignInRefused()
        write.insert(
            SESSIONS,
            {
                "digest": secret_digest(secret),
                "user_id": user.id,
                "began_at": write.now,
                "seen_at": write.now,
                "ended_at": None,
                "agent": agent[:200],
                "address": address[:64],
            },
        )
    return secret


def session_of(secret: str, idle: timedelta, longest: timedelta) -> tuple[Person, int] | None:
    """The person a session's secret names, and the session's id, while it is open: not ended,
    used within `idle`, begun within `longest`, the account active. Using it keeps it open; the
    use is written only when the last one recorded is a minute old."""
    if not secret or len(secret) > 100:
        return None
    # the session and its account in one statement: every console page asks
    row = db.session.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.digest == secret_digest(secret))
    ).one_or_none()
    now = clock.now()
    if row is None:
        return None
    found, user = row
    if not _open(found, now, idle, longest) or not _current(user, user.session_epoch):
        return None
    person, session_id = _person(user, needs_totp=False), found.id
    if now - found.seen_at >= SESSION_TOUCH:
        with write_transaction() as write:
            write.update(SESSIONS, {"id": session_id}, {"seen_at": write.now})
    return person, session_id


def end_session(secret: str) -> None:
    """End the session this secret names (signing out); nothing when it is not open."""
    if not secret or len(secret) > 100:
        return
    with write_transaction() as write:
        found = write.session.scalars(
            select(ConsoleSession).where(
                ConsoleSession.digest == secret_digest(secret), ConsoleSession.ended_at.is_(None)
            )
        ).one_or_none()
        if found is not None:
            write.update(SESSIONS, {"id": found.id}, {"ended_at": write.now})


def open_sessions(
    person: Person, current: int, idle: timedelta, longest: timedelta, page: int, page_size: int
) -> Page[SessionView]:
    """A page of the person's open sessions, the latest used first; `current` is the one asking.
    Open is decided in the query (the same test as `_open`), so the page and its count are
    bounded reads."""
    now = clock.now()
    query = (
        select(ConsoleSession)
        .where(
            ConsoleSession.user_id == person.id,
            ConsoleSession.ended_at.is_(None),
            ConsoleSession.seen_at >= now - idle,
            ConsoleSession.began_at >= now - longest,
        )
        .order_by(ConsoleSession.seen_at.desc(), ConsoleSession.id.desc())
    )
    return paginate(
        db.session, query, page, page_size,
        lambda r: SessionView(r.id, r.began_at, r.seen_at, r.agent, r.address, r.id == current),
    )  # fmt: skip


def end_sessions_of(person: Person, which: int | None, keep: int | None = None) -> int:
    """End one of the person's sessions (`which`), or all of them but `keep` (`which` None);
    how many ended. Another person's session is never theirs to end."""
    with write_transaction() as write:
        return _end_sessions(write, person.id, which=which, keep=keep)


def change_password(
    person: Person,
    current: str,
    password: str,
    repeated: str,
    minimum_length: int,
    policy: SignInPolicy,
    address: str = "-",
) -> None:
    """A new password for the person, who gives the one they have; every one of their sessions
    ends, so a session someone else holds ends with the old password. InvalidFields for a wrong
    current password or a new one the rules refuse. A wrong current password counts as a failed
    sign-in of the account, and while its login must wait none is weighed: a copied session is
    no way to guess the password. The hashing is done before the write's lock is taken."""
    user = db.session.get(User, person.id)
    if user is None or not _current(user, person.epoch):
        raise SignInRefused()
    keys = (_address_key(address), _login_key(user.name))
    counts = _counts(db.session, keys, policy, clock.now())
    errors: dict[str, list[str]] = {}
    if not admitted(policy, counts, clock.now(), second_factor=False):
        errors["current"] = [WAIT_BEFORE_TRYING]
        raise InvalidFields(errors)
    checked = user.password_hash
    right, _ = _verified(checked, current[:MAX_LENGTH])
    if not right:
        errors["current"] = [WRONG_PASSWORD]
    password, repeated = normalised(password), normalised(repeated)
    errors |= _password_errors(user, password, repeated, minimum_length)
    hashed = None if errors else _hasher.hash(password)
    locks: list[tuple[str, str]] = []
    with write_transaction() as write:
        user = write.session.get(User, person.id)
        if user is None or not _current(user, person.epoch) or user.password_hash != checked:
            raise SignInRefused()
        if not right:
            locks = _count_failure(write, keys, policy, address)
        elif hashed is not None:
            _update(
                write,
                user,
                ("session_epoch",),
                {"password_hash": hashed, "session_epoch": user.session_epoch + 1},
            )
            _end_sessions(write, user.id)
    _report_locks(locks, user.name, address)
    if errors:  # raised after the commit, so a wrong current password is counted
        raise InvalidFields(errors)


WRONG_PASSWORD = "This is not your current password."
WAIT_BEFORE_TRYING = "Too many wrong passwords: wait a few minutes before trying again."


def _password_errors(
    user: User, password: str, repeated: str, minimum_length: int
) -> dict[str, list[str]]:
    problems = password_problems(password, minimum=minimum_length, name=user.name, email=user.email)
    if problems:
        return {
            "password": [p.format(minimum=minimum_length, maximum=MAX_LENGTH) for p in problems]
        }
    if password != repeated:
        return {"repeated": ["The two passwords differ."]}
    return {}


def _open(found: ConsoleSession, now: datetime, idle: timedelta, longest: timedelta) -> bool:
    fresh = now - found.seen_at <= idle and now - found.began_at <= longest
    return found.ended_at is None and fresh


def _end_sessions(
    write: Write, user_id: int, *, which: int | None = None, keep: int | None = None
) -> int:
    """Queue the end of the user's open sessions: the one `which`, or all but `keep`."""
    query = select(ConsoleSession.id).where(
        ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None)
    )
    if which is not None:
        query = query.where(ConsoleSession.id == which)
    ended = [found for found in write.session.scalars(query) if found != keep]
    for found in ended:
        write.update(SESSIONS, {"id": found}, {"ended_at": write.now})
    return len(ended)


def _current(user: User, epoch: int) -> bool:
    active = user.disabled_at is None and user.password_hash is not None
    return active and user.session_epoch == epoch


def _person(user: User, *, needs_totp: bool) -> Person:
    return Person(user.id, user.name, user.email, user.role, user.session_epoch, needs_totp)


def _address_key(address: str) -> str:
    return "address:" + secret_digest(address or "-")


def _login_key(login: str) -> str:
    """The key failures against a login are counted under: a digest (a login someone typed may
    be anything, a password among them) of the login as an account would match it."""
    return "login:" + secret_digest(normalise_text(login).casefold())


def _counts(session: Session, keys: tuple[str, str], policy: SignInPolicy, now: datetime) -> Counts:
    rows = {
        row.key: row
        for row in session.scalars(select(SignInFailures).where(SignInFailures.key.in_(keys)))
    }
    address, login = (rows.get(key) for key in keys)

    def count(row: SignInFailures | None) -> tuple[float, datetime | None]:
        if row is None:
            return 0.0, None
        return policy.decayed(row.failures, row.last_at, now), policy.blocked_until(
            row.failures, row.last_at
        )

    return Counts(*count(address), *count(login))


def _refused(
    counts: Counts, keys: tuple[str, str], now: datetime
) -> tuple[datetime | None, tuple[str, ...]]:
    """Until when a refused attempt's answer says to wait, and the keys it counts against. While
    the login must wait, the answer says so (whatever was typed, whoever has the login), and the
    failure counts against the address alone: the login's lock ends on time, however many
    addresses keep trying it."""
    if counts.login_until is not None and now < counts.login_until:
        return counts.login_until, keys[:1]
    return None, keys


def _count_failure(
    write: Write, keys: tuple[str, ...], policy: SignInPolicy, address: str
) -> list[tuple[str, str]]:
    """Queue one more failure against each key; the locks it begins, as (kind, key)."""
    locks = []
    for key in keys:
        row = write.session.get(SignInFailures, key)
        before = policy.decayed(row.failures, row.last_at, write.now) if row else 0.0
        after = before + 1
        if row is None:
            write.insert(FAILURES, {"key": key, "failures": after, "last_at": write.now})
        else:
            write.update(FAILURES, {"key": key}, {"failures": after, "last_at": write.now})
        if policy.locks(after) and not policy.locks(before):
            locks.append((key.partition(":")[0], key))
    return locks


def _forget_failures(write: Write, keys: tuple[str, ...]) -> None:
    for key in keys:
        row = write.session.get(SignInFailures, key)
        if row is not None and row.failures:
            write.update(FAILURES, {"key": key}, {"failures": 0.0})


def _report_locks(locks: list[tuple[str, str]], account: str | None, address: str) -> None:
    """A log line and a count for each lock begun: operators see them, and `users unlock` (or
    time) clears them. The account is named only when the login is one."""
    for kind, key in locks:
        metrics.SIGN_IN_LOCKS.labels(kind).inc()
        log.warning(
            "sign-in locked: %s %s",
            kind,
            (account or key) if kind == "login" else address,
            extra={
                "event": "sign_in_locked",
                "scope": kind,
                "account": account if kind == "login" else None,
                "key": key,
                "address": address,
            },
        )


def _update(write: Write, user: User, read: tuple[str, ...], values: dict[str, Any]) -> None:
    """Queue the change of `values` in the user's row, only those that differ from what was read
    (none: nothing is written). The row must still be as read: its id and the columns in `read`,
    the ones the change was decided on (never None ones: `= NULL` matches no row)."""
    changed = {name: value for name, value in values.items() if value != getattr(user, name)}
    if changed:
        keys = {"id": user.id, **{name: getattr(user, name) for name in read}}
        write.update(USERS, keys, changed)


def _verified(password_hash: str | None, password: str) -> tuple[bool, bool]:
    """Whether `password` is the one `password_hash` was made from; and whether it was made from
    the password's text as typed, before passwords were normalised (domain/passwords.py), so
    that it should be made again from the normalised form. That text is tried only when the
    normalised form does not match, and only when it differs from it."""
    plain = normalised(password)
    if _verified_as(password_hash, plain):
        return True, False
    as_typed = plain != password and _verified_as(password_hash, password)
    return as_typed, as_typed


def _verified_as(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _unknown(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _state(user: User, locked_until: dict[str, datetime | None], now: datetime) -> str:
    if user.disabled_at is not None:
        return "disabled"
    if user.password_hash is None:
        return "awaiting set-up"
    for login in (user.name, user.email):
        until = locked_until.get(_login_key(login))
        if until is not None and now < until:
            return "locked"
    return "active"


def _named(session: Session, name: str) -> User | None:
    return session.scalars(select(User).where(User.name == normalise_text(name))).one_or_none()


def _by_setup(session: Session, secret: str, now: datetime) -> User | None:
    if not secret or len(secret) > 100:
        return None
    user = session.scalars(
        select(User).where(User.setup_hash == secret_digest(secret))
    ).one_or_none()
    if user is None or user.disabled_at is not None:
        return None
    if user.setup_expires_at is None or user.setup_expires_at <= now:
        return None
    return user


def confirm_code(write: Write, user_id: int, code: str, policy: SignInPolicy | None = None) -> bool:
    """Whether `code` is the person's second factor now and was never used before (for sign-in
    or another confirmation), spending it inside the caller's `write` (a decision it confirms is
    recorded with it, or neither is). False for an account that is disabled or has no factor,
    and, with `policy`, while the account's login must wait after failures (`code_refused`
    counts them)."""
    user = write.session.get(User, user_id)
    if user is None or user.disabled_at is not None or not user.totp_secret:
        return False
    if policy is not None:
        login = _login_key(user.name)
        counts = _counts(write.session, (login, login), policy, write.now)
        if counts.login_until is not None and write.now < counts.login_until:
            return False
    step = accepted_step(user.totp_secret, code[:20], write.now, user.totp_last_step)
    if step is None:
        return False
    write.update(USERS, {"id": user.id}, {"totp_last_step": step})
    return True


def code_refused(user_id: int, policy: SignInPolicy, address: str = "-") -> None:
    """Count a refused confirmation code as a failed sign-in of the account (its own write: the
    decision it was to confirm is not recorded). Wrong codes at a confirmation are guesses like
    any other, and lock the login as failed sign-ins do."""
    locks: list[tuple[str, str]] = []
    with write_transaction() as write:
        user = write.session.get(User, user_id)
        if user is None:
            return
        locks = _count_failure(
            write, (_address_key(address), _login_key(user.name)), policy, address
        )
    _report_locks(locks, user.name, address)
