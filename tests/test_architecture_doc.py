"""docs/architecture.md names files and counts what a change costs: every file it names is
there, and the cost of a new action is what tests/test_a_new_action.py really edits."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_a_new_action import EDITS

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
NAMED = re.compile(r"`([\w./]+\.(?:py|html|po))(?:[` ])")


def test_every_file_the_page_names_is_there() -> None:
    named = {path for path in NAMED.findall(DOC) if "*" not in path}
    assert named
    # a path is from the package (or the repository); a bare file name is one in the package
    missing = [
        path for path in named
        if not ((ROOT / "licensing" / path).exists() or (ROOT / path).exists()
                or ("/" not in path and any((ROOT / "licensing").rglob(path))))
    ]  # fmt: skip
    assert missing == []


def test_the_cost_of_a_new_action_is_what_the_test_edits() -> None:
    row = next(line for line in DOC.splitlines() if line.startswith("| a new lifecycle action"))
    assert row.split("|")[2].strip().startswith(f"{len(EDITS)},")
    for path, _anchor, _lines in EDITS:
        assert f"`{path}`" in row, path
