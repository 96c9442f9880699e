"""The web pages' secret key: random, made once per deployment in an owner-only file that every
worker reads, so a form token signed by one worker is accepted by the next."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path


def secret_key(path: str) -> bytes:
    """The key in `path`, made on first use. Workers starting together agree on one key: each
    writes its own candidate aside and links it into place, and only the first link wins."""
    target = Path(path)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(dir=target.parent, prefix=".secret-")
        try:
            with os.fdopen(handle, "w") as file:
                file.write(secrets.token_hex(32))
            with contextlib.suppress(FileExistsError):
                os.link(scratch, target)
        finally:
            os.unlink(scratch)
    key = target.read_text().strip()
    if len(key) < 32:
        raise ValueError(f"the secret key in {target} is too short (32 characters at least)")
    return key.encode()
