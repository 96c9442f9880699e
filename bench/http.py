"""HTTP throughput and latency of the registry's hot routes, each as a ratio against a bare Flask
ceiling measured in the same run: gunicorn with gunicorn.conf.py and 2 sync workers for both, wrk
in its own process on 127.0.0.1, one measurement at a time.

    python -m bench.run --part http [--licences 100000] [--seconds 5] [--rounds 3]
        [--cases "public list,public search"]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from licensing import create_app
from licensing.config import database_url
from licensing.domain.policy import Policy
from licensing.models import User, db
from licensing.services import accounts, document_signing, open_data, tokens
from licensing.services.changes import build_changes
from tests.synthetic import fill

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKERS = 2
CONNECTIONS = 8

RANDOM_NUMBER = """
math.randomseed(os.time() + (id or 0))
request = function()
  local n = string.format("DM-2026-%06d", math.random(1, {licences}))
  return wrk.format("GET", "{prefix}" .. n)
end
"""
STATEMENT = """
request = function()
  local n = string.format("DM-2026-%06d", math.random(1, {licences}))
  return wrk.format("GET", "/api/v1/status/" .. n .. "/statement")
end
"""
RANDOM_PAGE = """
request = function()
  return wrk.format("GET", "/api/v1/status?page=" .. math.random(1, 200))
end
"""
# a word every synthetic holder name holds ("ТОО «Тест»"): each page is full, so the search is
# counted as well as read
SEARCH_PAGE = """
request = function()
  return wrk.format("GET", "/api/v1/status?q=%D1%82%D0%B5%D1%81%D1%82&page=" .. math.random(1, 200))
end
"""
THREAD_IDS = """
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
end
"""
ISSUE = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{{"holder_name": "Bench Mining LLP", "holder_bin": "971240001315", "subtype": "I",' ..
  ' "site_address": "Pavlodar", "region": "pavlodar", "capacity_mw": "12.5"}}'
"""
# Each wrk thread walks its own block of licences: suspend them all, then resume them all, and so
# on; a block is far longer than the requests in flight, so no licence gets two at once. wrk calls
# the first thread's request() once before the run to check the script, and never sends that
# request: that thread's walk starts one step back, or its first licence would never be suspended.
SUSPEND_RESUME = """
local done = 0
local block = 400
function init(args)
  if id == 1 then done = -1 end
end
request = function()
  local round = math.floor(done / block)
  local n = {base} + (id - 1) * block + (done % block)
  done = done + 1
  local action, body
  if round % 2 == 0 then
    action = "suspend"
    body = '{{"reason_code": "violation_found", "reason": "Bench check",' ..
      ' "legal_basis": "art. 9", "until": "{until}", "decision": {decision}}}'
  else
    action = "resume"
    body = '{{"reason_code": "violation_remedied", "reason": "Bench check",' ..
      ' "legal_basis": "art. 9", "decision": {decision}}}'
  end
  local headers = {{}}
  headers["Authorization"] = "Bearer {token}"
  headers["Content-Type"] = "application/json"
  local path = string.format("/api/v1/licences/DM-2026-%06d/", n) .. action
  return wrk.format("POST", path, headers, body)
end
"""
BARE_INSERT = """
wrk.method = "POST"
"""
# a full level-0 tile or an entry bundle at random, its index written as C2SP tlog-tiles says
FULL_TILE = """
local function tile_path(n)
  local text = string.format("%03d", n % 1000)
  n = math.floor(n / 1000)
  while n > 0 do
    text = string.format("x%03d/", n % 1000) .. text
    n = math.floor(n / 1000)
  end
  return text
end
request = function()
  return wrk.format("GET", "/log/tile/{kind}" .. tile_path(math.random(0, {tiles} - 1)))
end
"""
# the extracts of a few licences, in Kazakh: after each worker's first of each, every request is
# the kept signed file (a new statement window, an hour at most, makes them again)
EXTRACT = """
request = function()
  local n = string.format("DM-2026-%06d", math.random(1, {count}))
  return wrk.format("GET", "/api/v1/status/" .. n .. "/extract.pdf?lang=kk")
end
"""
EXTRACTED = 5  # licences whose extracts the case asks for

