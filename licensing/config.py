"""Settings, read once from LICENSING_* environment variables (or a test's overrides)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.domain.policy import Policy
from licensing.domain.reasons import CATALOGUE, DEFAULT_REASON_CODES, reason_code_problems
from licensing.domain.roles import ROLES
from licensing.domain.signin import SignInPolicy
from licensing.domain.statement_rules import StatementRules
from licensing.domain.transparency import LogSettings, default_origin, parse_witnesses
from licensing.domain.webhooks import RETRY_SCHEDULE, WebhookSettings
from licensing.http.guards import plain_host_name

PREFIX = "LICENSING_"
_REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# a host name or address as Flask's TRUSTED_HOSTS takes it (a leading dot: and its subdomains)
_HOST = re.compile(r"\.?[a-z0-9]([a-z0-9.-]{0,252})(:[0-9]{1,5})?|\[[0-9a-f:.]+\](:[0-9]{1,5})?")


class ConfigError(ValueError):
    """A setting has a value the registry cannot run with."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    description: str


# The one list of settings; the README's table is written from it.
SETTINGS = (
    Setting("DATABASE_URL", "sqlite:///<instance>/licensing.sqlite",
            "SQLAlchemy URL of the system of record (`postgresql://...` uses psycopg 3)"),
    Setting("READ_DATABASE_URL", "none",
            "a read replica of the system of record that serves public lookups and the public"
            " register; `none` to read them from `LICENSING_DATABASE_URL`"),
    Setting("SIGNING_KEY_FILE", "<instance>/signing-key.pem",
            "Ed25519 private key (PEM) for statements and checkpoints"),
    Setting("SECRET_KEY_FILE", "<instance>/secret-key",
            "random key (made on first start) that signs form tokens and console sessions"),
    Setting("STATEMENT_ISSUER", "urn:licensing:registry",
            "`iss` of signed status statements; set it to the registry's public URL"),
    Setting("STATEMENT_VALIDITY_HOURS", "24",
            "how long a signed status statement holds at most (never past the licence's term)"),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "where rate-limit counters live; `redis://host:6379` when several processes serve"),
    Setting("RATELIMIT_PUBLIC", "120 per minute",
            "one budget per client address, shared by every public route"),
    Setting("RATELIMIT_SIGNIN", "20 per minute",
            "one budget per client address, shared by the console's sign-in, code and set-up"
            " pages (429 past it)"),
    Setting("TRUSTED_PROXIES", "0",
            "how many reverse proxies in front set X-Forwarded-For (for the client address)"),
    Setting("TIMEZONE", "Asia/Almaty", "time zone of legal dates (issue, expiry, suspension end)"),
    Setting("LICENCE_TERM_YEARS", "3", "term of a licence and the default expiry"),
    Setting("ISSUE_DATES_FROM", "2023-04-01",
            "earliest issue date a licence may have (when the law came into force)"),
    Setting("SUSPENSION_MIN_MONTHS", "1", "shortest suspension, in months ahead"),
    Setting("SUSPENSION_MAX_MONTHS", "6", "longest suspension, in months ahead"),
    *(
        Setting(f"REASON_CODES_{action.upper()}", ",".join(DEFAULT_REASON_CODES[action]),
                f"comma-separated reason codes accepted for `{action}`, from the catalogue")
        for action in STATUS_ACTIONS
    ),
    Setting("APPROVAL_REQUIRED", "none",
            "comma-separated status actions (suspend, resume, revoke) that a second regulator must"
            " approve (four eyes), e.g. `revoke`; `none` for none"),
    Setting("APPROVAL_HOURS", "72", "how long a proposal waits for a second officer's approval"),
    Setting("MAX_BODY_BYTES", "1048576", "largest request body accepted (413 above)"),
    Setting("IDEMPOTENCY_TTL_HOURS", "24", "how long an Idempotency-Key's answer is kept"),
    Setting("LOG_LEVEL", "INFO", "level of the application log"),
    Setting("LOG_FORMAT", "text",
            "`json`: a JSON line per request (ids, route, status, duration, role), and per record"),
    Setting("METRICS_ALLOW", "none",
            "who may read `/metrics`: comma-separated addresses or networks (`10.0.0.0/8`) and"
            " token roles (`role:auditor`); `none` for no one"),
    Setting("BASE_URL", "http://localhost:5000",
            "the address people reach the registry at (scheme, host, any path prefix): every"
            " absolute address it writes (QR codes, set-up links, security.txt) begins with it,"
            " never with a request's `Host`; set it in production (a warning at start says when"
            " it is not)"),
    Setting("TRUSTED_HOSTS", "none",
            "comma-separated host names the registry answers for (`.example.kz` for its"
            " subdomains too), matched in any letter case and with or without the final dot; a"
            " request for any other `Host` is refused (400); `none` for any"),
    Setting("SECURITY_CONTACT", "none",
            "where security researchers report a weakness: comma-separated `mailto:` or"
            " `https:` URIs, the `Contact` of `/.well-known/security.txt`; `none`: no"
            " security.txt (404), and `/security` says no address is configured"),
    Setting("SETUP_LINK_HOURS", "72", "how long a person's one-time set-up link works"),
    Setting("PASSWORD_MIN_LENGTH", "12", "shortest password a person may choose"),
    Setting("SESSION_IDLE_MINUTES", "30", "a console session ends after this long idle"),
    Setting("SESSION_MAX_HOURS", "12", "a console session ends this long after sign-in"),
    Setting("SIGNIN_SLOW_AFTER", "3",
            "failed sign-ins (from one address, or at one login) after which attempts must wait,"
            " longer with each failure"),
    Setting("SIGNIN_LOCK_AFTER", "10",
            "failed sign-ins that lock the address or login; a login's lock still lets in a"
            " person with a second factor from an address that has not been failing"),
    Setting("SIGNIN_LOCK_MINUTES", "15",
            "how long a lock lasts; a failure also counts half as much after each such period"),
    Setting("LOG_ORIGIN", "<host of BASE_URL>/licensing",
            "the transparency log's origin (its checkpoints' first line and key name); never"
            " change it once published"),
    Setting("LOG_WITNESSES", "none",
            "witnesses the log submits its checkpoints to: `name vkey url` each, separated by"
            " commas"),
    Setting("LOG_WITNESS_INTERVAL", "60", "seconds between two submissions to one witness"),
    Setting("LOG_WITNESS_QUORUM", "0",
            "serve the newest checkpoint that at least this many witnesses cosigned (0: the"
            " newest)"),
    Setting("EXTRACTS", "on",
            "`on`: serve signed PDF extracts (`/licences/<number>/extract.pdf`); `off`: none"),
    Setting("DOCUMENT_CERT_FILE", "<instance>/document-cert.pem",
            "certificate (PEM) that signs PDF extracts, with its chain after it; from a trusted"
            " authority in production"),
    Setting("DOCUMENT_KEY_FILE", "<instance>/document-key.pem",
            "private key (PEM, unencrypted) of the document-signing certificate"),
    Setting("DOCUMENT_TSA_URL", "none",
            "RFC 3161 timestamp authority for extracts' signatures (PAdES B-T); `none`: B-B"),
    Setting("OPEN_DATA_DIR", "<instance>/open-data",
            "where `open-data export` writes the register's snapshots and `/open-data/` serves"
            " them from"),

    Setting("WEBHOOKS_ALLOW_HOSTS", "none",
            "comma-separated hosts webhooks may reach over http and at any address (trials and"
            " tests, e.g. 127.0.0.1); every other endpoint must be https at a public address"),
    Setting("SUBSCRIPTIONS_PER_TOKEN", "100", "most webhook subscriptions one token may keep"),
    Setting("WEBHOOKS_RETRY_SCHEDULE", ",".join(str(s) for s in RETRY_SCHEDULE),
            "seconds before each attempt of a delivery (Standard Webhooks' schedule: about three"
            " days); after the last the subscription is failing"),
    Setting("WEBHOOKS_CONNECT_TIMEOUT", "5", "seconds a delivery may take to connect"),
    Setting("WEBHOOKS_TIMEOUT", "15", "seconds a whole delivery attempt may take"),
    Setting("DELIVERIES_LOG_KEEP", "1000", "delivery attempts kept in each subscription's log"),
    Setting("DELIVERIES_POLL_MS", "250",
            "milliseconds between two looks of the delivery process for work (on PostgreSQL it "
            "also wakes when a change is committed)"),
)  # fmt: skip


