"""A webhook receiver, run as a process of its own on loopback: it verifies every delivery's
signature with the maintained `standardwebhooks` package and records each one it gets.

    python -m tests.changes.receiver PORT SECRETS RECORD

SECRETS is a JSON file {subscription id: secret}, read on every request (subscriptions are made
after the receiver starts); RECORD gets one JSON line per request: its path, webhook-id, whether
the signature held, and the body. The path says how to answer:
/ok (200), /slow (200 after 0.2 s), /hang (never), /big (200 with a 50 MB body), /redirect (302),
/reset (the connection reset), /gone (410), /busy (503, Retry-After: 1)."""

from __future__ import annotations

import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_LOCK = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    secrets: Path
    record: Path

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        message_id = self.headers.get("webhook-id", "")
        subscription = message_id.split("-", 1)[0]
        secrets = json.loads(self.secrets.read_text()) if self.secrets.exists() else {}
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            Webhook(secrets[subscription]).verify(body, headers)
            valid = True
        except (KeyError, WebhookVerificationError):
            valid = False
        entry = {"path": self.path, "id": message_id, "valid": valid,
                 "body": json.loads(body or b"null"), "at": time.time()}  # fmt: skip
        with _LOCK, self.record.open("a") as file:
            file.write(json.dumps(entry) + "\n")
        getattr(self, "answer_" + self.path.strip("/").split("?")[0], self.answer_ok)()

    def answer_ok(self, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer_slow(self) -> None:
        time.sleep(0.2)
        self.answer_ok()

    def answer_hang(self) -> None:
        time.sleep(60)

    def answer_big(self) -> None:
        size = 50 * 1024 * 1024
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(size // len(chunk)):
                self.wfile.write(chunk)
        except OSError:
            pass  # the registry stopped reading, as it should

    def answer_redirect(self) -> None:
        self.answer_ok(302, Location="/ok")

    def answer_reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def answer_gone(self) -> None:
        self.answer_ok(410)

    def answer_busy(self) -> None:
        self.answer_ok(503, Retry_After="1")


def main() -> None:
    port, secrets, record = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    Receiver.secrets, Receiver.record = secrets, record
    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    server.daemon_threads = True
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