# a page of 100 changes of the feed from a random cursor (each licence's issue is one)
CHANGE_FEED = """
request = function()
  return wrk.format("GET", "/api/v1/changes?limit=100&after=" .. math.random(0, {events} - 100))
end
"""
# the public pages as a reader meets them, in the reader's language
IN_LANGUAGE = """
wrk.headers["Accept-Language"] = "{language}"
"""
LICENCE_PAGE = """
wrk.headers["Accept-Language"] = "ru"
request = function()
  local n = string.format("DM-2026-%06d", math.random(1, {licences}))
  return wrk.format("GET", "/licences/" .. n .. "{suffix}")
end
"""
REGISTER_SEARCH_PAGE = """
request = function()
  return wrk.format("GET", "/register?q=%D1%82%D0%B5%D1%81%D1%82&page=" .. math.random(1, {pages}))
end
"""
# the console as a signed-in officer reads it, in Russian: the session's cookie on every request
OFFICER = """
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["Accept-Language"] = "ru"
"""
CONSOLE_LICENCE = """
request = function()
  local n = string.format("DM-2026-%06d", math.random(1, {licences}))
  return wrk.format("GET", "/console/licences/" .. n)
end
"""
INCLUSION = """
request = function()
  return wrk.format("GET", "/api/v1/log/proof/inclusion?seq=" .. math.random(1, {events}))
end
"""


# (case, its ceiling, target ratio)
RATIOS = (
    ("status lookup", "bare JSON", 0.5),
    ("status lookup", "bare one-row read", 0.8),
    ("statement", "bare JSON", 0.4),
    ("public list", "bare JSON", 0.3),
    ("public search", "bare JSON", None),
    ("issue", "bare two-row insert", 0.5),
    ("suspend/resume", "bare two-row insert", 0.5),
    ("issue", "issue without the tree", 0.9),
    ("suspend/resume", "suspend/resume without the tree", 0.9),
    ("security.txt", "bare JSON", None),
    ("checkpoint", "bare JSON", 0.8),
    ("full tile", "bare JSON", 0.8),
    ("entry bundle", "bare JSON", 0.8),
    ("inclusion proof", "status lookup", 0.5),
    ("extract", "status lookup", None),
    ("statistics", "status lookup", None),
    ("statistics page", "status lookup", None),
    ("change feed", "bare JSON", 0.3),
    ("home page (kk)", "bare JSON", 0.3),
    ("licence page (ru)", "bare JSON", 0.3),
    ("register page", "bare JSON", 0.3),
    ("register search page", "bare JSON", 0.3),
    ("about page", "bare JSON", 0.3),
    ("verify page", "bare JSON", 0.3),
    ("security page", "bare JSON", 0.3),
    ("statistics page", "bare JSON", 0.3),
    ("open-data page", "bare JSON", 0.3),
    ("register feed", "bare JSON", 0.3),
    ("licence feed", "bare JSON", 0.3),
    # an image of its own, kept by browsers for a day: drawn the first time a worker is asked
    ("licence QR code", "bare JSON", None),
    ("console dashboard", "bare JSON", 0.3),
    ("console licence list", "bare JSON", 0.3),
    ("console licence", "bare JSON", 0.3),
)
# ceilings that are the registry's own routes, or the registry as it wrote before the tree
_WRITES = ("bare two-row insert", "issue without the tree", "suspend/resume without the tree")


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failed: int

    def cell(self) -> str:
        failed = f", {self.failed} non-2xx" if self.failed else ""
        return (
            f"{self.requests_per_second:,.0f}/s (p50 {self.p50_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms{failed})"
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: str, seconds: int, scratch: Path) -> Load:
    path = scratch / "load.lua"
    path.write_text(THREAD_IDS + script)
    done = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", str(path), url],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    )  # fmt: skip
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Load(rate, p50, p99, int(failed.group(1)) if failed else 0)


