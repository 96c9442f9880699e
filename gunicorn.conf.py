"""gunicorn settings for the registry: `gunicorn wsgi:app` in this folder reads them.

Command-line options win over these (`--workers 4 --bind 0.0.0.0:8000`). This is gunicorn's
configuration, not the registry's: it reads gunicorn's and Prometheus' own variables."""
# ruff: noqa: TID251

import multiprocessing
import os
import shutil
import tempfile

# Sync workers: each request holds one worker and one database connection from start to end, so
# a write's transaction can never outlive its request, and a worker lost mid-request loses only
# that request.
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
bind = "0.0.0.0:8000"
# A worker busy longer than this on one request is restarted; auditors' large exports over slow
# links may need more (or export by `after_seq` in steps).
timeout = 60
graceful_timeout = 30
keepalive = 5  # behind a load balancer that keeps connections open
# Recycle workers now and then, at different times, so none grows without bound.
max_requests = 20000
max_requests_jitter = 2000
# Bounded request heads: a slow or oversized head is refused before the app sees it.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# The app logs one line per request itself (LICENSING_LOG_FORMAT=json); no access log here.
accesslog = None
errorlog = "-"

# Prometheus: every worker counts into files in one folder, which /metrics reads as one. It must
# be set before a worker imports prometheus_client, and must start empty.
_made_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _made_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="licensing-metrics-")


def on_starting(server):
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