def load(instance_path: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Flask configuration from the environment, with `overrides` (LICENSING_* names or Flask keys)
    taking precedence."""
    overrides = dict(overrides or {})
    environ = {**os.environ, **{k: v for k, v in overrides.items() if k.startswith(PREFIX)}}  # noqa: TID251
    raw = {
        s.name: environ.get(PREFIX + s.name, s.default).replace("<instance>", instance_path)
        for s in SETTINGS
    }
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url(raw["DATABASE_URL"]),
        "LICENSING_READ_DATABASE_URL": None
        if raw["READ_DATABASE_URL"].strip() in ("", "none")
        else database_url(raw["READ_DATABASE_URL"].strip()),
        "LICENSING_SIGNING_KEY_FILE": raw["SIGNING_KEY_FILE"],
        "LICENSING_SECRET_KEY_FILE": raw["SECRET_KEY_FILE"],
        "RATELIMIT_STORAGE_URI": raw["RATELIMIT_STORAGE_URI"],
        "LICENSING_RATELIMIT_PUBLIC": raw["RATELIMIT_PUBLIC"],
        "LICENSING_RATELIMIT_SIGNIN": raw["RATELIMIT_SIGNIN"],
        "LICENSING_TRUSTED_PROXIES": _integer(raw, "TRUSTED_PROXIES", minimum=0),
        "MAX_CONTENT_LENGTH": _integer(raw, "MAX_BODY_BYTES", minimum=1),
        "LICENSING_IDEMPOTENCY_TTL_HOURS": _integer(raw, "IDEMPOTENCY_TTL_HOURS", minimum=1),
        "LICENSING_LOG_LEVEL": raw["LOG_LEVEL"].upper(),
        "LICENSING_LOG_FORMAT": _choice(raw, "LOG_FORMAT", ("text", "json")),
        "LICENSING_METRICS_ALLOW": metrics_allow(raw["METRICS_ALLOW"]),
        "LICENSING_POLICY": _policy(raw),
        "LICENSING_BASE_URL": base_url(raw["BASE_URL"]),
        "LICENSING_BASE_URL_GIVEN": PREFIX + "BASE_URL" in environ,
        "TRUSTED_HOSTS": trusted_hosts(raw["TRUSTED_HOSTS"]),
        "LICENSING_SECURITY_CONTACT": security_contacts(raw["SECURITY_CONTACT"]),
        "LICENSING_SETUP_LINK": timedelta(hours=_integer(raw, "SETUP_LINK_HOURS", minimum=1)),
        "LICENSING_PASSWORD_MIN_LENGTH": _integer(raw, "PASSWORD_MIN_LENGTH", minimum=8),
        "LICENSING_SESSION_IDLE": timedelta(
            minutes=_integer(raw, "SESSION_IDLE_MINUTES", minimum=1)
        ),
        "LICENSING_SESSION_MAX": timedelta(hours=_integer(raw, "SESSION_MAX_HOURS", minimum=1)),
        "LICENSING_SIGNIN_POLICY": SignInPolicy(
            slow_after=_integer(raw, "SIGNIN_SLOW_AFTER", minimum=1),
            lock_after=_integer(raw, "SIGNIN_LOCK_AFTER", minimum=1),
            lock_for=timedelta(minutes=_integer(raw, "SIGNIN_LOCK_MINUTES", minimum=1)),
        ),
        "LICENSING_LOG": _log(raw),
        "LICENSING_EXTRACTS": _choice(raw, "EXTRACTS", ("on", "off")) == "on",
        "LICENSING_DOCUMENT_CERT_FILE": raw["DOCUMENT_CERT_FILE"],
        "LICENSING_DOCUMENT_KEY_FILE": raw["DOCUMENT_KEY_FILE"],
        "LICENSING_DOCUMENT_TSA_URL": None
        if raw["DOCUMENT_TSA_URL"].strip() in ("", "none")
        else raw["DOCUMENT_TSA_URL"].strip(),
        "LICENSING_OPEN_DATA_DIR": raw["OPEN_DATA_DIR"],
        "LICENSING_WEBHOOKS": _webhooks(raw),
        "LICENSING_STATEMENTS": StatementRules(
            issuer=raw["STATEMENT_ISSUER"],
            validity=timedelta(hours=_integer(raw, "STATEMENT_VALIDITY_HOURS", minimum=1)),
        ),
    }
    config.update({k: v for k, v in overrides.items() if not k.startswith(PREFIX)})
    return config


def _log(raw: Mapping[str, str]) -> LogSettings:
    origin = raw["LOG_ORIGIN"].strip()
    if origin == "<host of BASE_URL>/licensing":
        origin = default_origin(raw["BASE_URL"])
    if not origin or any(c.isspace() or c == "+" for c in origin) or not origin.isprintable():
        raise ConfigError(f"{PREFIX}LOG_ORIGIN must be printable, without spaces or '+'")
    try:
        witnesses = parse_witnesses(raw["LOG_WITNESSES"])
    except ValueError as error:
        raise ConfigError(f"{PREFIX}LOG_WITNESSES: {error}") from None
    quorum = _integer(raw, "LOG_WITNESS_QUORUM", minimum=0)
    if quorum > len(witnesses):
        raise ConfigError(
            f"{PREFIX}LOG_WITNESS_QUORUM is {quorum} but only {len(witnesses)} witnesses are named"
        )
    interval = _integer(raw, "LOG_WITNESS_INTERVAL", minimum=1)
    return LogSettings(origin, witnesses, interval, quorum)


def base_url(value: str) -> str:
    """The registry's address without a trailing slash: http(s), a host, perhaps a path; nothing
    a browser would take for something else (no user, query or fragment)."""
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    try:
        port_holds = parts.port is None or parts.port > 0
    except ValueError:  # out of range
        port_holds = False
    if (
        not port_holds
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or not url.isprintable()
        or any(c.isspace() for c in url)
    ):
        raise ConfigError(
            f"{PREFIX}BASE_URL must be an http:// or https:// address such as"
            f" https://licensing.example.kz, not {value!r}"
        )
    return url


def trusted_hosts(value: str) -> list[str] | None:
    """Flask's TRUSTED_HOSTS: None accepts any host."""
    hosts = [plain_host_name(host.strip()) for host in value.split(",") if host.strip()]
    if hosts == ["none"] or not hosts:
        return None
    for host in hosts:
        if not _HOST.fullmatch(host):
            raise ConfigError(f"{PREFIX}TRUSTED_HOSTS: {host!r} is not a host name")
    return hosts


def security_contacts(value: str) -> tuple[str, ...]:
    contacts = tuple(part.strip() for part in value.split(",") if part.strip())
    if contacts == ("none",):
        return ()
    for contact in contacts:
        parts = urlsplit(contact)
        good = (parts.scheme == "mailto" and "@" in parts.path) or (
            parts.scheme == "https" and parts.hostname
        )
        if not good or not contact.isprintable() or any(c.isspace() for c in contact):
            raise ConfigError(
                f"{PREFIX}SECURITY_CONTACT: {contact!r} is neither a mailto: nor an https: URI"
            )
    return contacts


def _webhooks(raw: Mapping[str, str]) -> WebhookSettings:
    hosts = frozenset(
        host.strip().lower().strip("[]")
        for host in raw["WEBHOOKS_ALLOW_HOSTS"].split(",")
        if host.strip() and host.strip() != "none"
    )
    try:
        schedule = tuple(int(part) for part in raw["WEBHOOKS_RETRY_SCHEDULE"].split(","))
    except ValueError:
        raise ConfigError(
            f"{PREFIX}WEBHOOKS_RETRY_SCHEDULE must be whole seconds separated by commas"
        ) from None
    if not schedule or any(wait < 0 for wait in schedule):
        raise ConfigError(f"{PREFIX}WEBHOOKS_RETRY_SCHEDULE must list waits of 0 s or more")
    connect = _integer(raw, "WEBHOOKS_CONNECT_TIMEOUT", minimum=1)
    total = _integer(raw, "WEBHOOKS_TIMEOUT", minimum=1)
    if total < connect:
        raise ConfigError(f"{PREFIX}WEBHOOKS_TIMEOUT must be at least the connect timeout")
    return WebhookSettings(
        allow_hosts=hosts,
        per_token=_integer(raw, "SUBSCRIPTIONS_PER_TOKEN", minimum=1),
        schedule=schedule,
        connect_timeout=float(connect),
        timeout=float(total),
        log_keep=_integer(raw, "DELIVERIES_LOG_KEEP", minimum=1),
        poll=_integer(raw, "DELIVERIES_POLL_MS", minimum=1) / 1000,
    )


def database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


@dataclass(frozen=True)
class MetricsAllow:
    """Who may read /metrics: client addresses in `networks`, or a token with one of `roles`."""

    networks: tuple[IPv4Network | IPv6Network, ...] = ()
    roles: tuple[str, ...] = ()


def metrics_allow(value: str) -> MetricsAllow:
    networks: list[IPv4Network | IPv6Network] = []
    roles: list[str] = []
    for entry in (part.strip() for part in value.split(",")):
        if not entry or entry == "none":
            continue
        if entry.startswith("role:"):
            if entry[5:] not in ROLES:
                raise ConfigError(f"{PREFIX}METRICS_ALLOW: no role is called {entry[5:]!r}")
            roles.append(entry[5:])
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(
                f"{PREFIX}METRICS_ALLOW: {entry!r} is neither an address, a network nor role:NAME"
            ) from None
    return MetricsAllow(tuple(networks), tuple(roles))


def _choice(raw: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = raw[name].strip().lower()
    if value not in choices:
        raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(choices)}, not {raw[name]!r}")
    return value


def _integer(raw: Mapping[str, str], name: str, minimum: int) -> int:
    try:
        value = int(raw[name])
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be a whole number, not {raw[name]!r}") from None
    if value < minimum:
        raise ConfigError(f"{PREFIX}{name} must be at least {minimum}")
    return value


def _policy(raw: Mapping[str, str]) -> Policy:
    try:
        timezone = ZoneInfo(raw["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{PREFIX}TIMEZONE: unknown time zone {raw['TIMEZONE']!r}") from None
    reason_codes = {
        action: tuple(
            code.strip()
            for code in raw[f"REASON_CODES_{action.upper()}"].split(",")
            if code.strip()
        )
        for action in STATUS_ACTIONS
    }
    for action, codes in reason_codes.items():
        if odd := [code for code in codes if not _REASON_CODE.fullmatch(code)]:
            raise ConfigError(f"reason codes are lowercase words joined by _, not {odd[0]!r}")
        if problems := reason_code_problems(action, codes):
            raise ConfigError(
                f"{PREFIX}REASON_CODES_{action.upper()}: {'; '.join(problems)} "
                f"(the catalogue: {', '.join(CATALOGUE)})"
            )
    try:
        issue_dates_from = date.fromisoformat(raw["ISSUE_DATES_FROM"])
    except ValueError:
        raise ConfigError(
            f"{PREFIX}ISSUE_DATES_FROM must be a date (YYYY-MM-DD), not {raw['ISSUE_DATES_FROM']!r}"
        ) from None
    approval_required = frozenset(
        action.strip()
        for action in raw["APPROVAL_REQUIRED"].split(",")
        if action.strip() and action.strip() != "none"
    )
    if unknown := sorted(approval_required - set(STATUS_ACTIONS)):
        raise ConfigError(
            f"{PREFIX}APPROVAL_REQUIRED: no status action is called {unknown[0]!r}"
            f" (they are {', '.join(STATUS_ACTIONS)})"
        )
    try:
        return Policy(
            approval_required=approval_required,
            approval_window=timedelta(hours=_integer(raw, "APPROVAL_HOURS", minimum=1)),
            term_years=_integer(raw, "LICENCE_TERM_YEARS", minimum=1),
            suspension_min_months=_integer(raw, "SUSPENSION_MIN_MONTHS", minimum=0),
            suspension_max_months=_integer(raw, "SUSPENSION_MAX_MONTHS", minimum=0),
            reason_codes=reason_codes,
            timezone=timezone,
            issue_dates_from=issue_dates_from,
        )
    except ValueError as error:
        raise ConfigError(str(error)) from None
