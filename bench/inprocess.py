"""The HTTP ratios without HTTP: the registry's WSGI app and the bare ceilings called in one
process, in alternating batches, so that a busy machine slows both alike. No server, no network, no
gunicorn (whose own work, the same for both, makes the served ratios higher than these).

    python -m bench.inprocess [--licences 20000] [--batches 30] [--batch 200]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from licensing.config import database_url

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Any]


def call(app: Wsgi, target: str) -> None:
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": query, "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
    }  # fmt: skip
    status: list[str] = []
    b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    if not status[0].startswith("200"):
        raise RuntimeError(f"{path}: {status[0]}")


def per_request(app: Wsgi, paths: list[str]) -> float:
    started = time.process_time()
    for path in paths:
        call(app, path)
    return (time.process_time() - started) / len(paths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--licences", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--database-url", help="PostgreSQL to fill (dropped and made again)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/inprocess.sqlite"
        from bench.http import prepare

        prepare(url, args.licences)
        os.environ.update(  # noqa: TID251 (the bare app reads its database from here)
            BENCH_DATABASE_URL=url,
            LICENSING_DATABASE_URL=url,
            LICENSING_SIGNING_KEY_FILE=str(Path(folder) / "key.pem"),
            LICENSING_RATELIMIT_PUBLIC="1000000000 per minute",
        )
        from bench.bare import app as bare
        from licensing import create_app

        registry = create_app()
        numbers = [f"DM-2026-{random.randint(1, args.licences):06d}" for _ in range(args.batch)]
        cases = {
            "bare JSON": (bare, ["/bare/json"] * args.batch),
            "bare one-row read": (bare, [f"/bare/row/{n}" for n in numbers]),
            "status lookup": (registry, [f"/api/v1/status/{n}" for n in numbers]),
            "statement": (registry, [f"/api/v1/status/{n}/statement" for n in numbers]),
            "change feed": (registry, [
                f"/api/v1/changes?limit=100&after={random.randint(0, args.licences - 100)}"
                for _ in numbers
            ]),
        }  # fmt: skip
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.batches):
            for name, (app, paths) in cases.items():
                times[name].append(per_request(app, paths))
        best = {name: statistics.median(values) for name, values in times.items()}
        for name, seconds in best.items():
            print(f"{name}: {seconds * 1e6:.0f} µs (median of {args.batches} batches)")
        for case, ceiling in (
            ("status lookup", "bare JSON"),
            ("status lookup", "bare one-row read"),
            ("statement", "bare JSON"),
            ("change feed", "bare JSON"),
        ):
            print(f"{case} / {ceiling}: {best[ceiling] / best[case]:.2f}")
        sa.create_engine(database_url(url)).dispose()


if __name__ == "__main__":
    main()
