from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from licensing.domain.chain import canonical_json, event_hash
from tests.factories import API, act, issue

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str]) -> None:
    for _ in range(3):
        number = issue(client, regulator)["number"]
        act(client, regulator, number, "suspend")


@pytest.fixture
def export(runner: FlaskCliRunner, trail: None, tmp_path: Path) -> Path:
    path = tmp_path / "trail.ndjson"
    result = runner.invoke(args=["audit", "export", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def kept(client: FlaskClient, tmp_path: Path, export: Path) -> tuple[Path, Path]:
    checkpoint, jwks = tmp_path / "checkpoint.jws", tmp_path / "jwks.json"
    checkpoint.write_text(client.get(f"{API}/audit/checkpoint").get_data(as_text=True))
    jwks.write_bytes(client.get("/.well-known/jwks.json").data)
    return checkpoint, jwks


def verify_export(export: Path, kept: tuple[Path, Path] | None = None) -> list[str]:
    """Arguments of `audit verify-export`, with a kept checkpoint and the keys when given."""
    extra = ["--checkpoint", str(kept[0]), "--jwks", str(kept[1])] if kept else []
    return ["audit", "verify-export", str(export), *extra]


@pytest.mark.usefixtures("trail")
def test_verify_walks_the_database(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert result.stdout.startswith("ok: 6 events hold; head seq 6")


def test_export_writes_the_same_bytes_as_the_api(
    client: FlaskClient, token: Callable[..., dict[str, str]], export: Path, runner: FlaskCliRunner
) -> None:
    api = client.get(
        f"{API}/audit/events", headers=token("auditor"), query_string={"format": "ndjson"}
    )
    assert export.read_bytes() == api.data
    to_stdout = runner.invoke(args=["audit", "export", "--format", "csv"])
    csv = client.get(f"{API}/audit/events", headers={**token("auditor"), "Accept": "text/csv"})
    assert to_stdout.stdout_bytes == csv.data


@pytest.mark.usefixtures("trail")
def test_export_filters(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["audit", "export", "--action", "suspend", "--after-seq", "3"])
    assert [json.loads(line)["seq"] for line in result.stdout.splitlines()] == [4, 6]
    since = runner.invoke(args=["audit", "export", "--since", "2026-03-11T00:00:00Z"])
    assert since.stdout == ""


@pytest.mark.usefixtures("trail")
def test_a_progress_bar_shows_on_a_terminal_and_never_in_a_pipe(app: Flask, tmp_path: Path) -> None:
    env = {**os.environ, "LICENSING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}  # noqa: TID251
    command = [sys.executable, "-m", "flask", "--app", "licensing", "audit", "export"]
    piped = subprocess.run(
        [*command, "--out", str(tmp_path / "a.ndjson")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert piped.returncode == 0 and piped.stderr == b""
    to_stdout = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=60)
    assert to_stdout.stderr == b"" and to_stdout.stdout == (tmp_path / "a.ndjson").read_bytes()

    leader, follower = pty.openpty()  # a terminal for standard error
    watched = subprocess.run(
        [*command, "--out", str(tmp_path / "b.ndjson")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=follower, timeout=60,
    )  # fmt: skip
    os.close(follower)
    shown = os.read(leader, 65536).decode()
    os.close(leader)
    assert watched.returncode == 0
    assert "exporting" in shown and "6/6" in shown and "100%" in shown
    assert (tmp_path / "a.ndjson").read_bytes() == (tmp_path / "b.ndjson").read_bytes()


def test_verify_export_accepts_an_intact_export_with_its_checkpoint(
    runner: FlaskCliRunner, export: Path, kept: tuple[Path, Path]
) -> None:
    checkpoint, jwks = kept
    args = verify_export(export, kept)
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "6 events hold" in result.stdout and "reproduces 1 checkpoint" in result.stdout
    inline = runner.invoke(args=[*args[:4], checkpoint.read_text(), "--jwks", str(jwks)])
    assert inline.exit_code == 0


def edit(lines: list[str], index: int, **changes: object) -> None:
    event = json.loads(lines[index]) | changes
    lines[index] = canonical_json(event)


TAMPERS = {
    "edited field": (lambda ls: edit(ls, 2, reason="softened"), "line 3", "edited"),
    "deleted event": (lambda ls: ls.pop(1), "line 2", "missing"),
    "inserted event": (lambda ls: ls.insert(3, ls[3]), "line 5", "again"),
    "reordered events": (lambda ls: ls.insert(1, ls.pop(2)), "line 2", "missing"),
    "broken prev": (
        lambda ls: (edit(ls, 4, prev="0" * 64), edit(ls, 4, hash=event_hash(json.loads(ls[4])))),
        "line 5", "prev",
    ),
    "seq gap": (
        lambda ls: (edit(ls, 5, seq=9), edit(ls, 5, hash=event_hash(json.loads(ls[5])))),
        "line 6", "jumps",
    ),
    "not json": (lambda ls: ls.__setitem__(0, "{oops"), "line 1", "not a JSON object"),
    "nested far too deep": (
        lambda ls: ls.__setitem__(2, '{"data":' + "[" * 100_000 + "]" * 100_000 + "}"),
        "line 3", "nested far too deep",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", TAMPERS)
def test_verify_export_names_the_first_bad_line(
    runner: FlaskCliRunner, export: Path, case: str
) -> None:
    tamper, where, words = TAMPERS[case]
    lines = export.read_text().splitlines()
    tamper(lines)
    export.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["audit", "verify-export", str(export)])
    assert result.exit_code == 1
    assert f"FAILED at {where} " in result.stderr and words in result.stderr


def test_a_cut_tail_fails_against_a_kept_checkpoint(
    runner: FlaskCliRunner, export: Path, kept: tuple[Path, Path]
) -> None:
    export.write_text("".join(export.read_text().splitlines(keepends=True)[:4]))
    assert runner.invoke(args=verify_export(export)).exit_code == 0
    result = runner.invoke(args=verify_export(export, kept))
    assert result.exit_code == 1 and "removed from the end" in result.stderr


def test_a_forged_checkpoint_is_refused(
    runner: FlaskCliRunner, export: Path, kept: tuple[Path, Path]
) -> None:
    checkpoint, jwks = kept
    head, body, signature = checkpoint.read_text().split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    result = runner.invoke(
        args=["audit", "verify-export", str(export), "--checkpoint", forged, "--jwks", str(jwks)]
    )
    assert result.exit_code == 1 and "checkpoint refused" in result.stderr


def test_a_checkpoint_needs_the_keys(
    runner: FlaskCliRunner, export: Path, kept: tuple[Path, Path]
) -> None:
    result = runner.invoke(
        args=["audit", "verify-export", str(export), "--checkpoint", str(kept[0])]
    )
    assert result.exit_code == 2 and "--jwks" in result.output


def test_verify_export_needs_no_database(
    export: Path, kept: tuple[Path, Path], tmp_path: Path
) -> None:
    checkpoint, jwks = kept
    env = {"LICENSING_DATABASE_URL": "postgresql://127.0.0.1:1/nowhere", "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "licensing", "audit", "verify-export", str(export),
         "--checkpoint", str(checkpoint), "--jwks", str(jwks)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "6 events hold" in done.stdout


def test_keys_jwks_prints_what_the_route_serves(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner
) -> None:
    printed = json.loads(runner.invoke(args=["keys", "jwks"]).stdout)
    assert printed == client.get("/.well-known/jwks.json").get_json()
    assert len(printed["keys"]) == 1


@pytest.mark.parametrize("option", ["--checkpoint", "--jwks"])
def test_unreadable_checkpoint_or_keys_are_usage_errors(
    runner: FlaskCliRunner, export: Path, kept: tuple[Path, Path], tmp_path: Path, option: str
) -> None:
    broken = tmp_path / "broken"
    broken.write_text("{not json")
    given = {"--checkpoint": str(kept[0]), "--jwks": str(kept[1])}
    given[option] = str(broken) if option == "--jwks" else str(tmp_path / "missing.jws")
    args = ["audit", "verify-export", str(export), *(x for pair in given.items() for x in pair)]
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and option in result.output
