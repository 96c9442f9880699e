"""Atom feeds of the changes (RFC 4287), in the reader's language, linked from the pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from tests.factories import act, issue

NS = {"a": "http://www.w3.org/2005/Atom"}
BASE = "http://localhost:5000"  # LICENSING_BASE_URL's default: links never follow the Host asked


def atom(client: FlaskClient, path: str, language: str = "en") -> ET.Element:
    response = client.get(path, headers={"Accept-Language": language, "Host": "evil.example"})
    assert response.status_code == 200
    assert response.content_type == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.data)


def test_the_register_feed_is_atom_with_an_entry_per_change_newest_first(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")

    feed = atom(client, "/register/changes.atom")

    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    for required in ("a:id", "a:title", "a:updated", "a:author/a:name"):
        assert feed.find(required, NS) is not None and feed.find(required, NS).text, required
    self_link = feed.find("a:link[@rel='self']", NS)
    assert self_link is not None and self_link.get("href") == f"{BASE}/register/changes.atom"
    entries = feed.findall("a:entry", NS)
    assert [e.find("a:title", NS).text.split(":")[0] for e in entries] == ["Suspension", "Issue"]
    for entry in entries:
        assert entry.find("a:id", NS).text.startswith(f"{BASE}/licences/{number}#")
        assert entry.find("a:updated", NS).text.endswith("Z")
        assert entry.find("a:link", NS).get("href") == f"{BASE}/licences/{number}"
    assert "Order of the licensor" in entries[0].find("a:summary", NS).text
    assert feed.find("a:updated", NS).text == entries[0].find("a:updated", NS).text


def test_entry_ids_stay_the_same_in_every_language_and_after_later_changes(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    before = [
        e.find("a:id", NS).text
        for e in atom(client, "/register/changes.atom").iterfind("a:entry", NS)
    ]
    act(client, regulator, number, "suspend")

    for language in ("kk", "ru", "en"):
        ids = [
            e.find("a:id", NS).text
            for e in atom(client, "/register/changes.atom", language).iterfind("a:entry", NS)
        ]
        assert ids[1:] == before


@pytest.mark.parametrize(
    ("language", "title"),
    [("kk", "Тоқтата тұру"), ("ru", "Приостановление"), ("en", "Suspension")],
)
def test_the_feed_speaks_the_readers_language(
    client: FlaskClient, regulator: dict[str, str], language: str, title: str
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")

    feed = atom(client, f"/licences/{number}/changes.atom", language)

    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == language
    assert feed.find("a:entry/a:title", NS).text.startswith(title)
    assert number in feed.find("a:title", NS).text


def test_a_licence_feed_holds_only_that_licence_and_an_unknown_licence_has_none(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    issue(client, regulator)

    entries = atom(client, f"/licences/{number}/changes.atom").findall("a:entry", NS)

    assert len(entries) == 1
    assert client.get("/licences/DM-2026-999999/changes.atom").status_code == 404
    assert client.get("/licences/nonsense/changes.atom").status_code == 404


def test_the_pages_link_their_feeds(client: FlaskClient, regulator: dict[str, str]) -> None:
    number = issue(client, regulator)["number"]

    register = client.get("/register").get_data(as_text=True)
    licence = client.get(f"/licences/{number}").get_data(as_text=True)

    assert (
        '<link rel="alternate" type="application/atom+xml" href="/register/changes.atom"'
        in register
    )
    assert 'href="/register/changes.atom" type="application/atom+xml">' in register
    feed = f"/licences/{number}/changes.atom"
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed}"' in licence
    assert f'href="{feed}" type="application/atom+xml">' in licence
