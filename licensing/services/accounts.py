"""People's accounts for the console: created by an operator with a one-time set-up link, a
password kept as an Argon2 hash, a TOTP second factor (required for regulators), sign-in that
slows down and then locks after repeated failures."""

from __future__ import annotations

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

from licensing import clock
from licensing.domain.errors import InvalidFields
from licensing.domain.passwords import MAX_LENGTH, password_problems
from licensing.domain.roles import PEOPLE, REGULATOR
from licensing.domain.signin import SignInPolicy, accepted_step, new_totp_secret, totp_uri
from licensing.domain.text import NAME, normalise_text
from licensing.models import User, db
from licensing.services.context import Actor
from licensing.services.tokens import secret_digest
from licensing.services.transaction import Write, write_transaction

PERSON_ROLES = PEOPLE
ISSUER = "Licensing registry"
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,60}")
_hasher = PasswordHasher()
USERS: Table = User.__table__  # type: ignore[assignment]


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
    return True


def listing(policy: SignInPolicy) -> list[UserView]:
    now = clock.now()
    rows = db.session.scalars(select(User).order_by(User.name))
    return [UserView(u.name, u.email, u.role, _state(u, policy, now), u.created_at) for u in rows]


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
    spent. False when the link is not (or no longer) valid; InvalidFields for a bad answer."""
    with write_transaction() as write:
        user = _by_setup(write.session, secret, write.now)
        if user is None:
            return False
        errors: dict[str, list[str]] = {}
        problems = password_problems(
            password, minimum=minimum_length, name=user.name, email=user.email
        )
        if problems:
            errors["password"] = [
                p.format(minimum=minimum_length, maximum=MAX_LENGTH) for p in problems
            ]
        elif password != repeated:
            errors["repeated"] = ["The two passwords differ."]
        step = None
        if user.totp_secret:
            step = accepted_step(user.totp_secret, code or "", write.now, None)
            if step is None:
                errors["code"] = ["This code is not the one your app shows now."]
        if errors:
            raise InvalidFields(errors)
        _update(
            write,
            user,
            ("setup_hash",),  # the link this answers: spent once
            {
                "password_hash": _hasher.hash(password),
                "totp_last_step": step,
                "setup_hash": None,
                "setup_expires_at": None,
                "failed_sign_ins": 0,
                "last_failure_at": None,
            },
        )
    return True


def check_password(login: str, password: str, policy: SignInPolicy) -> Person:
    """The person, when `login` (name or e-mail) and `password` match an active account; for a
    regulator the second factor is still to come (`needs_totp`)."""
    login = login.strip()
    if not login or len(login) > 254 or len(password) > MAX_LENGTH:
        raise SignInRefused()
    with write_transaction() as write:
        user = write.session.scalars(
            select(User).where(or_(User.name == login, func.lower(User.email) == login.casefold()))
        ).first()
        usable = user is not None and user.disabled_at is None and user.password_hash is not None
        if user is not None and usable:
            _refuse_while_blocked(user, policy, write.now)
        if not _verified(user.password_hash if usable and user else None, password):
            if user is not None and usable:
                _count_failure(write, user)
            person = None
        else:
            assert user is not None
            values: dict[str, Any] = {}
            if not user.totp_secret:
                values.update(failed_sign_ins=0, last_failure_at=None)
            if _hasher.check_needs_rehash(user.password_hash or ""):
                values["password_hash"] = _hasher.hash(password)
            _update(write, user, ("password_hash", "failed_sign_ins"), values)
            person = _person(user, needs_totp=bool(user.totp_secret))
    if person is None:  # raised after the commit, so the failure is counted
        raise SignInRefused()
    return person


def check_code(person: Person, code: str, policy: SignInPolicy) -> Person:
    """The person fully signed in when `code` is their app's current code, not used before."""
    with write_transaction() as write:
        user = write.session.get(User, person.id)
        if user is None or not _current(user, person.epoch) or not user.totp_secret:
            raise SignInRefused()
        _refuse_while_blocked(user, policy, write.now)
        step = accepted_step(user.totp_secret, code, write.now, user.totp_last_step)
        if step is None:
            _count_failure(write, user)
        else:
            _update(
                write,
                user,
                ("session_epoch", "failed_sign_ins"),
                {"totp_last_step": step, "failed_sign_ins": 0, "last_failure_at": None},
            )
            signed = _person(user, needs_totp=False)
    if step is None:  # raised after the commit, so the failure is counted
        raise SignInRefused()
    return signed


def signed_in(user_id: int, epoch: int) -> Person | None:
    """The person a session names, if the account is still active and the session not ended."""
    user = db.session.get(User, user_id)
    if user is None or not _current(user, epoch):
        return None
    return _person(user, needs_totp=False)


def _current(user: User, epoch: int) -> bool:
    active = user.disabled_at is None and user.password_hash is not None
    return active and user.session_epoch == epoch


def _person(user: User, *, needs_totp: bool) -> Person:
    return Person(user.id, user.name, user.email, user.role, user.session_epoch, needs_totp)


def _refuse_while_blocked(user: User, policy: SignInPolicy, now: datetime) -> None:
    until = policy.blocked_until(user.failed_sign_ins, user.last_failure_at)
    if until is not None and now < until:
        raise SignInRefused(until)


def _count_failure(write: Write, user: User) -> None:
    values = {"failed_sign_ins": user.failed_sign_ins + 1, "last_failure_at": write.now}
    _update(write, user, ("failed_sign_ins",), values)


def _update(write: Write, user: User, read: tuple[str, ...], values: dict[str, Any]) -> None:
    """Queue the change of `values` in the user's row, only those that differ from what was read
    (none: nothing is written). The row must still be as read: its id and the columns in `read`,
    the ones the change was decided on (never None ones: `= NULL` matches no row)."""
    changed = {name: value for name, value in values.items() if value != getattr(user, name)}
    if changed:
        keys = {"id": user.id, **{name: getattr(user, name) for name in read}}
        write.update(USERS, keys, changed)


def _verified(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _unknown(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def _state(user: User, policy: SignInPolicy, now: datetime) -> str:
    if user.disabled_at is not None:
        return "disabled"
    if user.password_hash is None:
        return "awaiting set-up"
    until = policy.blocked_until(user.failed_sign_ins, user.last_failure_at)
    if until is not None and now < until and user.failed_sign_ins >= policy.lock_after:
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


def confirm_code(write: Write, user_id: int, code: str) -> bool:
    """Whether `code` is the person's second factor now and was never used before (for sign-in
    or another confirmation), spending it inside the caller's `write` (a decision it confirms is
    recorded with it, or neither is). False for an account that is disabled or has no factor."""
    user = write.session.get(User, user_id)
    if user is None or user.disabled_at is not None or not user.totp_secret:
        return False
    step = accepted_step(user.totp_secret, code[:20], write.now, user.totp_last_step)
    if step is None:
        return False
    table: Table = User.__table__  # type: ignore[assignment]
    write.update(table, {"id": user.id}, {"totp_last_step": step})
    return True
