from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from licensing.domain.chain import event_hash
from licensing.domain.exports import CSV_COLUMNS
from tests.conftest import Clock
from tests.factories import API, act, decision, issue

EVENTS = f"{API}/audit/events"


@pytest.fixture
def trail(client: FlaskClient, regulator: dict[str, str], clock: Clock) -> list[str]:
    """Seven events on three licences, an hour apart, by two regulators."""
    a = issue(client, regulator)["number"]
    clock.advance(hours=1)
    b = issue(client, regulator, holder_name="ТОО «Сарыарка»")["number"]
    clock.advance(hours=1)
    act(client, regulator, a, "suspend", decision(reason='=HYPERLINK("http://evil")'))
    clock.advance(hours=1)
    act(client, regulator, a, "resume")
    clock.advance(hours=1)
    act(client, regulator, b, "revoke")
    clock.advance(hours=1)
    c = issue(client, regulator)["number"]
    clock.advance(hours=1)
    act(client, regulator, c, "suspend", decision(reason='строка, с запятой\nи "кавычками"'))
    return [a, b, c]


def seqs(response: object) -> list[int]:
    return [e["seq"] for e in response.get_json()["items"]]  # type: ignore[attr-defined]


def test_json_pages_hold_events_in_the_exported_format(
    client: FlaskClient, auditor: dict[str, str], trail: list[str]
) -> None:
    first = client.get(f"{EVENTS}?page_size=3", headers=auditor).get_json()
    assert (first["total"], first["page"], first["page_size"]) == (7, 1, 3)
    assert [e["seq"] for e in first["items"]] == [1, 2, 3]
    assert all(e["hash"] == event_hash(e) for e in first["items"])
    history = client.get(f"{API}/licences/{trail[0]}/history", headers=auditor).get_json()["items"]
    assert history[0] == first["items"][0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("licence={a}", [1, 3, 4]),
        ("action=suspend", [3, 7]),
        ("action=issue&licence={c}", [6]),
        ("actor={actor}", [1, 2, 3, 4, 5, 6, 7]),
        ("actor=nobody", []),
        ("since=2026-03-10T11:30:00Z", [3, 4, 5, 6, 7]),
        ("until=2026-03-10T11:30:00Z", [1, 2]),
        ("since=2026-03-10T16:30:00%2B05:00&until=2026-03-10T13:30:00Z", [3, 4]),
        ("after_seq=5", [6, 7]),
        ("after_seq=5&action=issue", [6]),
    ],
)
def test_filters(
    client: FlaskClient, auditor: dict[str, str], trail: list[str], query: str, expected: list[int]
) -> None:
    actor = client.get(EVENTS, headers=auditor).get_json()["items"][0]["actor"]
    query = query.format(a=trail[0], b=trail[1], c=trail[2], actor=actor)
    assert seqs(client.get(f"{EVENTS}?{query}", headers=auditor)) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("since=2026-03-10T10:00:00", "since"),  # no offset: ambiguous
        ("action=delete", "action"),
        ("after_seq=-1", "after_seq"),
        ("format=xml", "format"),
        ("licence_number=DM-2026-000001", "licence_number"),
        ("from=2026-03-10", "from"),
    ],
)
def test_unknown_filters_and_malformed_times_are_422(
    client: FlaskClient, auditor: dict[str, str], query: str, field: str
) -> None:
    response = client.get(f"{EVENTS}?{query}", headers=auditor)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(
    ("how", "media_type", "suffix"),
    [
        ({"headers": {"Accept": "application/x-ndjson"}}, "application/x-ndjson", "ndjson"),
        ({"query_string": {"format": "ndjson"}}, "application/x-ndjson", "ndjson"),
        ({"headers": {"Accept": "text/csv"}}, "text/csv", "csv"),
        (
            {"query_string": {"format": "csv"}, "headers": {"Accept": "application/json"}},
            "text/csv",
            "csv",
        ),
    ],
)
def test_streams_are_chosen_by_accept_or_format(
    client: FlaskClient, auditor: dict[str, str], trail: list[str],
    how: dict[str, dict[str, str]], media_type: str, suffix: str,
) -> None:  # fmt: skip
    response = client.get(EVENTS, headers={**auditor, **how.get("headers", {})},
                          query_string=how.get("query_string"))  # fmt: skip
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.is_streamed
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=") and disposition.endswith(f'.{suffix}"')


def test_ndjson_is_the_canonical_lines_oldest_first(
    client: FlaskClient, auditor: dict[str, str], trail: list[str]
) -> None:
    body = client.get(EVENTS, headers=auditor, query_string={"format": "ndjson"}).data
    assert body.endswith(b"\n")
    lines = body.split(b"\n")[:-1]
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == list(range(1, 8))
    for line, e in zip(lines, events, strict=True):
        assert (
            line
            == json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        )
        assert e["hash"] == event_hash(e)


def test_csv_has_the_documented_columns_and_neutralises_formulas(
    client: FlaskClient, auditor: dict[str, str], trail: list[str]
) -> None:
    body = client.get(EVENTS, headers={**auditor, "Accept": "text/csv"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == list(CSV_COLUMNS)
    assert len(rows) == 8
    by_seq = {int(row[0]): dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]}
    assert by_seq[3]["reason"] == '\'=HYPERLINK("http://evil")'
    assert by_seq[7]["reason"] == 'строка, с запятой\nи "кавычками"'
    assert by_seq[1]["from"] == ""
    assert json.loads(by_seq[3]["data"]) == {
        "decision": {"by": "licensor", "date": "2026-03-10", "number": "17-ЛЦ/2026"},
        "until": "2026-05-10",
    }
    ndjson = client.get(EVENTS, headers=auditor, query_string={"format": "ndjson"}).data.split(
        b"\n"
    )
    assert by_seq[5]["hash"] == json.loads(ndjson[4])["hash"]


def test_a_filtered_stream_holds_only_matches(
    client: FlaskClient, auditor: dict[str, str], trail: list[str]
) -> None:
    body = client.get(
        EVENTS, headers=auditor, query_string={"format": "ndjson", "licence": trail[0]}
    ).data
    assert [json.loads(line)["seq"] for line in body.splitlines()] == [1, 3, 4]
    empty = client.get(
        EVENTS, headers={**auditor, "Accept": "text/csv"}, query_string={"actor": "x"}
    )
    assert empty.get_data(as_text=True) == ",".join(CSV_COLUMNS) + "\n"


def test_pages_are_refused_for_streams(client: FlaskClient, auditor: dict[str, str]) -> None:
    response = client.get(EVENTS, headers=auditor, query_string={"format": "csv", "page": 2})
    assert response.status_code == 422 and "page" in response.get_json()["errors"]


def test_an_unserveable_accept_is_406(client: FlaskClient, auditor: dict[str, str]) -> None:
    response = client.get(EVENTS, headers={**auditor, "Accept": "application/xml"})
    assert response.status_code == 406
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    ("role", "status"), [("auditor", 200), ("regulator", 200), ("miner", 403), ("admin", 403)]
)
def test_who_may_read_the_trail(
    client: FlaskClient, token: Callable[..., dict[str, str]], role: str, status: int
) -> None:
    headers = token(role, bin="971240001315" if role == "miner" else None)
    assert client.get(EVENTS, headers=headers).status_code == status
    assert client.get(EVENTS).status_code == 401
