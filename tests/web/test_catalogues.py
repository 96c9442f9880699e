"""The catalogues: every message the pages can show has a Kazakh and a Russian translation, the
catalogues match the code, and every code the registry knows has a word in each language."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask

from licensing.domain import lifecycle, standing
from licensing.domain.licence import SUBTYPES
from licensing.domain.regions import REGIONS
from licensing.web import i18n, labels

CATALOGUES = i18n.CATALOGUES
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalogue(locale: str):  # type: ignore[no-untyped-def]
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


@pytest.mark.parametrize("locale", i18n.TRANSLATED)
def test_every_message_has_a_translation(locale: str) -> None:
    missing = []
    for message in catalogue(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            missing.append(message.id)
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set(PLACEHOLDER.findall(ids[0]))
        assert all(set(PLACEHOLDER.findall(s)) == wanted for s in strings), message.id
    assert missing == []


def test_the_catalogues_hold_every_message_in_the_code(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract",
         "-F", str(CATALOGUES / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
         "-o", str(template), "--no-location", "--omit-header", "."],
        cwd=CATALOGUES.parents[1], check=True, capture_output=True,
    )  # fmt: skip
    with template.open("rb") as file:
        in_code = {m.id for m in read_po(file) if m.id}
    for locale in i18n.TRANSLATED:
        in_catalogue = {m.id for m in catalogue(locale) if m.id}
        assert in_code - in_catalogue == set(), locale
        assert in_catalogue - in_code == set(), locale


def test_every_code_has_a_word() -> None:
    assert set(labels.REGION_NAMES) == set(REGIONS)
    assert set(labels.STANDING_WORDS) == set(standing.STANDINGS)
    assert set(labels.STANDING_MEANING) == set(standing.STANDINGS)
    assert set(labels.STANDING_TONE) == set(standing.STANDINGS)
    assert set(labels.STATUS_WORDS) == set(lifecycle.STATES)
    assert set(labels.ACTION_WORDS) == set(lifecycle.ACTIONS)
    assert set(labels.SUBTYPE_WORDS) == set(SUBTYPES)


def test_the_english_region_names_are_the_registrys_own(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert {code: str(name) for code, name in labels.REGION_NAMES.items()} == REGIONS
