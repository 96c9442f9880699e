"""`flask log monitor` against registries served over real HTTP (werkzeug on 127.0.0.1): a first
run keeps the checkpoint, later runs prove growth from tiles and check the new entries (and an
export), and a fork, a shrink, a bad signature, malformed tiles or an unreachable log each fail
with their own exit code, leaving the state as it was."""

from __future__ import annotations

import json
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from werkzeug.serving import make_server

from licensing import create_app
from licensing.models import db
from tests.conftest import POSTGRES_URL
from tests.db.test_backup_restore import restore  # noqa: F401 (a fixture)
from tests.factories import API, act, bearer, issue
from tests.synthetic import fill

Wsgi = Callable[..., Any]


@pytest.fixture
def serve() -> Iterator[Callable[[Wsgi], str]]:
    """Serve a WSGI app on 127.0.0.1 in a thread; its base URL. Every path asked is recorded in
    `serve.asked`."""
    servers = []
    asked: list[str] = []

    def start(app: Wsgi) -> str:
        def recorded(environ: dict[str, Any], start_response: Any) -> Any:
            asked.append(environ["PATH_INFO"])
            return app(environ, start_response)

        server = make_server("127.0.0.1", 0, recorded, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    start.asked = asked  # type: ignore[attr-defined]
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def registry(make_app: Callable[..., Flask]) -> Flask:
    """Registry A: 600 events (two full tiles and a partial one at level 0, and level 1)."""
    app = make_app()
    with app.app_context():
        fill(db.engine, 600, licences=50)
    return app


@pytest.fixture
def beside(
    restore: Callable[[str, Path], str],  # noqa: F811
    tmp_path: Path,
) -> Iterator[Callable[[Flask, Path], Flask]]:
    """Registry B: a backup of A restored into a database of its own, on another host with a copy
    of A's signing key (on A's host, the key's high-water mark would refuse to sign B's tree)."""
    made: list[Flask] = []

    def build(a: Flask, backup: Path) -> Flask:
        url = a.config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("sqlite"):
            target = tmp_path / f"restored-{len(made)}.sqlite"
            shutil.copyfile(backup, target)
            url = f"sqlite:///{target}"
        else:
            url = restore(url.replace("postgresql+psycopg", "postgresql"), backup)
        host = tmp_path / f"host-{len(made)}"
        host.mkdir()
        key = host / "signing-key.pem"
        with a.app_context():
            a.extensions["licensing.signer"].current()  # made on first use
        shutil.copyfile(a.config["LICENSING_SIGNING_KEY_FILE"], key)
        key.chmod(0o600)
        b = create_app(
            {
                "TESTING": True,
                "LICENSING_DATABASE_URL": url,
                "LICENSING_SIGNING_KEY_FILE": str(key),
                "LICENSING_RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        made.append(b)
        return b

    yield build
    for b in made:
        with b.app_context():
            for engine in db.engines.values():  # the single reads' engine too
                engine.dispose()


def backed_up(app: Flask, path: Path) -> Path:
    if POSTGRES_URL and shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    result = app.test_cli_runner().invoke(args=["db", "backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def write(app: Flask, licences: int = 1) -> None:
    """Issue licences (one event each) and suspend the last (one more)."""
    client = app.test_client()
    regulator = bearer(app, "regulator")
    for _ in range(licences):
        number = issue(client, regulator)["number"]
    assert act(client, regulator, number, "suspend").status_code == 200


def size(app: Flask) -> int:
    return app.test_client().get(f"{API}/log").get_json()["size"]


def exported(app: Flask, path: Path, **query: Any) -> Path:
    response = app.test_client().get(
        f"{API}/audit/events",
        headers=bearer(app, "auditor"),
        query_string={"format": "ndjson", **query},
    )
    assert response.status_code == 200
    path.write_bytes(response.data)
    return path


@pytest.fixture
def monitor(registry: Flask, tmp_path: Path) -> Callable[..., Result]:
    """`flask log monitor URL --state <tmp>/state.json ...`."""

    def run(url: str, *args: str) -> Result:
        state = ["--state", str(tmp_path / "state.json")]
        return registry.test_cli_runner().invoke(args=["log", "monitor", url, *state, *args])

    return run


def kept(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "state.json").read_text())


def test_a_first_run_trusts_the_logs_own_key_out_loud_and_keeps_its_checkpoint(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    result = monitor(serve(registry))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: none kept -> 600; 600 new entries checked")
    described = registry.test_client().get(f"{API}/log").get_json()
    assert "WARNING: first run: trusting the log's key" in result.stderr
    assert described["vkey"] in result.stderr
    state = kept(tmp_path)
    assert (state["size"], state["root"]) == (600, described["root"])
    assert state["vkeys"] == [described["vkey"]]
    served = registry.test_client().get("/log/checkpoint")
    assert state["checkpoint"] == served.get_data(as_text=True)


def test_a_second_run_proves_growth_from_tiles_and_checks_only_the_new_entries(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    url = serve(registry)
    assert monitor(url).exit_code == 0
    write(registry, licences=2)
    serve.asked.clear()
    result = monitor(url)
    assert result.exit_code == 0, result.output
    state = tmp_path / "state.json"
    assert result.output == f"ok: 600 -> 603; 3 new entries checked; checkpoint kept in {state}\n"
    assert kept(tmp_path)["size"] == 603
    assert not any(path.startswith(f"{API}/log") for path in serve.asked)  # no JSON proof trusted
    assert "/log/tile/entries/002.p/91" in serve.asked  # only the bundle with the new entries
    again = monitor(url)
    assert again.exit_code == 0 and "603 -> 603; 0 new entries" in again.output


def test_the_new_entries_are_checked_against_an_export(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    url = serve(registry)
    assert monitor(url, "--export", str(exported(registry, tmp_path / "all.ndjson"))).exit_code == 0
    write(registry)
    since = exported(registry, tmp_path / "since.ndjson", after_seq=600)
    result = monitor(url, "--export", str(since))
    assert result.exit_code == 0, result.output
    assert "600 -> 602; 2 new entries checked, 2 matched to the export" in result.output


def test_an_export_the_log_has_outgrown_or_that_starts_too_late_is_refused(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    url = serve(registry)
    assert monitor(url).exit_code == 0
    before = exported(registry, tmp_path / "before.ndjson")
    write(registry)
    result = monitor(url, "--export", str(before))
    assert result.exit_code == 8
    assert "the export ends at seq 600 but the log holds 602 entries" in result.output
    late = exported(registry, tmp_path / "late.ndjson", after_seq=601)
    result = monitor(url, "--export", str(late))
    assert result.exit_code == 8 and "the export starts at seq 602" in result.output
    assert kept(tmp_path)["size"] == 600


def test_an_export_of_another_trail_is_refused(
    registry: Flask, beside: Any, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    b = beside(registry, backed_up(registry, tmp_path / "backup.db"))
    url = serve(registry)
    assert monitor(url).exit_code == 0
    write(registry)
    write(b)
    result = monitor(url, "--export", str(exported(b, tmp_path / "b.ndjson")))
    assert result.exit_code == 8
    assert "the hash at seq 601 differs from the kept checkpoint" in result.output


def test_a_fork_two_registries_grown_apart_from_one_backup_is_found(
    registry: Flask, beside: Any, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    b = beside(registry, backed_up(registry, tmp_path / "backup.db"))
    write(registry)  # A: 602
    write(b, licences=2)  # B: 603, another history after 600
    assert monitor(serve(registry)).exit_code == 0
    before = (tmp_path / "state.json").read_text()
    result = monitor(serve(b))
    assert result.exit_code == 3, result.output
    assert "fork: the log's tree of 603 is inconsistent with the tree of 602 kept" in result.output
    assert (tmp_path / "state.json").read_text() == before


def test_a_fork_at_the_same_size_with_another_root_is_found(
    registry: Flask, beside: Any, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    b = beside(registry, backed_up(registry, tmp_path / "backup.db"))
    write(registry)
    write(b)
    assert size(registry) == size(b) == 602
    assert monitor(serve(registry)).exit_code == 0
    result = monitor(serve(b))
    assert result.exit_code == 3, result.output
    assert "fork" in result.output
    assert "two different roots for the tree of size 602" in result.output


def test_a_log_restored_from_an_older_backup_has_shrunk(
    registry: Flask, beside: Any, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    b = beside(registry, backed_up(registry, tmp_path / "backup.db"))
    write(registry)
    assert monitor(serve(registry)).exit_code == 0
    result = monitor(serve(b))
    assert result.exit_code == 4, result.output
    assert "the log shrank: it signs a tree of 600 entries, but one of 602" in result.output
    assert kept(tmp_path)["size"] == 602


def tampered(app: Flask, change: Callable[[str, bytes], bytes | None]) -> Wsgi:
    """The app, with what `change(path, body)` makes of each body (None: unchanged)."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        response = app.test_client().get(environ["PATH_INFO"])
        body = change(environ["PATH_INFO"], response.data)
        if body is None:
            body = response.data
        start_response(response.status, [("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def _resized(path: str, body: bytes) -> bytes | None:
    if path != "/log/checkpoint":
        return None
    origin, _, rest = body.partition(b"\n")
    _, _, rest = rest.partition(b"\n")
    return origin + b"\n601\n" + rest


def _other_root(path: str, body: bytes) -> bytes | None:
    if path != "/log/checkpoint":
        return None
    lines = body.split(b"\n")
    lines[2] = b"A" * 43 + b"="
    return b"\n".join(lines)


@pytest.mark.parametrize("change", [_resized, _other_root], ids=["size", "root"])
def test_a_checkpoint_whose_signature_does_not_hold_is_refused(
    registry: Flask,
    serve: Any,
    monitor: Callable[..., Result],
    tmp_path: Path,
    change: Callable[[str, bytes], bytes | None],
) -> None:
    assert monitor(serve(registry)).exit_code == 0
    result = monitor(serve(tampered(registry, change)))
    assert result.exit_code == 5, result.output
    assert "bad signature or unknown key" in result.output and "does not hold" in result.output


def test_a_log_signing_with_a_key_not_trusted_is_refused(
    registry: Flask, beside: Any, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    assert monitor(serve(registry)).exit_code == 0
    other = create_app(
        {
            "TESTING": True,
            "LICENSING_DATABASE_URL": registry.config["SQLALCHEMY_DATABASE_URI"],
            "LICENSING_SIGNING_KEY_FILE": str(tmp_path / "another-key.pem"),
        }
    )
    result = monitor(serve(other))
    assert result.exit_code == 5, result.output
    assert "no signature on the note is by a known key" in result.output
    assert "give it with --vkey" in result.output
    new_key = other.test_client().get(f"{API}/log").get_json()["vkey"]
    rotated = monitor(serve(other), "--vkey", new_key)
    assert rotated.exit_code == 0, rotated.output
    assert kept(tmp_path)["vkeys"] == [new_key]


def test_a_vkey_that_is_not_a_logs_key_is_a_usage_error(
    registry: Flask, serve: Any, monitor: Callable[..., Result]
) -> None:
    result = monitor(serve(registry), "--vkey", "example.com+00000000+AAAA")
    assert result.exit_code == 2 and "--vkey" in result.output


def _short_tile(path: str, body: bytes) -> bytes | None:
    return body[:-1] if path.startswith("/log/tile/0/") else None


def _bad_entry(path: str, body: bytes) -> bytes | None:
    return body[:-1] + bytes([body[-1] ^ 1]) if path.startswith("/log/tile/entries/") else None


def _bad_tile_hash(path: str, body: bytes) -> bytes | None:
    return bytes([body[0] ^ 1]) + body[1:] if path == "/log/tile/1/000.p/2" else None


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_short_tile, "is 2815 bytes, not 88 hashes of 32"),
        (_bad_entry, "does not hash to its level-0 tile's leaf hash"),
        (_bad_tile_hash, "the tiles do not make the signed root"),
    ],
    ids=["short-tile", "entry", "tile-hash"],
)
def test_tiles_or_entries_that_are_not_the_signed_trees_are_malformed(
    registry: Flask,
    serve: Any,
    monitor: Callable[..., Result],
    tmp_path: Path,
    change: Callable[[str, bytes], bytes | None],
    says: str,
) -> None:
    result = monitor(serve(tampered(registry, change)))
    assert result.exit_code == 6, result.output
    assert "malformed log data" in result.output and says in result.output
    assert not (tmp_path / "state.json").exists()


def test_a_log_that_answers_5xx_is_unreachable(
    registry: Flask, serve: Any, monitor: Callable[..., Result]
) -> None:
    def failing(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("503 Service Unavailable", [("Content-Length", "0")])
        return [b""]

    result = monitor(serve(failing))
    assert result.exit_code == 7 and "answered HTTP 503" in result.output


def test_a_closed_port_is_unreachable(monitor: Callable[..., Result], tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    result = monitor(f"http://127.0.0.1:{port}")
    assert result.exit_code == 7 and "unreachable" in result.output
    assert not (tmp_path / "state.json").exists()


def test_a_log_that_never_answers_times_out(monitor: Callable[..., Result]) -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()  # connections are accepted by the kernel, never answered
        url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        result = monitor(url, "--timeout", "0.3")
    assert result.exit_code == 7 and "timed out" in result.output


def test_a_state_file_it_did_not_write_is_refused(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    (tmp_path / "state.json").write_text('{"size": 3}')
    result = monitor(serve(registry))
    assert result.exit_code == 1 and "not one this command wrote" in result.output


def test_a_note_malformed_in_its_form_is_malformed_not_a_bad_signature(
    registry: Flask, serve: Any, monitor: Callable[..., Result], tmp_path: Path
) -> None:
    from licensing.services import monitor as monitoring

    note = registry.test_client().get("/log/checkpoint").data
    vkey = registry.test_client().get(f"{API}/log").get_json()["vkey"]
    with pytest.raises(monitoring.LogMalformed, match="malformed checkpoint"):
        monitoring._opened(note.rstrip(b"\n"), [vkey], None)
    assert monitoring._opened(note, [vkey], None).size == 600
