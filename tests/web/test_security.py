"""A door for security researchers: /.well-known/security.txt (RFC 9116) from the settings, and
the /security page in three languages, linked from every page's footer."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.config import ConfigError, load
from tests.conftest import Clock
from tests.web.conftest import page

BASE = "https://licensing.example.kz"
CONTACTS = "mailto:security@licensing.example.kz, https://licensing.example.kz/report"
# RFC 9116 section 2.3: a field is a name, a colon, a space and a value; comments begin with #
_LINE = re.compile(r"(#.*|[A-Za-z-]+: \S.*)")


@pytest.fixture
def open_door(make_app: Callable[..., Flask]) -> FlaskClient:
    return make_app(LICENSING_BASE_URL=BASE, LICENSING_SECURITY_CONTACT=CONTACTS).test_client()


def _fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        assert _LINE.fullmatch(line), line
        if not line.startswith("#"):
            name, value = line.split(": ", 1)
            fields.setdefault(name, []).append(value)
    return fields


def test_security_txt_names_the_contacts_the_policy_and_itself(
    open_door: FlaskClient, clock: Clock
) -> None:
    response = open_door.get("/.well-known/security.txt", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    fields = _fields(response.text)
    assert fields["Contact"] == [
        "mailto:security@licensing.example.kz",
        "https://licensing.example.kz/report",
    ]
    assert fields["Preferred-Languages"] == ["kk, ru, en"]
    assert fields["Policy"] == [f"{BASE}/security"]
    assert fields["Canonical"] == [f"{BASE}/.well-known/security.txt"]
    (expires,) = fields["Expires"]
    moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    assert clock.now() + timedelta(days=30) < moment < clock.now() + timedelta(days=365)
    assert set(fields) == {"Contact", "Expires", "Preferred-Languages", "Policy", "Canonical"}


def test_security_txt_expires_later_as_time_goes_on(open_door: FlaskClient, clock: Clock) -> None:
    before = _fields(open_door.get("/.well-known/security.txt").text)["Expires"]
    clock.advance(days=40)
    after = _fields(open_door.get("/.well-known/security.txt").text)["Expires"]
    assert after > before


def test_without_a_contact_there_is_no_security_txt_and_the_page_says_so(
    client: FlaskClient,
) -> None:
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    text = page(client, "/security", **{"Accept-Language": "en"}).text
    assert "No address for reports has been configured" in text
    assert "security.txt" not in text


@pytest.mark.parametrize(
    ("language", "words"),
    [("kk", ["Қауіпсіздік осалдығы туралы хабарлау", "бес жұмыс күні ішінде",
             "құқықтық шара қолданбаймыз"]),
     ("ru", ["Как сообщить об уязвимости", "в течение пяти рабочих дней",
             "не предпринимаем юридических действий"]),
     ("en", ["Reporting a security weakness", "within five working days",
             "We take no legal action"])],
)  # fmt: skip
def test_the_security_page_says_how_to_report_and_what_is_promised(
    open_door: FlaskClient, language: str, words: list[str]
) -> None:
    text = page(open_door, "/security", **{"Accept-Language": language}).text
    assert f'<html lang="{language}">' in text
    for word in words:
        assert word in text
    mail = "security@licensing.example.kz"
    assert f'<a href="mailto:{mail}">{mail}</a>' in text
    assert 'href="https://licensing.example.kz/report"' in text
    assert 'href="/.well-known/security.txt"' in text


@pytest.mark.parametrize("path", ["/", "/register", "/verify", "/console/sign-in"])
def test_every_page_links_to_the_security_page(client: FlaskClient, path: str) -> None:
    assert 'href="/security"' in page(client, path).text


@pytest.mark.parametrize(
    "value", ["security@licensing.example.kz", "http://licensing.example.kz/report",
              "mailto:", "javascript:alert(1)", "https://a.kz/x y"],
)  # fmt: skip
def test_a_contact_that_is_no_mailto_or_https_uri_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigError, match="SECURITY_CONTACT"):
        load("/i", {"LICENSING_SECURITY_CONTACT": value})
