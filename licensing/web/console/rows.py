"""The rows of the console's licence and event tables, drawn in Python rather than by a Jinja macro
per row: a worklist, a list or a history of 25 rows called some 300 macros, and the calls were a
third of the page's time. What a row shows is as the macros showed it, escaped alike (every value
through `escape`, the words of a language looked up once a table)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from licensing.web import labels
from licensing.web.formats import day, when
from licensing.web.i18n import gettext

_LICENCE_ROW = """
    <tr>
      <td><a href="{href}">{number}</a></td>
      <td>{holder}</td>
      <td>{region}</td>
      <td><span class="badge badge-{tone}">{standing}</span></td>
      <td>{suspended_until}</td>
      <td>{expires_on}</td>
    </tr>
"""


def licence_rows(items: Iterable[Any]) -> list[Markup]:
    """A row per licence (number and link, holder, region, standing badge, suspended until,
    valid until)."""
    href = _licence_href()
    regions = _Words(labels.REGION_NAMES)
    standings = _Words(labels.STANDING_WORDS)
    return [
        Markup(
            _LICENCE_ROW.format(
                href=href(licence.number),
                number=escape(licence.number),
                holder=escape(licence.holder_name),
                region=regions[licence.region],
                tone=escape(labels.STANDING_TONE.get(licence.standing, "neutral")),
                standing=standings[licence.standing],
                suspended_until=escape(day(licence.suspended_until)),
                expires_on=escape(day(licence.expires_on)),
            )
        )
        for licence in items
    ]


_EVENT_ROW = """
    <tr>
      <td>{seq}</td>
      {licence}
      <td>{at}</td>
      <td>{action}
        {until}</td>
      <td>{decision}</td>
      <td>{reason}</td>
      <td>{actor} ({role})</td>
      {hashes}
    </tr>
"""


def event_rows(
    events: Iterable[Mapping[str, Any]], with_licence: bool = False, with_hashes: bool = False
) -> list[Markup]:
    """A row per event of the trail as exported (seq, the licence with `with_licence`, when,
    action, decision, reason, by, and the hashes with `with_hashes`)."""
    href = _licence_href() if with_licence else None
    actions = _Words(labels.ACTION_WORDS)
    previous = escape(gettext("previous"))
    rows = []
    for event in events:
        data = event.get("data")
        data = data if isinstance(data, Mapping) else {}
        licence = hashes = action = until = ""
        if href is not None:
            licence = f'<td><a href="{href(event["licence"])}">{escape(event["licence"])}</a></td>'
        if with_hashes:
            hashes = (
                f'<td><code class="hash" title="{previous}: {escape(event["prev"])}">'
                f"{escape(event['hash'])}</code></td>"
            )
        if event.get("from") and event["from"] != event.get("to"):
            action = escape(f" ({event['from']} → {event['to']})")
        if data.get("until"):
            until = Markup("<br>") + _said(gettext("until %(day)s"), day=day(data["until"]))
        rows.append(
            Markup(
                _EVENT_ROW.format(
                    seq=escape(event["seq"]),
                    licence=licence,
                    at=when(event["at"]),
                    action=actions[event["action"]] + action,
                    until=until,
                    decision=_decision(data),
                    reason=_reason(event, data),
                    actor=escape(event["actor"]),
                    role=escape(event["role"]),
                    hashes=hashes,
                )
            )
        )
    return rows


def _decision(data: Mapping[str, Any]) -> Markup:
    decision = data.get("decision")
    if not decision:
        return Markup("")
    said = _said(
        gettext("No. %(number)s of %(date)s"), number=decision["number"], date=day(decision["date"])
    )
    by = gettext("court") if decision.get("by") == "court" else gettext("licensor")
    return said + Markup(" (") + escape(by) + Markup(")")


def _reason(event: Mapping[str, Any], data: Mapping[str, Any]) -> Markup:
    text = Markup("")
    if event.get("reason_code"):
        text += Markup("<code>") + escape(event["reason_code"]) + Markup("</code>")
    text += Markup(" ") + escape(event.get("reason") or "")
    text += Markup("\n        ")
    if event.get("legal_basis"):
        text += Markup("<br><small>") + escape(event["legal_basis"]) + Markup("</small>")
    text += Markup("\n        ")
    if event["action"] == "amend":
        for field, change in data.items():
            text += Markup("<br>{}: {} → {}").format(field, change[0], change[1])
    return text


def _said(translated: str, **variables: Any) -> Markup:
    """A message as a template's `_()` gives it: its translation escaped, then its variables
    put in, each escaped (the translation is asked for at the call, where the catalogues' check
    finds the message)."""
    return Markup(escape(translated)) % variables


def _licence_href() -> Any:
    """The console's address of a licence, by number: the URL map is asked once a table."""
    marker = "DM-0000-000000"
    before, after = url_for("console.licence", number=marker).split(marker)
    return lambda number: escape(before + quote(number, safe="") + after)


class _Words(dict[str, Markup]):
    """A code's word in the reader's language, escaped, looked up once a table."""

    def __init__(self, table: dict[str, object]) -> None:
        super().__init__()
        self.table = table

    def __missing__(self, code: str) -> Markup:
        self[code] = found = escape(labels.word(self.table, code))
        return found
