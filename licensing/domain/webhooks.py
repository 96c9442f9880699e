"""Webhooks as the rules see them: what a subscription may follow and which changes it gets, the
endpoints it may name and the addresses it may reach, the retry schedule, and how a delivery is
signed (Standard Webhooks: https://www.standardwebhooks.com/)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from licensing.domain.errors import DomainError
from licensing.domain.holder import bin_problems
from licensing.domain.licence import is_licence_number
from licensing.domain.lifecycle import ACTIONS
from licensing.domain.regions import REGIONS

ACTIVE, PAUSED, FAILING, DISABLED = "active", "paused", "failing", "disabled"
STATUSES = (ACTIVE, PAUSED, FAILING, DISABLED)
LICENCES, HOLDER_BIN, REGION, ALL = "licences", "holder_bin", "region", "all"
FOLLOWS = (LICENCES, HOLDER_BIN, REGION, ALL)
MAX_URL = 2000
MAX_LICENCES = 100  # licence numbers one subscription may name
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
# Standard Webhooks' schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
RETRY_SCHEDULE = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_RETRY_AFTER = 36000  # a receiver's Retry-After is honoured up to the schedule's longest wait
JITTER = 0.1  # each wait is stretched by up to a tenth, so retries of many do not come at once


class SubscriptionNotFound(DomainError):
    """No subscription with this id that the caller may see."""

    def __init__(self, subscription_id: str) -> None:
        self.subscription_id = subscription_id[:40]
        super().__init__(f"no subscription {self.subscription_id!r}")


@dataclass(frozen=True)
class WebhookSettings:
    allow_hosts: frozenset[str] = frozenset()  # may use http, and any address
    per_token: int = 100
    schedule: tuple[int, ...] = RETRY_SCHEDULE
    connect_timeout: float = 5.0
    timeout: float = 15.0  # the whole attempt: connect, send, answer
    max_response: int = 64 * 1024
    log_keep: int = 1000
    poll: float = 0.25  # seconds between two looks for new changes
    batch: int = 100  # changes read at a time per subscription
    senders: int = 16  # subscriptions' batches sent side by side, in one delivery process


@dataclass(frozen=True)
class Follows:
    """What a subscription follows: some licences, one holder's, one region's, or all."""

    kind: str
    value: tuple[str, ...] | str | None = None

    def as_record(self) -> dict[str, Any]:
        if self.kind == ALL:
            return {ALL: True}
        return {self.kind: list(self.value) if isinstance(self.value, tuple) else self.value}


def follows_of(document: Any) -> tuple[Follows | None, dict[str, list[str]]]:
    """The follows a client sent, or the problems with it keyed by field (`follows.region`)."""
    if not isinstance(document, Mapping) or len(document) != 1:
        return None, {
            "follows": ['Give exactly one of: {"licences": [...]}, {"holder_bin": "..."}, '
                        '{"region": "..."}, {"all": true}.']
        }  # fmt: skip
    ((kind, value),) = document.items()
    field = f"follows.{kind}"
    if kind == ALL:
        if value is not True:
            return None, {field: ["Must be true."]}
        return Follows(ALL), {}
    if kind == LICENCES:
        if not isinstance(value, list) or not value or len(value) > MAX_LICENCES:
            return None, {field: [f"Must be a list of 1 to {MAX_LICENCES} licence numbers."]}
        bad = [v for v in value if not isinstance(v, str) or not is_licence_number(v)]
        if bad:
            return None, {field: [f"Not a licence number: {str(bad[0])[:40]!r}."]}
        return Follows(LICENCES, tuple(dict.fromkeys(value))), {}
    if kind == HOLDER_BIN:
        if not isinstance(value, str) or (problems := bin_problems(value)):
            return None, {field: problems if isinstance(value, str) else ["Must be a BIN."]}
        return Follows(HOLDER_BIN, value), {}
    if kind == REGION:
        if value not in REGIONS:
            return None, {field: [f"Must be one of: {', '.join(REGIONS)}."]}
        return Follows(REGION, value), {}
    return None, {
        "follows": [f"Cannot follow {str(kind)[:40]!r}: give one of {', '.join(FOLLOWS)}."]
    }


def actions_problems(actions: Sequence[str]) -> list[str]:
    if not actions:
        return ["Name at least one action."]
    if unknown := [a for a in actions if a not in ACTIONS]:
        return [f"Unknown action {str(unknown[0])[:40]!r}: one of {', '.join(ACTIONS)}."]
    return []


@dataclass(frozen=True)
class ChangeFacts:
    """What matching needs of a change: the licence, its holder and region after it, the action."""

    licence: str
    holder_bin: str
    region: str
    action: str


def matches(follows: Follows, actions: Sequence[str], change: ChangeFacts) -> bool:
    """Whether a subscription following `follows` for `actions` gets `change`."""
    if change.action not in actions:
        return False
    if follows.kind == ALL:
        return True
    if follows.kind == LICENCES:
        return change.licence in (follows.value or ())
    if follows.kind == HOLDER_BIN:
        return change.holder_bin == follows.value
    return change.region == follows.value


def within_holder(follows: Follows, holder_bin: str, licence_holders: Mapping[str, str]) -> bool:
    """Whether a miner bound to `holder_bin` may follow `follows`: its own BIN, or licences that
    are all its own (`licence_holders`: each named licence's holder)."""
    if follows.kind == HOLDER_BIN:
        return follows.value == holder_bin
    if follows.kind == LICENCES:
        return all(licence_holders.get(n) == holder_bin for n in follows.value or ())
    return False


# --- endpoints and addresses --------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # lowercased; an IPv6 literal without brackets
    port: int
    target: str  # path and query, as sent in the request line


def endpoint_of(url: str, allow_hosts: frozenset[str]) -> tuple[Endpoint | None, list[str]]:
    """The endpoint `url` names, or why it may not be one: https only (http for the hosts the
    setting allows), bounded, no credentials, a host and nothing odd."""
    if not isinstance(url, str) or not url:
        return None, ["Give the endpoint's URL."]
    if len(url) > MAX_URL:
        return None, [f"Must be at most {MAX_URL} characters."]
    if not url.isascii() or any(c.isspace() or not c.isprintable() for c in url):
        return None, ["Must be printable ASCII without spaces (encode the rest)."]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        return None, [f"Not a URL: {error}."]
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http"):
        return None, ["Must be an https URL."]
    if not host:
        return None, ["Must name a host."]
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return None, [
            "Must not carry credentials (user:password@): the signature proves the sender."
        ]
    if parts.scheme == "http" and host not in allow_hosts:
        return None, ["Must be an https URL."]
    if parts.fragment:
        return None, ["Must not have a fragment (#...)."]
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default = 443 if parts.scheme == "https" else 80
    return Endpoint(parts.scheme, host, port or default, target), []


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_problem(address: str) -> str | None:
    """Why the registry will not connect to `address`, or None for a public one: loopback,
    private, link-local (cloud metadata lives there), multicast, reserved, unspecified and every
    other address not globally reachable are refused."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address[:60]!r} is not an address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_private or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def addresses_problem(
    host: str, addresses: Sequence[str], allow_hosts: frozenset[str]
) -> str | None:
    """Why the resolved `addresses` of `host` may not be connected to (any one refused refuses
    them all: a name must not mix public and private answers), None when they may."""
    if host in allow_hosts:
        return None
    if not addresses:
        return f"{host} has no address"
    for address in addresses:
        if problem := address_problem(address):
            return problem
    return None


# --- retries ---------------------------------------------------------------------------------


def next_wait(
    attempts: int, schedule: Sequence[int], retry_after: float | None, jitter: float
) -> float | None:
    """Seconds to wait before the next attempt after `attempts` failed ones (attempt 1 is the
    schedule's first, immediate, one), or None when the schedule has run out. `jitter` (0 to 1)
    stretches the wait by up to JITTER of it; a receiver's Retry-After, bounded, is a floor."""
    if attempts >= len(schedule):
        return None
    wait = schedule[attempts] * (1 + JITTER * jitter)
    if retry_after is not None and retry_after > 0:
        wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
    return wait


def retry_after_seconds(value: str | None, now_epoch: float) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP date); None if unreadable."""
    if not value:
        return None
    value = value.strip()[:64]
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now_epoch)


# --- signing ---------------------------------------------------------------------------------


def new_secret(random: bytes) -> str:
    """A subscription's signing secret, from at least 24 random bytes."""
    if len(random) < 24:
        raise ValueError("a webhook secret needs at least 24 random bytes")
    return SECRET_PREFIX + base64.b64encode(random).decode()


def webhook_id(subscription_id: str, seq: int) -> str:
    """Stable per subscription and change: receivers deduplicate by it."""
    return f"{subscription_id}-{seq}"


def payload(event_type: str, subscription_id: str, data: Any) -> bytes:
    """The delivery's body: {"type", "subscription", "data"} as compact JSON."""
    document = {"type": event_type, "subscription": subscription_id, "data": data}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def change_payload(subscription_id: str, item_json: str) -> bytes:
    """The body for a change, its feed item spliced in as the feed serves it."""
    action = json.loads(item_json)["action"]
    return (
        f'{{"type":{json.dumps("licence." + action)},'
        f'"subscription":{json.dumps(subscription_id)},"data":{item_json}}}'
    ).encode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header: v1, and the base64 HMAC-SHA256 of
    `{id}.{timestamp}.{body}` under the secret's bytes (the base64 after whsec_)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    key = base64.b64decode(secret[len(SECRET_PREFIX) :])
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
