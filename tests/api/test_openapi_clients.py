"""The OpenAPI document as an API user takes it: valid by openapi-spec-validator, and a client
generated from it by openapi-python-client reads the register from a live server."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate
from werkzeug.serving import make_server

from licensing.domain.jws import MEDIA_TYPE as JOSE
from tests.factories import act, bearer, issue

BIN = Path(sys.executable).parent
PACKAGE = "licensing_client"
# application/jose and application/pdf are no media types the generator knows: its users tell it
# to read the one as text and the other as bytes
CONFIG = f"""package_name_override: {PACKAGE}
project_name_override: licensing-client
content_type_overrides:
  {JOSE}: text/plain
  application/pdf: application/octet-stream
"""


@pytest.fixture
def served(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, str]]:
    app = make_app()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # closing waits for the requests in flight
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _spec(app: Flask) -> dict[str, Any]:
    return app.test_client().get("/openapi.json").get_json()  # type: ignore[no-any-return]


def test_the_document_is_valid_openapi(app: Flask) -> None:
    spec = _spec(app)
    validate(spec)  # raises, naming the first error
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method == "parameters":
                continue
            for response in operation["responses"].values():
                assert response.get("description"), operation["operationId"]


def test_signed_answers_are_described_as_compact_jws(app: Flask) -> None:
    spec = _spec(app)
    for path in ("/api/v1/status/{number}/statement", "/api/v1/audit/checkpoint"):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == {JOSE}
        assert content[JOSE]["schema"]["type"] == "string"
        assert content[JOSE]["schema"]["pattern"]


def test_a_generated_client_reads_a_licence_and_its_statement(
    served: tuple[Flask, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, url = served
    test_client, regulator = app.test_client(), bearer(app, "regulator")
    number = issue(test_client, regulator, holder_name="ТОО «Степной Хеш»")["number"]
    assert act(test_client, regulator, number, "suspend").status_code == 200
    document, config = tmp_path / "openapi.json", tmp_path / "config.yaml"
    document.write_text(json.dumps(_spec(app)))
    config.write_text(CONFIG)
    generated = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(document),
         "--config", str(config), "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Cannot parse" not in generated.stdout + generated.stderr  # no operation left out

    monkeypatch.syspath_prepend(str(tmp_path))
    package = importlib.import_module(PACKAGE)
    status = importlib.import_module(f"{PACKAGE}.api.status.get_status_status")
    statement = importlib.import_module(f"{PACKAGE}.api.status.get_status_statement")
    with package.Client(base_url=url, raise_on_unexpected_status=True) as client:
        answer = status.sync_detailed(number, client=client)
        assert answer.status_code == 200
        view = answer.parsed
        assert (view.number, view.holder_name, view.status) == (
            number,
            "ТОО «Степной Хеш»",
            "suspended",
        )
        assert str(view.suspended_until) == "2026-05-10"
        missing = status.sync_detailed("DM-2026-999999", client=client)
        assert missing.status_code == 404
        assert missing.parsed.status == 404
        token = statement.sync(number, client=client)
    assert isinstance(token, str)
    assert token.count(".") == 2
    with app.app_context():
        from licensing.services import statements

        check = statements.check(token, issuer=app.config["LICENSING_STATEMENTS"].issuer)
    assert check is not None and check.claims["sub"] == number
