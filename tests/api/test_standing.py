"""Standing as clients see it: on every view, and as a filter that agrees with the views."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask.testing import FlaskClient

from licensing.domain.standing import STANDINGS
from tests.conftest import Clock
from tests.factories import API, act, decision, issue


def test_standing_is_shown_and_filters_agree_with_it_as_time_passes(
    client: FlaskClient, regulator: dict[str, str], clock: Clock
) -> None:
    numbers = [issue(client, regulator)["number"] for _ in range(4)]
    short = issue(client, regulator, issued_on="2025-01-10", expires_on="2026-05-01")["number"]
    assert act(client, regulator, numbers[1], "suspend").status_code == 200
    assert act(client, regulator, numbers[2], "revoke").status_code == 200
    assert (
        act(client, regulator, numbers[3], "suspend", decision(until="2026-04-15")).status_code
        == 200
    )
    seen: Counter[str] = Counter()
    for days in (0, 40, 60, 90):
        clock.advance(days=days)
        views = _all(client, f"{API}/status")
        words = {view["number"]: view["standing"] for view in views}
        seen.update(words.values())
        for word in STANDINGS:
            for path in ("/status", "/licences"):
                filtered = _all(client, f"{API}{path}", regulator, standing=word)
                assert {v["number"] for v in filtered} == {
                    n for n, w in words.items() if w == word
                }, (path, word, days)
        licence = client.get(f"{API}/licences/{numbers[0]}", headers=regulator).get_json()
        assert licence["in_force"] == (licence["standing"] == "in_force")
    assert {"in_force", "suspended", "suspension_overdue", "revoked", "expired"} <= set(seen)
    assert words[short] == "expired"


def _all(
    client: FlaskClient, url: str, headers: dict[str, str] | None = None, **query: str
) -> list[Any]:
    response = client.get(url, headers=headers or {}, query_string={"page_size": 100, **query})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]
