"""The change feed: every change to what the public sees, in trail order, replayable from 0."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain.decider import LicenceEvent, evolve
from licensing.domain.timestamps import parse_utc
from licensing.models import db
from licensing.services.changes import build_changes, public_view, view_record
from tests.factories import API, act, issue

FEED = f"{API}/changes"


def feed(client: FlaskClient, **query: Any) -> dict[str, Any]:
    response = client.get(FEED, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def amend(client: FlaskClient, headers: dict[str, str], number: str, **changes: Any) -> None:
    version = client.get(f"{API}/licences/{number}", headers=headers).headers["ETag"]
    response = client.patch(
        f"{API}/licences/{number}", json=changes, headers={**headers, "If-Match": version}
    )
    assert response.status_code == 200, response.get_json()


def test_each_change_arrives_with_the_public_view_the_status_showed_right_after_it(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    shown = [client.get(f"{API}/status/{number}").get_json()]
    for action in ("suspend", "resume", "revoke"):
        assert act(client, regulator, number, action).status_code == 200
        shown.append(client.get(f"{API}/status/{number}").get_json())

    page = feed(client)

    assert [item["action"] for item in page["items"]] == ["issue", "suspend", "resume", "revoke"]
    assert [item["view"] for item in page["items"]] == shown
    assert [item["standing"] for item in page["items"]] == [v["standing"] for v in shown]
    first, suspension = page["items"][0], page["items"][1]
    assert (first["from"], first["to"], first["decision"]) == (None, "issued", None)
    assert suspension["decision"]["by"] == "licensor"
    assert set(suspension["decision"]) == {"number", "date", "by"}
    assert page["next"] == page["items"][-1]["seq"]


def test_the_feed_never_shows_who_recorded_a_change(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")

    body = client.get(FEED).get_data(as_text=True)

    assert "regulator" not in body and "request_id" not in body and "actor" not in body
    for item in feed(client)["items"]:
        assert set(item) == {"seq", "licence", "action", "from", "to", "standing", "view",
                             "decision", "at"}  # fmt: skip


def test_an_amendment_appears_only_when_it_changes_the_public_view(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    amend(client, regulator, number, capacity_mw="20")  # not public
    amend(client, regulator, number, holder_name="ТОО «Новое имя»")

    items = feed(client)["items"]

    assert [item["action"] for item in items] == ["issue", "amend"]
    assert items[1]["view"]["holder_name"] == "ТОО «Новое имя»"
    assert items[1]["seq"] == 3


def test_the_cursor_pages_through_everything_once(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    for _ in range(5):
        issue(client, regulator)

    seen, after = [], 0
    for _ in range(4):
        page = feed(client, after=after, limit=2)
        seen += [item["seq"] for item in page["items"]]
        after = page["next"]

    assert seen == [1, 2, 3, 4, 5]
    assert feed(client, after=after) == {"items": [], "next": 5}


def test_the_feed_filters_by_licence_and_by_region(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    one = issue(client, regulator, region="pavlodar")["number"]
    other = issue(client, regulator, region="abai")["number"]
    act(client, regulator, one, "suspend")

    assert [i["seq"] for i in feed(client, licence=one)["items"]] == [1, 3]
    assert [i["licence"] for i in feed(client, region="abai")["items"]] == [other]
    # nothing more in the region up to the head: the cursor moves on to it
    assert feed(client, region="abai")["next"] == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "x"}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"region": "atlantis"}, "region"),
        ({"licence": "not a number"}, "licence"),
        ({"actor": "someone"}, "actor"),
    ],
)
def test_a_bad_query_is_refused_naming_the_field(
    client: FlaskClient, query: dict[str, str], field: str
) -> None:
    response = client.get(FEED, query_string=query)

    assert response.status_code in (400, 422)
    assert response.content_type == "application/problem+json"
    assert field in response.get_json()["errors"]


def test_the_feed_draws_on_the_public_rate_budget(make_app: Any) -> None:
    client = make_app(LICENSING_RATELIMIT_PUBLIC="2 per minute").test_client()
    client.get(f"{API}/status")
    client.get(FEED)

    response = client.get(FEED)

    assert response.status_code == 429
    assert "Retry-After" in response.headers


def trail_projection(app: Flask, client: FlaskClient, auditor: dict[str, str]) -> list[Any]:
    """The public projection of the exported trail, computed here: each event folded with
    evolve, its public view on the day it was made; amendments that leave it alone left out."""
    events = client.get(
        f"{API}/audit/events", query_string={"format": "ndjson"}, headers=auditor
    ).get_data(as_text=True)
    policy = app.config["LICENSING_POLICY"]
    licences: dict[str, Any] = {}
    projected = []
    for line in events.splitlines():
        event = json.loads(line)
        domain_event = LicenceEvent(
            event["licence"], event["action"], event["from"], event["to"], event["at"],
            event["data"],
        )  # fmt: skip
        before = licences.get(event["licence"])
        licences[event["licence"]] = after = evolve(before, domain_event)
        at = parse_utc(event["at"])
        view = view_record(public_view(after, policy, at))
        if before is not None and view == view_record(public_view(before, policy, at)):
            continue
        projected.append((event["seq"], event["licence"], event["action"], view))
    return projected


def test_the_feed_replayed_from_0_equals_the_trails_public_projection(
    app: Flask, client: FlaskClient, regulator: dict[str, str], auditor: dict[str, str], clock: Any
) -> None:
    numbers = [issue(client, regulator, region=r)["number"] for r in ("pavlodar", "abai", "astana")]
    act(client, regulator, numbers[0], "suspend")
    amend(client, regulator, numbers[1], region="akmola")
    amend(client, regulator, numbers[2], site_address="г. Астана, ул. Новая, 1")
    clock.advance(days=3)
    act(client, regulator, numbers[0], "resume")
    act(client, regulator, numbers[2], "revoke")

    replayed, after = [], 0
    while page := feed(client, after=after, limit=3)["items"]:
        replayed += [(i["seq"], i["licence"], i["action"], i["view"]) for i in page]
        after = page[-1]["seq"]

    assert replayed == trail_projection(app, client, auditor)
    assert len(replayed) == 7  # eight events, one amendment the public does not see


def test_the_feed_of_a_trail_written_without_it_is_built_from_the_trail(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")
    issue(client, regulator)
    written = feed(client)
    with app.app_context():
        db.session.execute(db.text("DELETE FROM changes WHERE seq > 1"))
        db.session.commit()
        with db.engine.begin() as connection:
            assert build_changes(connection, app.config["LICENSING_POLICY"]) == 2

    assert feed(client) == written
