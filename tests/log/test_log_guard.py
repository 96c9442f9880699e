"""The signing key never signs two trees that are not one history: a registry whose database
went back (restored from an older backup) or forked refuses to sign, and says why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import flask_migrate
from flask import Flask

from tests.factories import API, bearer, issue


def registry(make_app: Callable[..., Flask], tmp_path: Path, name: str) -> Flask:
    """A registry on a database of its own, signing with the one key file of this test."""
    app = make_app(LICENSING_DATABASE_URL=f"sqlite:///{tmp_path}/{name}.sqlite")
    with app.app_context():
        flask_migrate.upgrade()
    return app


def write(app: Flask, count: int, **overrides: str) -> None:
    client = app.test_client()
    with app.app_context():
        headers = bearer(app, "regulator")
    for _ in range(count):
        issue(client, headers, **overrides)


def test_a_tree_behind_or_beside_what_the_key_signed_is_not_signed(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    first = registry(make_app, tmp_path, "first")
    write(first, 5)
    assert first.test_client().get("/log/checkpoint").status_code == 200
    second = registry(make_app, tmp_path, "second")  # the same key, another history
    write(second, 3, holder_name="ТОО «Другая история»")
    client = second.test_client()
    behind = client.get("/log/checkpoint")
    assert behind.status_code == 503
    assert behind.get_json()["type"].endswith("log-rewound")
    assert int(behind.headers["Retry-After"]) > 0
    write(second, 3, holder_name="ТОО «Другая история»")  # writes go on: nothing is signed
    beside = client.get("/log/checkpoint")
    assert beside.status_code == 503
    assert client.get(f"{API}/status/DM-2026-000001/statement.tlog-proof").status_code == 503
    # the first registry, whose history the key signed, goes on signing as it grows
    write(first, 2)
    assert first.test_client().get("/log/checkpoint").get_data(as_text=True).split("\n")[1] == "7"


def test_a_checkpoint_signed_again_is_the_same_note(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    app = registry(make_app, tmp_path, "one")
    write(app, 2)
    client = app.test_client()
    assert client.get("/log/checkpoint").data == client.get("/log/checkpoint").data


def test_a_mark_that_is_not_one_refuses_to_sign_until_the_operator_looks(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    from licensing.services import transparency

    app = registry(make_app, tmp_path, "marked")
    write(app, 2)
    client = app.test_client()
    assert client.get("/log/checkpoint").status_code == 200
    mark = Path(f"{app.config['LICENSING_SIGNING_KEY_FILE']}.signed-tree")
    assert mark.read_text().split()[0] == "2"
    for damaged in ("", "2", "x y", "2 AAAA"):
        mark.write_text(damaged)
        transparency._signed_before.clear()
        write(app, 1)
        answer = client.get("/log/checkpoint")
        assert answer.status_code == 503, damaged
        assert answer.get_json()["type"].endswith("log-rewound")