class Server:
    """gunicorn serving `target` with the checkout's gunicorn.conf.py and 2 sync workers."""

    def __init__(self, target: str, env: dict[str, str], ready: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers",
             str(WORKERS), "--bind", f"127.0.0.1:{self.port}", target],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + ready, timeout=5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{target} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def prepare(url: str, licences: int) -> str:
    """An empty, migrated database at `url` holding `licences` issued licences; a regulator
    token."""
    if url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        admin_url, name = url.rsplit("/", 1)
        with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [str(BIN / "flask"), "--app", "licensing", "db", "upgrade"],
        env={**os.environ, "LICENSING_DATABASE_URL": url}, cwd=ROOT, check=True,  # noqa: TID251
        capture_output=True,
    )  # fmt: skip
    engine = sa.create_engine(database_url(url))
    fill(engine, licences, licences=licences)
    with engine.begin() as connection:  # the change feed of the trail loaded in bulk
        build_changes(connection, Policy())
    with engine.begin() as connection:
        for table in ("bench_writes_a", "bench_writes_b"):
            key = "INTEGER PRIMARY KEY" if url.startswith("sqlite") else "BIGSERIAL PRIMARY KEY"
            connection.execute(sa.text(f"CREATE TABLE {table} (id {key}, payload TEXT)"))
    if not url.startswith("sqlite"):
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    app = create_app({"LICENSING_DATABASE_URL": url})
    with app.app_context():
        return tokens.create("bench-regulator", "regulator")


