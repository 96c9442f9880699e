"""Where a route spends its time: cProfile over the WSGI app, no server, no network; and how many
statements, commits and pool checkouts each request costs (round trips, on PostgreSQL).

python -m bench.profile [--requests 3000]
    [--route status|statement|list|issue|suspend|PAGE|console-dashboard|console-list|
        console-licence]
    [--database-url postgresql://127.0.0.1/licensing_bench_profile]

With --database-url that PostgreSQL database is dropped and rebuilt; without, a scratch SQLite file.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_migrate import upgrade

from bench import http
from licensing import create_app
from licensing.config import database_url
from licensing.models import db
from licensing.services import tokens
from licensing.services.changes import build_changes
from tests.synthetic import fill

# the public pages a reader meets, by name: their address and the reader's language
PAGES = {
    "home": ("/", "kk"),
    "licence": ("/licences/{number}", "ru"),
    "register": ("/register", "ru"),
    "register-search": ("/register?q=%D1%82%D0%B5%D1%81%D1%82&page={page}", "ru"),
    "about": ("/about", "ru"),
    "verify": ("/verify", "ru"),
    "security": ("/security", "ru"),
    "statistics": ("/statistics", "ru"),
    "open-data": ("/open-data/", "ru"),
    "register-feed": ("/register/changes.atom", "ru"),
    "licence-feed": ("/licences/{number}/changes.atom", "ru"),
    "licence-qr": ("/licences/{number}/qr.svg", "ru"),
}
CONSOLE = {
    "console-dashboard": "/console/",
    "console-list": "/console/licences",
    "console-licence": "/console/licences/{number}",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument(
        "--route",
        choices=("status", "statement", "list", "issue", "suspend", *PAGES, *CONSOLE),
        default="status",
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL database to rebuild and use")
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time only (waits on the database left out)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/profile.sqlite"
        token = prepare(url, args.licences)
        app = create_app(
            {
                "LICENSING_DATABASE_URL": url,
                "LICENSING_SIGNING_KEY_FILE": str(Path(folder) / "key.pem"),
                "LICENSING_RATELIMIT_PUBLIC": "1000000000 per minute",
                "LICENSING_SECRET_KEY_FILE": str(Path(folder) / "secret-key"),
            }
        )
        client = app.test_client()
        if args.route in CONSOLE:  # a signed-in officer reading in Russian
            cookie = http.officer_cookie(
                {"LICENSING_DATABASE_URL": url,
                 "LICENSING_SECRET_KEY_FILE": str(Path(folder) / "secret-key")}
            )  # fmt: skip
            client.set_cookie(*cookie.split("=", 1))
            client.set_cookie("lang", "ru")
        today = datetime.now(ZoneInfo("Asia/Almaty")).date()
        decision = {"number": "17-LC/2026", "date": today.isoformat(), "by": "licensor"}
        suspension = {
            "reason_code": "violation_found", "reason": "Bench check", "legal_basis": "art. 9",
            "until": (today + timedelta(days=62)).isoformat(), "decision": decision,
        }  # fmt: skip
        resumption = {
            "reason_code": "violation_remedied", "reason": "Bench check", "legal_basis": "art. 9",
            "decision": decision,
        }  # fmt: skip
        suspended: set[str] = set()
        numbers = [f"DM-2026-{random.randint(1, args.licences):06d}" for _ in range(args.requests)]
        body = {
            "holder_name": "Bench Mining LLP", "holder_bin": "971240001315", "subtype": "I",
            "site_address": "Pavlodar", "region": "pavlodar", "capacity_mw": "12.5",
        }  # fmt: skip

        def one(number: str) -> None:
            if args.route in PAGES:
                path, language = PAGES[args.route]
                response = client.get(
                    path.format(number=number, page=random.randint(1, 50)),
                    headers={"Accept-Language": language},
                )
            elif args.route == "status":
                response = client.get(f"/api/v1/status/{number}")
            elif args.route == "statement":
                response = client.get(f"/api/v1/status/{number}/statement")
            elif args.route in CONSOLE:
                response = client.get(CONSOLE[args.route].format(number=number))
            elif args.route == "list":
                response = client.get(f"/api/v1/status?page={random.randint(1, 50)}")
            elif args.route == "issue":
                response = client.post(
                    "/api/v1/licences", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            else:  # suspend a licence, or resume it when it is suspended
                action = "resume" if number in suspended else "suspend"
                suspended.symmetric_difference_update({number})
                response = client.post(
                    f"/api/v1/licences/{number}/{action}",
                    json=resumption if action == "resume" else suspension,
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert response.status_code in (200, 201), response.get_data()

        for number in numbers[:100]:  # warm up
            one(number)
        # without the profiler: this process's CPU (the app's, the database's own is not in it)
        # and the wall clock, per request
        cpu, wall = time.process_time(), time.perf_counter()
        for number in numbers[:500]:
            one(number)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(f"unprofiled: {cpu / 0.5:.2f} ms CPU, {wall / 0.5:.2f} ms wall per request")
        with app.app_context():
            engine = db.engine
        counts = {"statements": 0, "commits": 0, "checkouts": 0}

        def count(what: str) -> Callable[..., None]:
            return lambda *_: counts.__setitem__(what, counts[what] + 1)

        sa.event.listen(engine, "before_cursor_execute", count("statements"))
        sa.event.listen(engine, "commit", count("commits"))
        sa.event.listen(engine.pool, "checkout", count("checkouts"))
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        profiler.enable()
        for number in numbers:
            one(number)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"{args.requests} requests, {stats.total_tt / args.requests * 1000:.2f} ms each")
        print(", ".join(f"{n / args.requests:.2f} {what}" for what, n in counts.items()), "each")
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


def prepare(url: str, licences: int) -> str:
    """A migrated database at `url` holding `licences` issued licences; a regulator token."""
    if not url.startswith("sqlite"):
        return http.prepare(url, licences)
    app = create_app({"LICENSING_DATABASE_URL": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
        engine = sa.create_engine(database_url(url))
        fill(engine, licences, licences=licences)
        with engine.begin() as connection:  # the change feed of the trail loaded in bulk
            build_changes(connection, app.config["LICENSING_POLICY"])
        return tokens.create("profile-regulator", "regulator")


if __name__ == "__main__":
    main()
