"""The words a page shows for the registry's codes (regions, standings, statuses, actions,
subtypes) and a licence's fields, in the reader's language. A test holds these tables to the
domain's own lists."""

from __future__ import annotations

from licensing.domain import decisions, lifecycle, proposals, standing
from licensing.domain.reasons import CATALOGUE, LANGUAGES
from licensing.web.i18n import current_locale
from licensing.web.i18n import lazy_gettext as _l

REGION_NAMES = {
    "abai": _l("Abai Region"),
    "akmola": _l("Akmola Region"),
    "aktobe": _l("Aktobe Region"),
    "almaty_region": _l("Almaty Region"),
    "atyrau": _l("Atyrau Region"),
    "east_kazakhstan": _l("East Kazakhstan Region"),
    "jambyl": _l("Jambyl Region"),
    "jetisu": _l("Jetisu Region"),
    "karaganda": _l("Karaganda Region"),
    "kostanay": _l("Kostanay Region"),
    "kyzylorda": _l("Kyzylorda Region"),
    "mangystau": _l("Mangystau Region"),
    "north_kazakhstan": _l("North Kazakhstan Region"),
    "pavlodar": _l("Pavlodar Region"),
    "turkistan": _l("Turkistan Region"),
    "ulytau": _l("Ulytau Region"),
    "west_kazakhstan": _l("West Kazakhstan Region"),
    "astana": _l("Astana"),
    "almaty": _l("Almaty"),
    "shymkent": _l("Shymkent"),
}

STANDING_WORDS = {
    standing.IN_FORCE: _l("In force"),
    standing.SUSPENDED_NOW: _l("Suspended"),
    standing.SUSPENSION_OVERDUE: _l("Suspended, end date passed"),
    standing.REVOKED_FOR_GOOD: _l("Revoked"),
    standing.EXPIRED: _l("Expired"),
    standing.NOT_YET_IN_FORCE: _l("Not yet in force"),
}

# four eyes: what became of a proposal
PROPOSAL_STATE_WORDS = {
    proposals.PENDING: _l("Awaiting approval"),
    proposals.APPROVED: _l("Approved and carried out"),
    proposals.REJECTED: _l("Rejected"),
    proposals.WITHDRAWN: _l("Withdrawn"),
    proposals.EXPIRED: _l("Expired undecided"),
    proposals.STALE: _l("Stale: the licence changed since"),
}

# What each standing means for someone dealing with the holder, said once under the badge.
STANDING_MEANING = {
    standing.IN_FORCE: _l("The holder may carry out digital mining under this licence."),
    standing.SUSPENDED_NOW: _l(
        "The licence is suspended: the holder may not carry out digital mining until it is resumed."
    ),
    standing.SUSPENSION_OVERDUE: _l(
        "The suspension's end date has passed but the regulator has not yet resumed the licence: "
        "the holder may not carry out digital mining."
    ),
    standing.REVOKED_FOR_GOOD: _l("The licence was revoked and no longer has any effect."),
    standing.EXPIRED: _l("The licence's term has ended and it no longer has any effect."),
    standing.NOT_YET_IN_FORCE: _l("The licence's term has not begun yet."),
}

STATUS_WORDS = {
    lifecycle.ISSUED: _l("issued"),
    lifecycle.SUSPENDED: _l("suspended"),
    lifecycle.RESUMED: _l("resumed"),
    lifecycle.REVOKED: _l("revoked"),
}

ACTION_WORDS = {
    lifecycle.ISSUE: _l("Issue"),
    lifecycle.SUSPEND: _l("Suspension"),
    lifecycle.RESUME: _l("Resumption"),
    lifecycle.REVOKE: _l("Revocation"),
    lifecycle.AMEND: _l("Amendment of details"),
}

SUBTYPE_WORDS = {
    "I": _l("Subtype I: own data centre"),
    "II": _l("Subtype II: equipment hosted in another's data centre"),
}

# A licence's fields as the pages name them, with the hints its forms give.
FIELD_WORDS = {
    "holder_name": _l("Holder"),
    "holder_bin": _l("BIN"),
    "subtype": _l("Subtype"),
    "site_address": _l("Site"),
    "region": _l("Region"),
    "capacity_mw": _l("Capacity, MW"),
    "issued_on": _l("Issued on"),
    "expires_on": _l("Valid until"),
}
FIELD_HINTS = {
    "holder_bin": _l("12 digits"),
    "issued_on": _l("Today when left empty."),
    "expires_on": _l("Three years after issue when left empty."),
}
# The words for the codes of each field that takes one of a closed list (domain/licence.CHOICES).
VALUE_WORDS = {"subtype": SUBTYPE_WORDS, "region": REGION_NAMES}

DECIDED_BY_WORDS = {
    decisions.LICENSOR: _l("Order of the licensor"),
    decisions.COURT: _l("Court decision"),
}

# The badge's colour class; the words above always stand beside it.
STANDING_TONE = {
    standing.IN_FORCE: "good",
    standing.SUSPENDED_NOW: "warn",
    standing.SUSPENSION_OVERDUE: "warn",
    standing.REVOKED_FOR_GOOD: "bad",
    standing.EXPIRED: "neutral",
    standing.NOT_YET_IN_FORCE: "neutral",
}


def word(table: dict[str, object], code: str | None) -> str:
    """The reader's word for `code`, or the code itself when a table lacks it."""
    if code is None:
        return ""
    return str(table.get(code, code))


def _language() -> str:
    language = str(current_locale() or "")
    return language if language in LANGUAGES else "en"


def reason_words(code: str | None) -> str:
    """The reason code's label in the reader's language, from the reason-code catalogue."""
    reason = CATALOGUE.get(code or "")
    return reason.label(_language()) if reason else (code or "")


def reason_article(code: str | None) -> str:
    """The provision of the law the reason code rests on, cited in the reader's language."""
    reason = CATALOGUE.get(code or "")
    return reason.article.cited(_language()) if reason else ""


# Why a statement's log proof was refused (domain.log_proofs.REFUSALS), for the reader
PROOF_REFUSALS = {
    "malformed": _l(
        "This is not a readable log proof: it is cut short, or its lines were altered."
    ),
    "origin": _l("The proof's checkpoint is of another log, not of this register's."),
    "checkpoint": _l(
        "The proof's checkpoint is not signed by the register's log key: it is forged, or signed "
        "by another key."
    ),
    "no_statement": _l("The proof carries no statement."),
    "statement": _l(
        "The statement inside the proof is not one the register signed, or it was changed."
    ),
    "index": _l("The proof is for another place in the log than the statement's audit event."),
    "inclusion": _l(
        "The proof's hashes do not lead from the statement's audit event to the checkpoint's "
        "tree: they were altered, reordered or cut."
    ),
}
