"""The README is part of the contract: its settings table and commands must stay true."""

from __future__ import annotations

from pathlib import Path

from licensing.config import PREFIX, SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for setting in SETTINGS:
        assert f"| `{PREFIX}{setting.name}` | `{setting.default}` |" in README, setting.name


def test_the_two_commands_are_marked_for_ci() -> None:
    assert "<!-- start-command -->" in README and "<!-- test-command -->" in README
