"""The README's examples, typed in order into bash against a live server, give the answers shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Server
from tests.readme_examples import Example, differences, examples

pytestmark = pytest.mark.e2e

# The README's own address for the server, replaced by the test server's, as the reader would do.
README_SERVER = "http://127.0.0.1:5000"
# The README asks the reader to paste each token the demo printed in place of `lic_...`.
TOKEN_LINE = re.compile(r"^(\w+)=lic_\.\.\.(\s+# the (\w+) token)$", re.MULTILINE)
SEPARATOR = "@@@ end of example @@@"


def test_every_readme_example_answers_as_shown(server: Server, tmp_path: Path) -> None:
    tokens = dict(line.split()[:2] for line in server.flask("demo").splitlines())
    shown = examples()
    outputs = _type_in_order(shown, server, tokens, tmp_path)
    failures = [
        f"README line {example.line}:\n  " + "\n  ".join(found) + f"\n  answer was:\n{output}"
        for example, output in zip(shown, outputs, strict=True)
        if (found := differences(example, output))
    ]
    assert not failures, "\n\n".join(failures)


def _type_in_order(
    shown: list[Example], server: Server, tokens: dict[str, str], where: Path
) -> list[str]:
    """Run every example in one bash session in a scratch folder; each one's standard output."""
    # the reader's checkout has the environment the start command made; so does this folder
    (where / ".venv").symlink_to(Path(sys.executable).parent.parent)
    script = "\n".join(
        f"{_as_typed(example.command, server, tokens)}\necho; echo '{SEPARATOR}'"
        for example in shown
    )
    done = subprocess.run(
        ["bash", "-c", script], cwd=where, env=server.env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    outputs = done.stdout.split(f"\n{SEPARATOR}\n")
    assert len(outputs) == len(shown) + 1, done.stdout + done.stderr
    return outputs[:-1]


def _as_typed(command: str, server: Server, tokens: dict[str, str]) -> str:
    """The command as the reader types it: this server's address and the demo's tokens."""
    command = command.replace(README_SERVER, server.url)
    return TOKEN_LINE.sub(lambda line: f"{line[1]}={tokens[line[3]]}{line[2]}", command)
