"""Open data: the export writes the public view as /api/v1/status shows it, with each file's
SHA-256 and the seq it was cut at, and /open-data/ serves it and nothing else."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import API, act, bearer, issue
from tests.web.conftest import page


@pytest.fixture
def published(make_app: Callable[..., Flask], tmp_path: Path) -> tuple[Flask, Path]:
    folder = tmp_path / "open-data"
    app = make_app(LICENSING_OPEN_DATA_DIR=str(folder))
    client, regulator = app.test_client(), bearer(app, "regulator")
    first = issue(client, regulator, holder_name="=HYPERLINK(1) Mining")["number"]
    issue(client, regulator, holder_name="ЖШС «Әлем Қуаты»", region="almaty", subtype="II")
    assert act(client, regulator, first, "suspend").status_code == 200
    result = app.test_cli_runner().invoke(args=["open-data", "export"])
    assert result.exit_code == 0, result.output
    return app, folder


def test_the_export_is_the_public_view_with_its_checksums_and_seq(
    published: tuple[Flask, Path],
) -> None:
    app, folder = published
    (manifest_path,) = folder.glob("*.manifest.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["seq"] == 3
    assert manifest["licences"] == 2
    for file in manifest["files"]:
        content = (folder / file["name"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == file["sha256"]
        assert len(content) == file["bytes"]
    snapshot = json.loads((folder / manifest_path.name.replace(".manifest", "")).read_text())
    public = app.test_client().get(f"{API}/status").get_json()["items"]
    assert snapshot["as_of_seq"] == 3
    assert snapshot["items"] == public
    assert "holder_bin" not in snapshot["items"][0] and "capacity_mw" not in snapshot["items"][0]


def test_the_csv_has_the_same_rows_and_never_a_formula(published: tuple[Flask, Path]) -> None:
    _, folder = published
    (path,) = folder.glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["holder_name"] for row in rows] == ["'=HYPERLINK(1) Mining", "ЖШС «Әлем Қуаты»"]
    assert rows[0]["standing"] == "suspended" and rows[0]["suspended_until"] == "2026-05-10"
    assert rows[1]["in_force"] == "true" and rows[1]["suspended_until"] == ""


def test_the_index_page_lists_the_snapshot_and_serves_its_files(
    published: tuple[Flask, Path],
) -> None:
    app, folder = published
    client = app.test_client()
    html = page(client, "/open-data/", **{"Accept-Language": "kk"}).get_data(as_text=True)
    assert "Ашық деректер" in html
    (csv_path,) = folder.glob("*.csv")
    assert hashlib.sha256(csv_path.read_bytes()).hexdigest() in html
    served = client.get(f"/open-data/{csv_path.name}")
    try:
        assert served.status_code == 200
        assert served.mimetype == "text/csv"
        assert served.data == csv_path.read_bytes()
    finally:
        served.close()  # a file the server streams


@pytest.mark.parametrize("name", ["..%2Fsigning-key.pem", "secret.txt", "register-x.csv"])
def test_nothing_else_is_served_from_the_directory(
    published: tuple[Flask, Path], name: str
) -> None:
    app, folder = published
    (folder / "secret.txt").write_text("not for the public")
    assert app.test_client().get(f"/open-data/{name}").status_code == 404


def test_without_a_snapshot_the_page_says_so(client: FlaskClient) -> None:
    html = page(client, "/open-data/", **{"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Пока не опубликовано ни одного среза." in html