def officer_cookie(env: dict[str, str]) -> str:
    """The session cookie of a regulator signed in to the console of the database in `env`: an
    account set up as its owner would (its one Argon2 hash), a session row, and the cookie the
    registry's secret key signs for it, as the sign-in would have set it."""
    import pyotp

    app = create_app({name: env[name] for name in ("LICENSING_DATABASE_URL",
                                                   "LICENSING_SECRET_KEY_FILE")})  # fmt: skip
    password = "steppe-falcon-ferry-47-river"
    with app.app_context():
        setup_secret = accounts.create(
            "Bench Officer", "bench.officer@gov.kz", "regulator", timedelta(hours=1)
        )
        setup = accounts.setup_of(setup_secret)
        assert setup is not None and setup.totp_secret
        code = pyotp.TOTP(setup.totp_secret).now()
        assert accounts.complete_setup(setup_secret, password, password, code, 12)
        user = db.session.scalars(sa.select(User).where(User.name == "Bench Officer")).one()
        person = accounts.Person(
            user.id, user.name, user.email, user.role, user.session_epoch, needs_totp=False
        )
        secret = accounts.begin_session(person, "wrk", "127.0.0.1")
        signer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        value = signer.dumps({"session": secret, "_permanent": True})
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def measure(
    url: str,
    licences: int,
    seconds: int,
    writes: bool,
    rounds: int,
    only: tuple[str, ...] | None = None,
) -> tuple[dict[str, Load], dict[tuple[str, str], float]]:
    """Every case on the database at `url`. The bare app and the registry serve side by side (an
    idle server costs nothing) and each case is measured right after its ceiling, `rounds` times:
    on a shared machine the load of others drifts by the minute, and a ratio of two adjacent runs
    holds where two figures minutes apart do not. The ratio reported is the median of the rounds;
    the figures are those of the last round. `only` names the cases to measure (default: all)."""
    token = prepare(url, licences)
    # the registry as it wrote before the tree, on a database of its own: its events have no
    # rows in the tree, which would leave holes in the registry's
    baseline_url = url if url.startswith("sqlite") else f"{url}_without_tree"
    if url.startswith("sqlite"):
        baseline_url = url.replace(".sqlite", "-without-tree.sqlite")
    baseline_token = token
    if writes:
        baseline_token = prepare(baseline_url, licences)
    else:  # no write measured: its server (idle) may serve the registry's own database
        baseline_url = url
    results: dict[str, Load] = {}
    ratios: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        env = {
            **os.environ,  # noqa: TID251
            "LICENSING_DATABASE_URL": url,
            "BENCH_DATABASE_URL": url,
            "LICENSING_SIGNING_KEY_FILE": str(scratch / "signing-key.pem"),
            "LICENSING_RATELIMIT_PUBLIC": "1000000000 per minute",  # out of the way
            "LICENSING_SECURITY_CONTACT": "mailto:security@example.kz",
            "LICENSING_DOCUMENT_CERT_FILE": str(scratch / "document-cert.pem"),
            "LICENSING_DOCUMENT_KEY_FILE": str(scratch / "document-key.pem"),
            "LICENSING_OPEN_DATA_DIR": str(scratch / "open-data"),
            "LICENSING_SECRET_KEY_FILE": str(scratch / "secret-key"),
        }
        _open_data_snapshot(url, scratch / "open-data")
        cookie = officer_cookie(env)
        officer = OFFICER.format(cookie=cookie)
        document_signing.make_self_issued(
            env["LICENSING_DOCUMENT_CERT_FILE"], env["LICENSING_DOCUMENT_KEY_FILE"], "Bench"
        )
        lookup = RANDOM_NUMBER.format(licences=licences, prefix="{prefix}")
        today = datetime.now(ZoneInfo("Asia/Almaty")).date()
        until = (today + timedelta(days=62)).isoformat()
        # the licensor's decision a status change rests on, taken today
        decision = json.dumps({"number": "17-LC/2026", "date": today.isoformat(), "by": "licensor"})
        with (
            Server("bench.bare:app", env, "/bare/json") as bare,
            Server("wsgi:app", env, "/readyz") as registry,
            Server(
                "bench.without_tree:app",
                {**env, "LICENSING_DATABASE_URL": baseline_url, "BENCH_DATABASE_URL": baseline_url},
                "/readyz",
            ) as without_tree,
        ):
            tiles = licences // 256  # the full tiles of a tree of `licences` events
            cases = {
                "status lookup": (registry.url, lookup.replace("{prefix}", "/api/v1/status/")),
                "statement": (registry.url, STATEMENT.format(licences=licences)),
                "public list": (registry.url, RANDOM_PAGE),
                "public search": (registry.url, SEARCH_PAGE),
                "issue": (registry.url + "/api/v1/licences", ISSUE.format(token=token)),
                "security page": (registry.url + "/security", ""),
                "security.txt": (registry.url + "/.well-known/security.txt", ""),
                "checkpoint": (registry.url + "/log/checkpoint", ""),
                "full tile": (registry.url, FULL_TILE.format(kind="0/", tiles=tiles)),
                "entry bundle": (registry.url, FULL_TILE.format(kind="entries/", tiles=tiles)),
                "inclusion proof": (registry.url, INCLUSION.format(events=licences)),
                "extract": (registry.url, EXTRACT.format(count=EXTRACTED)),
                "statistics": (registry.url + "/api/v1/statistics", ""),
                "statistics page": (registry.url + "/statistics", ""),
                "change feed": (registry.url, CHANGE_FEED.format(events=licences)),
                "home page (kk)": (registry.url + "/", IN_LANGUAGE.format(language="kk")),
                "licence page (ru)": (
                    registry.url,
                    LICENCE_PAGE.format(licences=licences, suffix=""),
                ),
                "register page": (registry.url + "/register", ""),
                "register search page": (
                    registry.url,
                    REGISTER_SEARCH_PAGE.format(pages=max(1, licences // 40)),
                ),
                "about page": (registry.url + "/about", ""),
                "verify page": (registry.url + "/verify", ""),
                "open-data page": (registry.url + "/open-data/", ""),
                "register feed": (registry.url + "/register/changes.atom", ""),
                "licence feed": (
                    registry.url,
                    LICENCE_PAGE.format(licences=licences, suffix="/changes.atom"),
                ),
                "licence QR code": (
                    registry.url,
                    LICENCE_PAGE.format(licences=licences, suffix="/qr.svg"),
                ),
                "console dashboard": (registry.url + "/console/", officer),
                "console licence list": (registry.url + "/console/licences", officer),
                "console licence": (
                    registry.url,
                    officer + CONSOLE_LICENCE.format(licences=licences),
                ),
            }
            ceilings = {
                "bare JSON": (bare.url + "/bare/json", ""),
                "bare one-row read": (bare.url, lookup.replace("{prefix}", "/bare/row/")),
                "bare two-row insert": (bare.url + "/bare/insert", BARE_INSERT),
                "status lookup": cases["status lookup"],
                "issue without the tree": (
                    without_tree.url + "/api/v1/licences",
                    ISSUE.format(token=baseline_token),
                ),
            }
            walks = 0  # each measurement of suspend/resume walks licences of its own

            def walk(server: Server, key: str) -> tuple[str, str]:
                nonlocal walks
                walks += 1
                base = 1 + 1000 * (walks - 1)  # all in the state their first action needs
                script = SUSPEND_RESUME.format(token=key, until=until, base=base, decision=decision)
                return server.url, script

            _signed_in(registry.url, cookie)
            if only is None or "extract" in only:
                _first_extracts(registry.url)
            for _round in range(rounds):
                for case, ceiling, _target in RATIOS:
                    if not writes and ceiling in _WRITES:
                        continue
                    if only is not None and case not in only:
                        continue
                    if case == "suspend/resume":
                        cases[case] = walk(registry, token)
                        ceilings["suspend/resume without the tree"] = walk(
                            without_tree, baseline_token
                        )
                    results[ceiling] = wrk(*ceilings[ceiling], seconds, scratch)
                    results[case] = wrk(*cases[case], seconds, scratch)
                    ratios.setdefault((case, ceiling), []).append(
                        results[case].requests_per_second / results[ceiling].requests_per_second
                    )
    return results, {pair: statistics.median(values) for pair, values in ratios.items()}


def _open_data_snapshot(url: str, directory: Path) -> None:
    """One day's snapshot of the register, for the open-data page to list."""
    app = create_app({"LICENSING_DATABASE_URL": url})
    with app.app_context():
        open_data.export(directory, app.config["LICENSING_POLICY"])


def _signed_in(url: str, cookie: str) -> None:
    """The console answers the officer's cookie with its page, not a way to the sign-in (which
    wrk would count as an answer like any other)."""
    asked = urllib.request.Request(url + "/console/", headers={"Cookie": cookie})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        if answer.status != 200 or "/console/sign-in" in answer.url:
            raise RuntimeError(f"the bench officer is not signed in: {answer.url}")


def _first_extracts(url: str) -> None:
    """Ask for each extract the case asks for until both workers have made it: the case measures
    the extracts after the first."""
    for n in range(1, EXTRACTED + 1):
        for _ in range(4 * WORKERS):
            address = f"{url}/api/v1/status/DM-2026-{n:06d}/extract.pdf?lang=kk"
            with urllib.request.urlopen(address, timeout=120) as answer:
                answer.read()


def report(
    database: str, measured: tuple[dict[str, Load], dict[tuple[str, str], float]]
) -> list[tuple[str, str, str]]:
    results, ratios = measured
    rows = [(f"{database}: {name}", load.cell(), "") for name, load in results.items()]
    for case, ceiling, target in RATIOS:
        if (case, ceiling) in ratios:
            goal = f" (>= {target})" if target else ""
            rows.append(
                (f"{database}: {case} / {ceiling}", "", f"{ratios[case, ceiling]:.2f}{goal}")
            )
    return rows


def run(
    postgres_url: str,
    licences: int,
    seconds: int,
    rounds: int = 3,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    only: tuple[str, ...] | None = None,
) -> list[tuple[str, str, str]]:
    """Every case (or only those named) on each of `databases`."""
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install -y wrk")
    if only is not None and (unknown := set(only) - {case for case, _, _ in RATIOS}):
        raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
    rows: list[tuple[str, str, str]] = []
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite:///{folder}/bench.sqlite"
            rows += report("SQLite", measure(sqlite_url, licences, seconds, False, rounds, only))
    if "postgresql" in databases:
        rows += report("PostgreSQL", measure(postgres_url, licences, seconds, True, rounds, only))
    return rows
