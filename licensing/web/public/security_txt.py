"""`/.well-known/security.txt` (RFC 9116): where and how to report a weakness, for tools."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

# How far ahead the file says it holds: RFC 9116 asks for less than a year, so that a stale copy
# is seen as stale. Written afresh on every request from the settings, it never goes stale here.
VALID_FOR = timedelta(days=180)
LANGUAGES = ("kk", "ru", "en")


def security_txt(contacts: Sequence[str], now: datetime, policy: str, canonical: str) -> str:
    """The file's text: a Contact line per URI, Expires at midnight UTC `VALID_FOR` from `now`
    (the same all day, so caches agree), the languages, the policy page and the file's own
    address."""
    expires = datetime.combine((now + VALID_FOR).date(), time(), now.tzinfo)
    lines = [
        "# How to report a security weakness in the register of digital-mining licences",
        *(f"Contact: {contact}" for contact in contacts),
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        f"Preferred-Languages: {', '.join(LANGUAGES)}",
        f"Policy: {policy}",
        f"Canonical: {canonical}",
    ]
    return "\n".join(lines) + "\n"
