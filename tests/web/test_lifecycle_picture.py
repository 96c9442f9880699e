"""The lifecycle picture on /about is the machine's: one arrow per move, one box per state."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from licensing.domain.lifecycle import STATES, TRANSITIONS
from tests.web.conftest import page


def test_the_picture_has_exactly_the_machines_moves_and_states(client: FlaskClient) -> None:
    text = page(client, "/about").text
    arrows = set(re.findall(r'data-from="(\w+)" data-to="(\w+)" data-action="(\w+)"', text))
    moves = {
        (source, move["dest"], move["trigger"])
        for move in TRANSITIONS
        if move["dest"] is not None
        for source in move["source"]
    }
    assert arrows == moves
    assert set(re.findall(r'data-state="(\w+)"', text)) == set(STATES)


def test_the_picture_speaks_the_readers_language(client: FlaskClient) -> None:
    kk = page(client, "/about", **{"Accept-Language": "kk"}).text
    assert ">Тоқтата тұру</text>" in kk
    ru = page(client, "/about", **{"Accept-Language": "ru"}).text
    assert ">Приостановление</text>" in ru
