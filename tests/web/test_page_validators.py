"""Public pages carry an ETag made of what they show: a conditional GET that still matches is a
304 with no body, and any committed change, another language or another query gives a new tag.
The licence page reads its licence once, from one database, and says which register entry it
shows."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from licensing.database import public_read_engine
from licensing.fastpaths.single_read import SingleRead
from licensing.models import db
from licensing.web.qr import qr_image
from tests.conftest import POSTGRES_URL
from tests.factories import act, bearer, issue
from tests.web.conftest import page

EN = {"Accept-Language": "en"}
AS_OF = re.compile(r"This page shows the register as of its entry No\. (\d+), recorded")


@contextmanager
def statements(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL statements run while the block runs: through Core on every engine of the app, and
    the single reads (which run on the driver's own cursor)."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        seen.append(sql)

    run = SingleRead._run

    def single(self: SingleRead, parameters: dict[str, object], many: bool) -> list[object]:
        seen.append(str(self.statement))
        return run(self, parameters, many)

    monkeypatch.setattr(SingleRead, "_run", single)

    with app.app_context():
        engines = {id(e): e for e in (*db.engines.values(), public_read_engine())}.values()
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize("path", ["/licences/{number}", "/register", "/register?q=степной",
                                  "/licences/{number}/changes.atom", "/register/changes.atom",
                                  "/statistics"])  # fmt: skip
def test_a_page_is_304_until_its_licence_changes_then_a_new_page_with_a_new_tag(
    client: FlaskClient, regulator: dict[str, str], path: str
) -> None:
    number = issue(client, regulator, holder_name="ТОО «Степной Хеш»")["number"]
    address = path.format(number=number)
    first = client.get(address, headers=EN)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert {"Accept-Language", "Cookie"} <= set(first.vary)

    again = client.get(address, headers={**EN, "If-None-Match": tag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == tag
    assert {"Accept-Language", "Cookie"} <= set(again.vary)

    assert act(client, regulator, number, "suspend").status_code == 200
    after = client.get(address, headers={**EN, "If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["ETag"] != tag
    assert after.data != first.data
    # nor is the page drawn before the change served to a reader who keeps no copy
    assert client.get(address, headers=EN).data == after.data


def test_another_language_or_query_never_matches_the_tag_of_the_first(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    english = client.get(f"/licences/{number}", headers=EN)
    tag = english.headers["ETag"]
    russian = client.get(
        f"/licences/{number}", headers={"Accept-Language": "ru", "If-None-Match": tag}
    )
    assert russian.status_code == 200
    assert "Лицензия" in russian.text
    chosen = client.get("/register", headers=EN).headers["ETag"]
    searched = client.get("/register?q=x", headers={**EN, "If-None-Match": chosen})
    assert searched.status_code == 200
    client.set_cookie("lang", "kk")
    switched = client.get(f"/licences/{number}", headers={**EN, "If-None-Match": tag})
    assert switched.status_code == 200
    assert 'lang="kk"' in switched.text


def test_a_pages_tag_is_checked_by_reading_the_chain_head_alone(
    app: Flask, client: FlaskClient, regulator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(client, regulator)["number"]
    tag = client.get(f"/licences/{number}", headers=EN).headers["ETag"]
    with statements(app, monkeypatch) as seen:
        assert (
            client.get(f"/licences/{number}", headers={**EN, "If-None-Match": tag}).status_code
            == 304
        )
    assert len(seen) == 1
    assert "audit_head" in seen[0]
    assert "licences" not in seen[0]
    assert "audit_events" not in seen[0]


def test_the_licence_page_reads_the_licence_and_its_timeline_in_one_statement(
    app: Flask, client: FlaskClient, regulator: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    number = issue(client, regulator)["number"]
    act(client, regulator, number, "suspend")
    with statements(app, monkeypatch) as seen:
        page(client, f"/licences/{number}", **EN)
    reading = [sql for sql in seen if "licences" in sql or "audit_events" in sql]
    assert len(reading) == 1
    assert "audit_events" in reading[0]


def test_the_licence_page_says_which_register_entry_it_shows_in_every_language(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    issue(client, regulator)
    act(client, regulator, number, "suspend")
    shown = page(client, f"/licences/{number}", **EN).text
    assert AS_OF.search(shown).group(1) == "3"  # type: ignore[union-attr]
    assert (
        "по состоянию на его запись № 3"
        in page(client, f"/licences/{number}", **{"Accept-Language": "ru"}).text
    )
    assert (
        "№ 3 жазбасы бойынша"
        in page(client, f"/licences/{number}", **{"Accept-Language": "kk"}).text
    )
    assert AS_OF.search(page(client, "/register", **EN).text).group(1) == "3"  # type: ignore[union-attr]


@pytest.mark.skipif(POSTGRES_URL is not None, reason="the replica is a copy of a SQLite file")
def test_a_lagging_replica_gives_a_page_whose_badge_timeline_and_as_of_agree(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    primary = make_app()
    client = primary.test_client()
    regulator = bearer(primary, "regulator")
    number = issue(client, regulator)["number"]
    with primary.app_context():
        db.engine.dispose()
    database = primary.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    shutil.copyfile(database, tmp_path / "replica.sqlite")  # a replica that stopped at entry 1

    app = make_app(LICENSING_READ_DATABASE_URL=f"sqlite:///{tmp_path}/replica.sqlite")
    client = app.test_client()
    assert act(client, regulator, number, "suspend").status_code == 200  # entry 2, primary only
    shown = page(client, f"/licences/{number}", **EN).text
    assert "badge-good" in shown and "In force" in shown
    assert "Suspension" not in shown  # nor in the timeline
    assert AS_OF.search(shown).group(1) == "1"  # type: ignore[union-attr]


def test_each_licence_page_shows_the_qr_code_of_its_own_address(
    app: Flask, client: FlaskClient, regulator: dict[str, str]
) -> None:
    numbers = [issue(client, regulator)["number"] for _ in range(2)]
    codes = []
    for number in numbers:
        shown = page(client, f"/licences/{number}", **EN).text
        image = re.search(r'<img class="qr" src="([^"]+)"[^>]* alt="([^"]+)"', shown)
        assert image is not None and image.group(2) == "QR code of this page's address"
        code = client.get(image.group(1))
        url = f"{app.config['LICENSING_BASE_URL']}/licences/{number}"
        assert code.data == qr_image.__wrapped__(url)  # drawn anew
        codes.append(code.data)
    assert codes[0] != codes[1]


def test_a_qr_code_is_kept_by_browsers_for_a_day_and_revalidated_by_its_tag(
    client: FlaskClient, regulator: dict[str, str]
) -> None:
    number = issue(client, regulator)["number"]
    code = client.get(f"/licences/{number}/qr.svg")
    assert code.status_code == 200
    assert code.headers["Cache-Control"] == "public, max-age=86400"
    assert code.data.startswith(
        b'<svg shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg" viewBox='
    )
    again = client.get(
        f"/licences/{number}/qr.svg", headers={"If-None-Match": code.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""
    act(client, regulator, number, "suspend")  # the code is of the address, not of the standing
    assert client.get(f"/licences/{number}/qr.svg").data == code.data


@pytest.mark.parametrize("number", ["DM-2026-999999", "not-a-number", "dm-2026-000001"])
def test_no_qr_code_for_a_licence_the_register_does_not_hold(
    client: FlaskClient, number: str
) -> None:
    assert client.get(f"/licences/{number}/qr.svg").status_code == 404
