"""The console's lists in pages: a register with many decisions shows one page of them, with honest
counts and links to the older ones; every query bounded; a page asked for that is no page gets a
clear answer, never a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from licensing.domain.lifecycle import STATUS_ACTIONS
from licensing.models import AuditEvent, db
from licensing.services.worklists import PAGE_SIZE as WORKLIST_PAGE
from licensing.web.console.routes import PAGE_SIZE
from tests.synthetic import fill

EVENTS, LICENCES = 160, 12  # 12 issues, then 148 events: two in three a suspension or resumption

_ROW_SEQ = re.compile(r"<tr>\s*<td>(\d+)</td>")
_OLDER = re.compile(r'<a rel="next" href="([^"]+)"')
# a lookup by a unique key (a session's digest, a licence's number, an id) names one row
_ONE_ROW = re.compile(
    r"WHERE \w+\.(digest|number|id) = (\?|%\(\w+\)s)(::\w+)?\s*(LIMIT|FOR UPDATE|$)"
)
_NEWER = re.compile(r'<a rel="prev" href="([^"]+)"')


@pytest.fixture
def busy_register(app: Flask) -> int:
    """A register with a long trail; the number of its status decisions."""
    with app.app_context():
        fill(db.engine, EVENTS, licences=LICENCES)
        return db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action.in_(STATUS_ACTIONS))
        )


def section(page: str, name: str) -> str:
    return page.split(f'<section id="{name}"')[1].split("</section>")[0]


def seqs(html: str) -> list[int]:
    return [int(n) for n in _ROW_SEQ.findall(html)]


def link(pattern: re.Pattern[str], html: str) -> str:
    found = pattern.search(html)
    assert found, html[-1500:]
    return found.group(1).replace("&amp;", "&")


def test_the_dashboard_shows_one_page_of_recent_decisions_with_their_count(
    officer_client: FlaskClient, busy_register: int
) -> None:
    recent = section(officer_client.get("/console/").text, "recent")
    shown = seqs(recent)
    assert len(shown) == WORKLIST_PAGE < busy_register
    # newest first: of the last three events (suspend, resume, amend) two are decisions
    assert shown == sorted(shown, reverse=True) and shown[0] >= EVENTS - 2
    assert f"({busy_register})" in recent  # the heading counts them all
    assert f"Shown 1–{WORKLIST_PAGE} of {busy_register}." in recent
    assert 'rel="prev"' not in recent  # nothing newer than the newest


def test_the_older_page_follows_on_and_leads_back(
    officer_client: FlaskClient, busy_register: int
) -> None:
    first = section(officer_client.get("/console/").text, "recent")
    older_path = link(_OLDER, first)
    assert older_path.startswith("/console/?before=") and older_path.endswith("#recent")
    second = section(officer_client.get(older_path).text, "recent")
    assert max(seqs(second)) < min(seqs(first))  # older decisions, none shown twice
    assert len(seqs(second)) == WORKLIST_PAGE
    count = 2 * WORKLIST_PAGE
    assert f"Shown {WORKLIST_PAGE + 1}–{count} of {busy_register}." in second
    back = section(officer_client.get(link(_NEWER, second)).text, "recent")
    assert seqs(back) == seqs(first)


def test_the_last_page_of_decisions_ends_the_list(
    officer_client: FlaskClient, busy_register: int
) -> None:
    path, pages = "/console/", 0
    while True:
        recent = section(officer_client.get(path).text, "recent")
        pages += 1
        if not _OLDER.search(recent):
            break
        path = link(_OLDER, recent)
    assert pages == -(-busy_register // WORKLIST_PAGE)
    assert f"of {busy_register}." in recent and f"–{busy_register} of" in recent


def test_a_new_decision_does_not_shift_an_older_page(
    app: Flask, officer_client: FlaskClient, busy_register: int, regulator: dict[str, str]
) -> None:
    first = section(officer_client.get("/console/").text, "recent")
    older_path = link(_OLDER, first)
    before = seqs(section(officer_client.get(older_path).text, "recent"))
    number = "DM-2026-000001"
    state = officer_client.get(f"/api/v1/licences/{number}", headers=regulator).json
    action = "resume" if state["status"] == "suspended" else "suspend"
    from tests.factories import decision

    done = officer_client.post(
        f"/api/v1/licences/{number}/{action}", json=decision(action), headers=regulator
    )
    assert done.status_code == 200, done.json
    assert seqs(section(officer_client.get(older_path).text, "recent")) == before
    assert f"({busy_register + 1})" in section(officer_client.get("/console/").text, "recent")


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the database is sent while the test runs."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    yield sent
    sa.event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "path",
    ["/console/", "/console/?before=40", "/console/licences", "/console/audit?page=2",
     "/console/licences/DM-2026-000003", "/console/proposals", "/console/sessions"],
)  # fmt: skip
def test_every_list_read_is_bounded(
    officer_client: FlaskClient, busy_register: int, statements: list[str], path: str
) -> None:
    assert officer_client.get(path).status_code == 200
    lists = [
        s for s in statements
        if s.lstrip().upper().startswith("SELECT") and "count(" not in s.lower()
        and re.search(r"FROM (audit_events|licences|proposals|console_sessions)\b", s)
        and not _ONE_ROW.search(s)
    ]  # fmt: skip
    assert lists
    for statement in lists:  # every read of rows is cut to a page (or names one row)
        assert re.search(r"\bLIMIT\b", statement), statement


def test_the_trail_page_two_holds_the_next_events(
    officer_client: FlaskClient, busy_register: int
) -> None:
    first = officer_client.get("/console/audit").text
    second = officer_client.get("/console/audit?page=2").text
    assert seqs(first) == list(range(1, PAGE_SIZE + 1))
    assert seqs(second) == list(range(PAGE_SIZE + 1, 2 * PAGE_SIZE + 1))
    assert f"Shown {PAGE_SIZE + 1}–{2 * PAGE_SIZE} of {EVENTS}." in second
    assert 'rel="prev" href="/console/audit?page=1"' in second


def test_a_worklist_pages_by_itself_and_keeps_the_others(
    officer_client: FlaskClient, busy_register: int
) -> None:
    board = officer_client.get("/console/?before=100&expiring=1").text
    recent = section(board, "recent")
    assert max(seqs(recent)) < 100
    older = link(_OLDER, recent)
    assert "expiring=1" in older  # the other lists stay on their pages


LISTS = ("/console/licences", "/console/audit", "/console/proposals", "/console/sessions",
         "/console/licences/DM-2026-000001")  # fmt: skip


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=0", "page=-1", "page=1.5", "page=%EF%BC%91", "page=99999999999999999999",
     "page=+2"],
)  # fmt: skip
@pytest.mark.parametrize("path", LISTS)
def test_a_page_that_is_no_page_is_a_clear_400(
    officer_client: FlaskClient, busy_register: int, path: str, query: str
) -> None:
    answer = officer_client.get(f"{path}?{query}")
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "The request could not be read" in answer.text


@pytest.mark.parametrize(
    "query", ["before=abc", "before=0", "overdue=x", "awaiting=0", "expiring=1e3", "ending=-2"]
)
def test_a_dashboard_page_that_is_no_page_is_a_clear_400(
    officer_client: FlaskClient, busy_register: int, query: str
) -> None:
    answer = officer_client.get(f"/console/?{query}")
    assert answer.status_code == 400
    assert "The request could not be read" in answer.text


@pytest.mark.parametrize(
    "path", ["/console/audit?page=50", "/console/licences?page=2", "/console/?before=1"]
)
def test_a_page_past_the_end_is_not_found(
    officer_client: FlaskClient, busy_register: int, path: str
) -> None:
    assert officer_client.get(path).status_code == 404


def test_an_empty_register_shows_its_lists_without_pages(officer_client: FlaskClient) -> None:
    board = officer_client.get("/console/")
    assert board.status_code == 200
    recent = section(board.text, "recent")
    assert "None." in recent and "(0)" in recent and "Shown" not in recent


def test_a_page_link_keeps_the_filters_but_no_argument_of_url_fors_own(
    officer_client: FlaskClient, busy_register: int
) -> None:
    page = officer_client.get("/console/audit?action=suspend&_external=1&_anchor=x").text
    older = link(_OLDER, page)
    assert older.startswith("/console/audit?") and "#" not in older
    assert "action=suspend" in older and "_external" not in older
