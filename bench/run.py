"""The registry's speed, as ratios against baselines measured in the same run.

    python -m bench.run [--part all|http|trail|deliveries] [--events 1000000] [--licences 100000]

Needs PostgreSQL (and wrk for the HTTP part). The HTTP part (bench/http.py) rebuilds
`licensing_bench_http` and a scratch SQLite file with 100,000 licences and measures the public
status lookup, the public list and search, issuing and suspend/resume through gunicorn against
bare Flask routes (--cases picks some of them). The trail part rebuilds the database named in
--database-url (dropping it first), fills it with a valid synthetic trail, then measures:

- export: rows/s of the registry's CSV and NDJSON export (the code path of the API and the CLI)
  against PostgreSQL's own `COPY (SELECT <the event columns> ...) TO STDOUT` of the same rows, read
  by psql and by psycopg (the faster of the two is the baseline); target >= 0.5.
- memory: peak RSS of `flask --app licensing audit export` writing each format to a file;
  target < 150 MB.
- verify-export: events/s of checking the NDJSON file against bare SHA-256 chaining over the same
  lines' bytes (prev = sha256(prev + line)); target >= 0.5.
- audit verify: seconds to walk the chain in the database and replay the register; target < 10 s.

The deliveries part (bench/deliveries.py) measures commit to webhook delivery with one delivery
process and 100 subscriptions; target: under 1 s at the median.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import sqlalchemy as sa

from bench import deliveries, http
from licensing import create_app
from licensing.config import database_url
from licensing.fastpaths.trail_parallel import check_export
from licensing.models import db
from licensing.services import audit_trail, verification
from tests.synthetic import fill

ROOT = Path(__file__).resolve().parents[1]
EVENT_COLUMNS = (
    "seq, licence, action, from_status, to_status, reason_code, reason, legal_basis, data, actor,"
    " role, request_id, at, prev, hash"
)
BASELINE = f"COPY (SELECT {EVENT_COLUMNS} FROM audit_events ORDER BY seq) TO STDOUT"


def best(runs: int, measure: Callable[[], float]) -> float:
    """The best of several timed runs, in seconds (the first run also warms the caches)."""
    measure()
    return min(measure() for _ in range(runs))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def rebuild(url: str, events: int) -> None:
    admin_url, name = url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    flask(url, "db", "upgrade")
    engine = sa.create_engine(database_url(url))
    fill(engine, events)
    engine.dispose()
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE audit_events")


def flask(url: str, *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "licensing", *args],
        env={**os.environ, "LICENSING_DATABASE_URL": url}, cwd=ROOT, check=True,  # noqa: TID251
        capture_output=True,
    )  # fmt: skip


def copy_with_psycopg(url: str) -> None:
    with (
        psycopg.connect(url) as connection,
        connection.cursor() as cursor,
        cursor.copy(BASELINE) as copy,
        open(os.devnull, "wb") as sink,
    ):
        for row in copy:
            sink.write(row)


def copy_with_psql(url: str) -> None:
    with open(os.devnull, "wb") as sink:
        subprocess.run(["psql", "-X", "-q", url, "-c", BASELINE], stdout=sink, check=True)


def export(app: object, fmt: str) -> None:
    with app.app_context(), open(os.devnull, "wb") as sink:  # type: ignore[attr-defined]
        for batch in audit_trail.export(audit_trail.TrailFilters(), fmt):
            sink.write(batch.data)


def peak_memory_of_cli_export(url: str, fmt: str, out: Path) -> float:
    """Peak RSS in MB of the CLI export, in a child process of its own."""
    code = (
        "import resource, subprocess, sys;"
        f"subprocess.run([sys.executable, '-m', 'flask', '--app', 'licensing', 'audit', 'export',"
        f" '--format', '{fmt}', '--out', '{out}'], check=True);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "LICENSING_DATABASE_URL": url},  # noqa: TID251
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(done.stdout.split()[-1]) / 1024


def bare_chaining(path: Path) -> None:
    prev = b"0" * 64
    with open(path, "rb") as lines:
        for line in lines:
            prev = hashlib.sha256(prev + line).hexdigest().encode()


def verify_export(path: Path) -> None:
    with open(path, "rb") as lines:
        walk = check_export(lines)
    assert walk.finding is None, walk.finding


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="postgresql://127.0.0.1/licensing_bench")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="reuse the database as it is")
    parser.add_argument("--part", choices=("all", "http", "trail", "deliveries"), default="all")
    parser.add_argument("--subscriptions", type=int, default=100, help="for the deliveries part")
    parser.add_argument("--changes", type=int, default=30, help="for the deliveries part")
    parser.add_argument(
        "--deliveries-database-url", default="postgresql://127.0.0.1/licensing_bench_deliveries"
    )
    parser.add_argument("--licences", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=5, help="of load per HTTP measurement")
    parser.add_argument("--rounds", type=int, default=3, help="of each HTTP case and its ceiling")
    parser.add_argument("--databases", default="sqlite,postgresql", help="for the HTTP part")
    parser.add_argument(
        "--cases",
        help="for the HTTP part: the cases to measure, comma-separated (default: all), e.g."
        " 'status lookup,statement'",
    )
    parser.add_argument(
        "--http-database-url", default="postgresql://127.0.0.1/licensing_bench_http"
    )
    args = parser.parse_args()
    if args.part in ("all", "http"):
        rows = http.run(
            args.http_database_url, args.licences, args.seconds, args.rounds,
            tuple(args.databases.split(",")),
            tuple(args.cases.split(",")) if args.cases else None,
        )  # fmt: skip
        print(
            f"\nHTTP: {args.licences:,} licences, gunicorn {http.WORKERS} sync workers, wrk -t2 "
            f"-c{http.CONNECTIONS} -d{args.seconds}s; median of {args.rounds} rounds\n"
        )
        print("| measure | throughput | ratio |\n| --- | --- | --- |")
        for row in rows:
            print(f"| {' | '.join(row)} |")
    if args.part in ("all", "trail"):
        trail(args)
    if args.part in ("all", "deliveries"):
        rows = deliveries.run(args.deliveries_database_url, args.subscriptions, args.changes)
        print("| measure | figures | result |\n| --- | --- | --- |")
        for row in rows:
            print(f"| {' | '.join(row)} |")


def trail(args: argparse.Namespace) -> None:
    url, n = args.database_url, args.events

    if not args.keep:
        started = time.perf_counter()
        rebuild(url, n)
        print(f"filled {n:,} events in {time.perf_counter() - started:.0f} s")
    app = create_app({"LICENSING_DATABASE_URL": url})
    with app.app_context():
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_events")) == n

    results: list[tuple[str, str, str]] = []
    psql = best(args.runs, lambda: timed(lambda: copy_with_psql(url)))
    pycopy = best(args.runs, lambda: timed(lambda: copy_with_psycopg(url)))
    baseline = min(psql, pycopy)
    results.append(("COPY TO STDOUT, psql", f"{n / psql:,.0f} rows/s", ""))
    results.append(("COPY TO STDOUT, psycopg", f"{n / pycopy:,.0f} rows/s", ""))
    for fmt in ("csv", "ndjson"):
        seconds = best(args.runs, lambda fmt=fmt: timed(lambda: export(app, fmt)))
        ratio = baseline / seconds
        results.append(
            (f"export {fmt}", f"{n / seconds:,.0f} rows/s", f"{ratio:.2f} of COPY (>= 0.5)")
        )

    with tempfile.TemporaryDirectory() as scratch:
        for fmt in ("csv", "ndjson"):
            peak = peak_memory_of_cli_export(url, fmt, Path(scratch) / f"trail.{fmt}")
            results.append((f"peak memory, CLI export {fmt}", f"{peak:.0f} MB", "(< 150 MB)"))
        trail = Path(scratch) / "trail.ndjson"
        bare = best(args.runs, lambda: timed(lambda: bare_chaining(trail)))
        ours = best(args.runs, lambda: timed(lambda: verify_export(trail)))
        results.append(("bare SHA-256 chaining", f"{n / bare:,.0f} lines/s", ""))
        results.append(
            ("verify-export", f"{n / ours:,.0f} events/s", f"{bare / ours:.2f} of bare (>= 0.5)")
        )
        size = trail.stat().st_size

    def verify() -> None:
        with app.app_context():
            assert verification.verify(app.config["LICENSING_POLICY"]).ok

    # the tree made from scratch as an upgrade makes it for a trail written before it: migration
    # 0006 undone (its tables dropped), then run again, process start included
    flask(url, "db", "downgrade", "0005")
    seconds = timed(lambda: flask(url, "db", "upgrade"))
    results.append(("Merkle tree built by migration 0006", f"{seconds:.1f} s", "(< 60 s)"))

    seconds = best(1, lambda: timed(verify))
    results.append(("audit verify (chain, tree and register)", f"{seconds:.1f} s", "(< 10 s)"))

    print(
        f"\n{n:,} events, NDJSON {size / 1e6:,.0f} MB; best of {args.runs} runs after a warm-up\n"
    )
    print("| measure | result | ratio |\n| --- | --- | --- |")
    for row in results:
        print(f"| {' | '.join(row)} |")
    print(
        f"\nmax RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10} MB"
    )


if __name__ == "__main__":
    main()
