"""What a new lifecycle action costs: a row in the machine's table, its reason codes in the
catalogue and its words in the labels, nothing else. A copy of the package gets an action it has
never had (`extend`: a suspension's term moved on, by a new decision) through those three files
alone, and the API, the console and the verifier's replay all take it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import licensing

# Each edit: the file, the line it goes after (which must be there exactly once), and the lines.
EDITS = (
    (
        "domain/lifecycle.py",
        "    Move(REVOKE, (ISSUED, SUSPENDED, RESUMED), REVOKED),\n",
        '    Move("extend", (SUSPENDED,), SUSPENDED, ends=True),\n',
    ),
    (
        "domain/reasons.py",
        "        for reason in (\n",
        """            _reason(
                "suspension_extended",
                ("extend",),
                ARTICLE_9,
                kk="Бұзушылықтарды жою мерзімі ұзартылды",
                ru="Срок устранения нарушений продлён",
                en="The time to remedy the breaches was extended",
            ),
""",
    ),
    (
        "web/labels.py",
        '    lifecycle.REVOKE: _l("Revocation"),\n',
        '    "extend": _l("Extension of a suspension"),\n',
    ),
)

SCRIPT = """
from datetime import timedelta

import flask_migrate

from licensing import clock, create_app
from tests.conftest import Clock
from licensing.models import db
from licensing.services import verification
from tests.console.conftest import form_key, make_person, post_form, sign_in
from tests.factories import API, act, bearer, decision, issue

frozen = Clock(clock.now())  # moved by hand, so that each TOTP code is a new one
clock.now = frozen.now
app = create_app({
    "TESTING": True,
    "LICENSING_DATABASE_URL": "sqlite:///" + WORK + "/register.sqlite",
    "LICENSING_SIGNING_KEY_FILE": WORK + "/signing-key.pem",
    "LICENSING_RATELIMIT_STORAGE_URI": "memory://",
})
with app.app_context():
    flask_migrate.upgrade()

api = app.test_client()
regulator = bearer(app, "regulator")
number = issue(api, regulator)["number"]
today = app.config["LICENSING_POLICY"].today(clock.now())  # the registry's day, not UTC's
soon = (today + timedelta(days=60)).isoformat()
assert act(api, regulator, number, "suspend", decision(until=soon)).status_code == 200

# the API offers it, documents it, and takes it
licence = api.get(f"{API}/licences/{number}", headers=regulator).get_json()
assert licence["allowed_actions"] == ["resume", "revoke", "extend", "amend"], licence
paths = api.get("/openapi.json").get_json()["paths"]
assert "/api/v1/licences/{number}/extend" in paths, sorted(paths)
later = (today + timedelta(days=150)).isoformat()
body = decision("suspend", reason_code="suspension_extended", until=later)
answer = act(api, regulator, number, "extend", body)
assert answer.status_code == 200, answer.get_json()
assert answer.get_json()["status"] == "suspended"
assert answer.get_json()["suspended_until"] == later
wrong = act(api, regulator, number, "extend", decision("suspend", until=later))
assert wrong.status_code == 422 and "reason_code" in wrong.get_json()["errors"], wrong.get_json()

# the console offers it on the licence's page, with its words, and records it
officer = make_person(app, frozen, "Officer", "regulator")
console = app.test_client()
console.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
sign_in(console, officer, frozen)
page = console.get(f"/console/licences/{number}").text
assert f"/console/licences/{number}/extend" in page and "Extension of a suspension" in page
form = console.get(f"/console/licences/{number}/extend")
assert form.status_code == 200 and 'name="until"' in form.text, form.text[:400]
path = f"/console/licences/{number}/extend"
fields = {
    "reason_code": "suspension_extended", "reason": "Нарушения не устранены.",
    "legal_basis": "ст. 9", "until": (today + timedelta(days=170)).isoformat(),
    "decision_number": "18-ЛЦ/2026", "decision_date": today.isoformat(),
    "decision_by": "licensor", "version": "3",
}
review = post_form(console, path, fields)
assert review.status_code == 200 and "Extension of a suspension" in review.text, review.text[:800]
done = post_form(console, path, {**fields, "confirm": "1", "form_key": form_key(review)})
assert done.status_code == 303, done.text[:800]

# the verifier replays it: the register is still the fold of its trail
with app.app_context():
    report = verification.verify(app.config["LICENSING_POLICY"])
    assert report.ok and report.events_checked == 4, report
print("extend: offered and recorded by the API and the console, replayed")
"""


def test_a_new_action_needs_the_machine_the_reasons_and_the_labels_only(tmp_path: Path) -> None:
    package = Path(licensing.__file__).parent
    copy = tmp_path / "copy"
    shutil.copytree(package, copy / "licensing", ignore=shutil.ignore_patterns("__pycache__"))
    for name, anchor, lines in EDITS:
        path = copy / "licensing" / name
        text = path.read_text()
        assert text.count(anchor) == 1, f"{name} no longer has {anchor!r} once"
        path.write_text(text.replace(anchor, anchor + lines))
    repository = package.parent
    environment = {**os.environ, "PYTHONPATH": f"{copy}{os.pathsep}{repository}"}  # noqa: TID251
    environment.pop("LICENSING_DATABASE_URL", None)
    program = f"WORK = {str(tmp_path)!r}\n" + textwrap.dedent(SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "extend: offered and recorded by the API and the console" in done.stdout
