"""The README's examples and their answers, read from its markers and compared as a reader would."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[1] / "README.md"

# Every shell block in the README says what it is, so a new one cannot slip in untested.
EXAMPLE = "<!-- example -->"
OTHER_MARKERS = ("<!-- start-command -->", "<!-- test-command -->", "<!-- not an example")
ANSWER_KINDS = ("json", "http", "text")

# What legitimately differs from one run to the next, and nothing else: each is replaced by its
# name in both the expected and the actual answer. Longer shapes come first (a time holds a date).
PER_RUN = (
    ("time", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")),
    ("date", re.compile(r"\b\d{4}-\d\d-\d\d\b")),
    ("licence number", re.compile(r"\bDM-\d{4}-\d{6}\b")),
    ("hash", re.compile(r"\b[0-9a-f]{64}\b")),
    ("request id", re.compile(r"\b(cli-)?[0-9a-f]{32}\b")),
)


@dataclass(frozen=True)
class Example:
    line: int  # where its command starts in the README, for messages
    command: str
    kind: str  # the answer's fence language: json, http (curl -i) or text
    answer: str


class ReadmeError(Exception):
    """The README's examples are not marked or answered the way the test reads them."""


def examples(text: str | None = None) -> list[Example]:
    """The README's examples in order; raises ReadmeError for a shell block without a marker or an
    example without an answer."""
    lines = (text if text is not None else README.read_text(encoding="utf-8")).splitlines()
    found: list[Example] = []
    i = 0
    marker = ""
    while i < len(lines):
        line = lines[i]
        if line.startswith("<!--"):
            marker = line
        if line == "```sh":
            start = i + 1
            command, i = _fenced(lines, start)
            if marker == EXAMPLE:
                found.append(_with_answer(lines, i, start, command))
            elif not marker.startswith(OTHER_MARKERS):
                raise ReadmeError(f"README line {start}: a shell block with no marker")
        if line.strip() and not line.startswith("<!--"):
            marker = ""
        i += 1
    return found


def _fenced(lines: list[str], start: int) -> tuple[str, int]:
    """The text of the fenced block opening before `start`, and the index of its closing fence."""
    end = start
    while end < len(lines) and lines[end] != "```":
        end += 1
    return "\n".join(lines[start:end]), end


def _with_answer(lines: list[str], closing: int, start: int, command: str) -> Example:
    following = closing + 1
    while following < len(lines) and not lines[following].strip():
        following += 1
    opening = lines[following] if following < len(lines) else ""
    kind = opening.removeprefix("```")
    if not opening.startswith("```") or kind not in ANSWER_KINDS:
        raise ReadmeError(f"README line {start}: an example not followed by its answer")
    answer, _ = _fenced(lines, following + 1)
    if not answer.strip():
        raise ReadmeError(f"README line {start}: an example with an empty answer")
    return Example(start, command, kind, answer)


def per_run(text: str) -> str:
    """`text` with every value that differs per run replaced by the name of what it is."""
    for name, shape in PER_RUN:
        text = shape.sub(f"<{name}>", text)
    return text


def differences(example: Example, output: str) -> list[str]:
    """How `output` differs from the answer the README shows; empty when it gives that answer."""
    if example.kind == "json":
        return _json_differences(example.answer, output)
    if example.kind == "http":
        return _http_differences(example.answer, output)
    expected = [per_run(line).rstrip() for line in example.answer.strip().splitlines()]
    actual = [per_run(line).rstrip() for line in output.strip().splitlines()]
    return [] if expected == actual else [f"lines {expected!r} != {actual!r}"]


def _json_values(text: str) -> list[Any]:
    """The JSON documents in `text`, one after the other (curl -s ends none with a newline)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text.strip()):
        value, at = decoder.raw_decode(text, at)
        values.append(value)
        while at < len(text) and text[at].isspace():
            at += 1
    return values


def _json_differences(expected_text: str, output: str) -> list[str]:
    expected = _json_values(expected_text)
    try:
        actual = _json_values(output)
    except ValueError:
        return [f"not JSON: {output!r}"]
    if len(expected) != len(actual):
        return [f"{len(actual)} JSON documents where the README shows {len(expected)}"]
    found: list[str] = []
    for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
        _compare(want, got, f"document {index + 1}", found)
    return found


def _compare(want: Any, got: Any, path: str, found: list[str]) -> None:
    """Compare the documented part: keys the README leaves out may be added to an answer."""
    if want == {} and got != {}:
        found.append(f"{path}: {got!r} where the README shows an empty object")
    elif isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            if key not in got:
                found.append(f"{path}: no key {key!r}")
            else:
                _compare(value, got[key], f"{path}.{key}", found)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            found.append(f"{path}: {len(got)} items where the README shows {len(want)}")
        for index, (one, other) in enumerate(zip(want, got, strict=False)):
            _compare(one, other, f"{path}[{index}]", found)
    elif isinstance(want, str) and isinstance(got, str):
        if per_run(want) != per_run(got):
            found.append(f"{path}: {got!r} where the README shows {want!r}")
    elif want != got or type(want) is not type(got):
        found.append(f"{path}: {got!r} where the README shows {want!r}")


def _http_differences(expected_text: str, output: str) -> list[str]:
    """A `curl -i` answer: the status code, the headers the README shows, and the body."""
    want_head, _, want_body = expected_text.partition("\n\n")
    got_head, _, got_body = output.replace("\r\n", "\n").partition("\n\n")
    want_lines, got_lines = want_head.splitlines(), got_head.splitlines()
    found: list[str] = []
    if not got_lines or want_lines[0].split()[1] != got_lines[0].split()[1]:
        found.append(f"status line {got_lines[:1]!r} where the README shows {want_lines[0]!r}")
    got_headers = {}
    for line in got_lines[1:]:
        name, _, value = line.partition(":")
        got_headers[name.strip().lower()] = value.strip()
    for line in want_lines[1:]:
        name, _, value = line.partition(":")
        got = got_headers.get(name.strip().lower())
        if got is None or per_run(got) != per_run(value.strip()):
            found.append(f"header {name}: {got!r} where the README shows {value.strip()!r}")
    return found + _json_differences(want_body, got_body)
