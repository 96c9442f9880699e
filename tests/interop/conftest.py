"""The Go verifier (tests/interop/tlogcheck), built once per session from Go's own sumdb packages.

Without Go the interop tests are skipped, except in CI (CI=true), where a missing Go is a failure:
`.ci/run` installs it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent / "tlogcheck"
GOPATH = Path("/usr/share/gocode")  # where Debian's golang-golang-x-mod-dev puts golang.org/x/mod
IN_CI = os.environ.get("CI") == "true"  # noqa: TID251

RunTlogcheck = Callable[..., subprocess.CompletedProcess[str]]


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must run the interop tests (.ci/run installs Go)")
    pytest.skip(reason)


def _go_environment(cache: Path) -> dict[str, str]:
    # offline and outside any module: the packages come from Debian's GOPATH, nothing is fetched
    return {
        **os.environ,  # noqa: TID251
        "GOPATH": str(GOPATH),
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "GOCACHE": str(cache),
        "GOPROXY": "off",
    }


@pytest.fixture(scope="session")
def tlogcheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The path of the built tlogcheck binary."""
    go = shutil.which("go")
    if go is None:
        _missing("Go is not installed (apt-get install golang-go golang-golang-x-mod-dev)")
    if not (GOPATH / "src/golang.org/x/mod/sumdb/note").is_dir():
        _missing(f"golang.org/x/mod is not in {GOPATH} (apt-get install golang-golang-x-mod-dev)")
    where = tmp_path_factory.mktemp("tlogcheck")
    binary = where / "tlogcheck"
    built = subprocess.run(
        [str(go), "build", "-o", str(binary), "."],
        cwd=SOURCE,
        env=_go_environment(where / "cache"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return binary


@pytest.fixture(scope="session")
def run_tlogcheck(tlogcheck: Path) -> RunTlogcheck:
    """Runs tlogcheck with the given arguments; the completed process, whatever its exit code."""

    def run(*args: object) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tlogcheck), *map(str, args)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
