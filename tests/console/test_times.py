"""Times on console pages: in the reader's language and the registry's time zone (Asia/Almaty),
never the trail's raw UTC strings, with the UTC instant kept for machines in <time datetime>."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.factories import API, decision

# the frozen clock's 09:3x UTC is 14:3x in Almaty (UTC+5); minutes and seconds as the instant's
SHOWN = {
    "kk": "2026 ж. 10 нау., 14:{ms}",
    "ru": "10 мар. 2026 г., 14:{ms}",
    "en": "Mar 10, 2026, 2:{ms} PM",
}
INSTANT = re.compile(r'<time datetime="2026-03-10T09:(\d{2}:\d{2})\.\d{6}Z">([^<]+)</time>')


def local(found: list[tuple[str, str]], language: str) -> list[tuple[str, str]]:
    """Each time shown (its no-break spaces as spaces), beside what it should read for its
    instant."""
    spaces = str.maketrans({"\u202f": " ", "\xa0": " "})
    return [(shown.translate(spaces), SHOWN[language].format(ms=ms)) for ms, shown in found]


RAW = re.compile(r">\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def reading(client: FlaskClient, language: str, path: str) -> str:
    page = client.get(path, headers={"Accept-Language": language})
    assert page.status_code == 200, page.text[:500]
    assert not RAW.search(page.text), RAW.search(page.text)  # no ISO string shown as text
    return page.text


@pytest.mark.parametrize("language", SHOWN)
def test_a_licences_history_shows_its_times_in_the_readers_language_and_almaty_time(
    officer_client: FlaskClient, number: str, language: str
) -> None:
    page = reading(officer_client, language, f"/console/licences/{number}")
    times = local(INSTANT.findall(page), language)
    assert times, page[-3000:]
    assert all(shown == expected for shown, expected in times), times


@pytest.mark.parametrize("language", SHOWN)
def test_recent_decisions_show_their_times_in_the_readers_language(
    client: FlaskClient, officer_client: FlaskClient, regulator: dict[str, str], number: str,
    language: str, clock: Clock,
) -> None:  # fmt: skip
    done = client.post(f"{API}/licences/{number}/suspend", json=decision(), headers=regulator)
    assert done.status_code == 200, done.json
    board = reading(officer_client, language, "/console/")
    recent = board.split('<section id="recent"')[1].split("</section>")[0]
    [(shown, expected)] = local(INSTANT.findall(recent), language)
    assert shown == expected


@pytest.mark.parametrize("language", SHOWN)
def test_sessions_and_the_trail_show_local_times(
    officer_client: FlaskClient, number: str, language: str
) -> None:
    trail = reading(officer_client, language, "/console/audit")
    times = local(INSTANT.findall(trail), language)
    assert times and all(shown == expected for shown, expected in times), times
    sessions = reading(officer_client, language, "/console/sessions")
    assert re.search(r'<time datetime="2026-03-10T\d{2}:\d{2}:\d{2}\.\d{6}Z">', sessions)
    assert "+00:00" not in sessions
