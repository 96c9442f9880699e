"""Bad input on the pages: unknown and malformed numbers, script in fields, odd language headers
and cookies, a flood from one address. None of it breaks a page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from licensing.services import public
from tests.factories import API, bearer, issue
from tests.web.conftest import page


@pytest.mark.parametrize(
    "path",
    [
        "/licences/DM-2026-000404",
        "/licences/dm-2026-000001",
        "/licences/DM-2026-1",
        "/licences/%27%20OR%201=1--",
        "/licences/" + "9" * 5000,
        "/no/such/page",
    ],
)
def test_unknown_or_malformed_addresses_are_a_friendly_404_page(
    client: FlaskClient, path: str
) -> None:
    text = page(client, path, 404, **{"Accept-Language": "ru"}).text
    assert "Страница не найдена" in text
    assert "DM-2025-000123" in text


def test_unknown_api_addresses_stay_problems(client: FlaskClient) -> None:
    for path in (f"{API}/nothing", "/api/nothing", "/.well-known/nothing"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


def test_script_in_a_holder_name_shows_as_text(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    name = '<script>alert("x")</script> & Co'
    number = issue(client, regulator, holder_name=name)["number"]
    for path in (f"/licences/{number}", "/register", "/register?q=%3Cscript%3E"):
        text = page(client, path).text
        assert "<script>" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in text


def test_script_in_the_search_is_shown_as_text(client: FlaskClient) -> None:
    text = page(client, '/register?q="><script>x</script>').text
    assert "<script>" not in text
    assert "&#34;&gt;&lt;script&gt;" in text


def test_pages_carry_a_policy_with_no_inline_script_or_style(client: FlaskClient) -> None:
    for path in ("/", "/register", "/about", "/verify", "/no/such/page"):
        response = client.get(path)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "<script" not in response.text
        assert "style=" not in response.text


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("en-GB", "en"),
        ("kk-KZ", "kk"),
        ("fr, de;q=0.5", "kk"),
        ("", "kk"),
        ("*", "kk"),
        (";;;q=abc,,,ru;q=", "ru"),
        ("ru;q=0.1, en;q=0.2, kk;q=nan", "en"),
        ("x" * 20_000 + ",ru", "kk"),
        ("en;q=1," * 3000, "en"),
        ("\u0434\u0430, ru", "ru"),
    ],
)
def test_odd_accept_language_headers_never_break_a_page(
    client: FlaskClient, header: str, lang: str
) -> None:
    text = page(client, "/", **{"Accept-Language": header}).text
    assert f'<html lang="{lang}">' in text


@pytest.mark.parametrize("cookie", ["xx", "", "ru; DROP", "k" * 4000, "EN", "\u049b\u0430\u0437"])
def test_odd_language_cookies_fall_back_to_the_header(client: FlaskClient, cookie: str) -> None:
    client.set_cookie("lang", cookie)
    text = page(client, "/", **{"Accept-Language": "ru"}).text
    assert '<html lang="ru">' in text


def test_the_language_switch_is_remembered_and_returns_to_the_page(client: FlaskClient) -> None:
    response = client.get("/language/en?next=/register%3Fregion%3Dalmaty")
    assert response.status_code == 303
    assert response.headers["Location"] == "/register?region=almaty"
    assert "lang=en" in response.headers["Set-Cookie"]
    text = page(client, "/register", **{"Accept-Language": "ru"}).text
    assert '<html lang="en">' in text
    assert 'href="/language/kk?next=/register"' in text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_the_language_switch_never_sends_the_reader_elsewhere(
    client: FlaskClient, target: str
) -> None:
    response = client.get("/language/ru", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_a_flood_from_one_address_gets_the_429_page_and_others_are_served(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(LICENSING_RATELIMIT_PUBLIC="3 per minute")
    number = issue(app.test_client(), bearer(app, "regulator"))["number"]
    client = app.test_client()
    assert client.get(f"{API}/status/{number}").status_code == 200
    page(client, f"/licences/{number}")
    page(client, "/register")
    refused = page(client, "/", 429, **{"Accept-Language": "kk"})
    assert "Сұраулар тым көп" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert client.get(f"{API}/status/{number}").status_code == 429
    other = {"REMOTE_ADDR": "10.0.0.9"}
    assert client.get("/", environ_base=other).status_code == 200


def test_a_failure_inside_a_page_is_a_friendly_500_page(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_app(PROPAGATE_EXCEPTIONS=False).test_client()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(public, "register_page", broken)
    response = client.get("/register", headers={"Accept-Language": "ru"})
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert "На нашей стороне произошёл сбой" in response.text
    assert "boom" not in response.text
