"""Where a public status lookup spends its time: cProfile over the WSGI app, no server, no network.

python -m bench.profile [--requests 3000] [--route status|statement|list|issue]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import tempfile
from pathlib import Path

import sqlalchemy as sa

from licensing import create_app
from licensing.config import database_url
from licensing.models import db
from licensing.services import tokens
from tests.synthetic import fill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--licences", type=int, default=2000)
    parser.add_argument(
        "--route", choices=("status", "statement", "list", "issue"), default="status"
    )
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/profile.sqlite"
        app = create_app(
            {
                "LICENSING_DATABASE_URL": url,
                "LICENSING_SIGNING_KEY_FILE": str(Path(folder) / "key.pem"),
                "LICENSING_RATELIMIT_PUBLIC": "1000000000 per minute",
            }
        )
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
            fill(sa.create_engine(database_url(url)), args.licences, licences=args.licences)
            token = tokens.create("profile-regulator", "regulator")
        client = app.test_client()
        numbers = [f"DM-2026-{random.randint(1, args.licences):06d}" for _ in range(args.requests)]
        body = {
            "holder_name": "Bench Mining LLP", "holder_bin": "971240001315", "subtype": "I",
            "site_address": "Pavlodar", "region": "pavlodar", "capacity_mw": "12.5",
        }  # fmt: skip

        def one(number: str) -> None:
            if args.route == "status":
                response = client.get(f"/api/v1/status/{number}")
            elif args.route == "statement":
                response = client.get(f"/api/v1/status/{number}/statement")
            elif args.route == "list":
                response = client.get(f"/api/v1/status?page={random.randint(1, 50)}")
            else:
                response = client.post(
                    "/api/v1/licences", json=body, headers={"Authorization": f"Bearer {token}"}
                )
            assert response.status_code in (200, 201), response.get_data()

        for number in numbers[:100]:  # warm up
            one(number)
        profiler = cProfile.Profile()
        profiler.enable()
        for number in numbers:
            one(number)
        profiler.disable()
        stats = pstats.Stats(profiler).strip_dirs()
        print(f"{args.requests} requests, {stats.total_tt / args.requests * 1000:.2f} ms each")
        stats.sort_stats("tottime").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
