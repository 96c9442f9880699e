"""The change feed's rows as verification expects them, made without the reference's objects: the
same columns and the same item text, byte for byte, as services/changes.py's change_row gives,
written straight from the licence's fields. `audit verify` makes one per event (a million a
verify), where the reference's views, records and whole-document encoding cost several times the
event's own replay. Held equal to change_row by a property test (tests/unit/test_feed_items.py);
it holds no rule of its own: the standing is the domain's, the decision the domain's reading of
the data, and every value is written by the reference's encoder."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from licensing.domain.decider import LicenceEvent, LicenceState
from licensing.domain.decisions import decision_from_data
from licensing.domain.policy import Policy
from licensing.domain.standing import IN_FORCE, STANDINGS, standing
from licensing.domain.timestamps import format_utc, parse_utc

_ENCODE = msgspec.json.Encoder(order="sorted").encode  # the reference's encoder
_CACHED = 65_536  # texts kept written (names, numbers, regions repeat from event to event)


class FeedRows:
    """`row()` for each event in turn, under one policy. What a licence's view shows the same
    from change to change (its term's end, holder, number, region, subtype) is written once and
    kept; what each change brings (status, standing, instants, the decision) is written anew."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._texts: dict[Any, str] = {}  # values (str, date, None) as JSON
        self._settled: dict[tuple[Any, ...], tuple[str, str, str]] = {}  # a view's fixed parts

    def row(
        self, seq: int, event: LicenceEvent, before: LicenceState | None, after: LicenceState
    ) -> tuple[str, str, str, str, str] | None:
        """The feed's row for the event `seq` that took the licence from `before` to `after`:
        (licence, region, holder_bin, action, item), or None where the feed keeps none."""
        at = event.at if not isinstance(event.at, str) else parse_utc(event.at)
        today = self.policy.today(at)
        word = standing(
            after.status, after.issued_on, after.expires_on, after.suspended_until, today
        )
        amendment = before is not None and event.from_status == event.to_status
        if amendment and _shown(before, today) == _shown(after, today, word):  # type: ignore[arg-type]
            return None
        written, kept = self._written, self._texts.get  # kept: the texts already written
        head, middle, tail = self._settled_parts(after)
        since = after.status_since
        at_text = format_utc(at)
        same = isinstance(since, datetime) and since == at  # the change's own instant
        since_text = f'"{at_text}"' if same else written(since)
        shown = kept(word) or written(word)
        status = after.status
        until = after.suspended_until
        view = (
            f'{head}{_IN_FORCE[word]}{middle}{shown},"status":{kept(status) or written(status)},'
            f'"status_since":{since_text}{tail}{kept(until) or written(until)}}}'
        )
        decision = decision_from_data(event.data)  # type: ignore[arg-type]
        action, before_status, to, licence = (
            event.action, event.from_status, event.to_status, event.licence
        )  # fmt: skip
        item = (
            f'{{"action":{kept(action) or written(action)},"at":"{at_text}",'
            f'"decision":{"null" if decision is None else _ENCODE(decision).decode()},'
            f'"from":{kept(before_status) or written(before_status)},'
            f'"licence":{kept(licence) or written(licence)},'
            f'"seq":{seq if type(seq) is int else _ENCODE(seq).decode()},"standing":{shown},'
            f'"to":{kept(to) or written(to)},"view":{view}}}'
        )
        return (event.licence, after.region, after.holder_bin, event.action, item)

    def _settled_parts(self, state: LicenceState) -> tuple[str, str, str]:
        """The view's text around what changes: up to `in_force`, from `number` to `standing`,
        from `subtype` to `suspended_until`."""
        key = (state.expires_on, state.holder_name, state.number, state.region, state.subtype)
        parts = self._settled.get(key)
        if parts is None:
            if len(self._settled) >= _CACHED:
                self._settled.clear()
            written = self._written
            parts = self._settled[key] = (
                f'{{"expires_on":{written(state.expires_on)},'
                f'"holder_name":{written(state.holder_name)},"in_force":',
                f',"number":{written(state.number)},"region":{written(state.region)},"standing":',
                f',"subtype":{written(state.subtype)},"suspended_until":',
            )
        return parts

    def _written(self, value: Any) -> str:
        """`value` as the reference's view record and encoder write it."""
        kind = type(value)
        if kind is str or kind is date or value is None:
            text = self._texts.get(value)
            if text is None:
                if len(self._texts) >= _CACHED:
                    self._texts.clear()
                shown = value.isoformat() if kind is date else value
                text = self._texts[value] = _ENCODE(shown).decode()
            return text
        if isinstance(value, datetime):
            return _instant(value)
        if isinstance(value, date):
            return f'"{value.isoformat()}"'
        return _ENCODE(value).decode()


def _instant(value: datetime) -> str:
    return f'"{format_utc(value)}"'


_IN_FORCE = {word: "true" if word == IN_FORCE else "false" for word in STANDINGS}


def _shown(state: LicenceState, today: date, word: str | None = None) -> tuple[Any, ...]:
    """What the public view of `state` shows on `today`, its standing (`word`, if known) last."""
    if word is None:
        word = standing(
            state.status, state.issued_on, state.expires_on, state.suspended_until, today
        )
    return (state.number, state.holder_name, state.region, state.subtype, state.status,
            state.status_since, state.expires_on, state.suspended_until, word)  # fmt: skip
