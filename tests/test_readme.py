"""The README is part of the contract: its settings table and commands must stay true."""

from __future__ import annotations

from pathlib import Path

import pytest

from licensing.config import PREFIX, SETTINGS
from tests.readme_examples import ReadmeError, examples

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for setting in SETTINGS:
        assert f"| `{PREFIX}{setting.name}` | `{setting.default}` |" in README, setting.name


def test_the_two_commands_are_marked_for_ci() -> None:
    assert "<!-- start-command -->" in README and "<!-- test-command -->" in README


def test_every_shell_block_is_marked_and_every_example_shows_its_answer() -> None:
    assert len(examples()) >= 10


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("```sh\ncurl -s /x\n```\n", "a shell block with no marker"),
        ("<!-- example -->\n```sh\ncurl -s /x\n```\nSome prose.\n", "not followed by its answer"),
        ("<!-- example -->\n```sh\ncurl -s /x\n```\n\n```json\n```\n", "an empty answer"),
    ],
)
def test_an_unmarked_block_or_an_example_without_its_answer_is_refused(
    text: str, problem: str
) -> None:
    with pytest.raises(ReadmeError, match=problem):
        examples(text)
