"""The deliveries benchmark's receiver, a process of its own on loopback: it answers every POST 200
at once and notes when each webhook-id first arrived; GET /arrivals gives them as JSON.

    python -m bench.receiver

Prints its port, then serves until stopped. A process apart from the one that makes the changes,
so that neither slows the other: the arrival times are the receiver's alone."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    request_queue_size = 256  # many senders connect at once: socketserver's 5 would drop some
    daemon_threads = True


class Arrivals(BaseHTTPRequestHandler):
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        at = time.time()
        with self.lock:
            self.arrived.setdefault(self.headers.get("webhook-id", ""), at)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        with self.lock:
            body = json.dumps(self.arrived).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    server = Receiver(("127.0.0.1", 0), Arrivals)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
