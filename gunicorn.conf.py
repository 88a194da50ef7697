"""Gunicorn settings for ``web: gunicorn wsgi:app`` (Procfile), read from the environment."""

import glob
import os
import shutil
import sys
import tempfile

from burki_sip import startup


def refuse_bad_settings() -> None:
    """Stop with one line and exit status 1 when a setting is invalid: gunicorn reads this file
    before it binds any port or starts a worker, and exits on SystemExit without a traceback."""
    status = startup.main()
    if status:
        sys.exit(status)


refuse_bad_settings()

# prometheus_client chooses its multiprocess mode when it is first imported (burki_sip imports it
# just below), so the metrics directory must be in the environment first. Workers inherit it.
_METRICS_PREFIX = "burki-sip-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=_METRICS_PREFIX)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import multiprocess  # noqa: E402

from burki_sip import devredis  # noqa: E402

# Heroku sets PORT and binds every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Chosen by measurement (`make bench`, docs/PERFORMANCE.md). Sync workers: gthread (2 threads) and
# gevent lowered prewarm req/s and raised p99 (gevent to ~0.5 s: one worker took most connections).
# Three of them on 2 cores: each request waits for one Redis round trip, and while a worker sleeps
# on it a third one keeps the cores busy. Against 2 workers, interleaved runs gave +6 % prewarm
# req/s and a p99 of 28-29 ms instead of 34 ms; 4 workers gained nothing more. Heroku's router
# buffers requests, so slow clients do not hold a sync worker. Scale with WEB_CONCURRENCY (about
# one worker per core plus one).
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "sync"
# Heroku's router gives a dyno 30 s to stop after SIGTERM; drain in-flight requests well before.
graceful_timeout = 20
timeout = 30
keepalive = 5
# gunicorn 27's control socket defaults to one path under $HOME, which several instances on one
# machine (tests, benchmarks, dynos sharing a home) would fight over; nothing here uses it.
control_socket_disable = True
# The app writes one JSON line per request itself (burki_sip/telemetry.py); gunicorn's own access
# log would repeat it. gunicorn's other lines use the app's JSON format.
accesslog = None
logger_class = "burki_sip.web.logs.GunicornLogger"


def on_starting(server):
    """In the master, before any worker: pick the Redis (one warning if it does not answer),
    and forget metrics of an earlier run."""
    os.environ["REDIS_URL"] = devredis.resolve_redis_url(os.environ, server.log)
    devredis.warn_if_unreachable(os.environ, server.log)
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    for path in glob.glob(os.path.join(metrics_dir, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """A worker exited: drop its live gauges (its counters stay, so totals never go back)."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The master is stopping: remove the metrics directory if it is the temporary one made here.

    Told by its name, not by a flag: a configuration reload (SIGHUP) runs this file again.
    """
    devredis.forget_embedded(os.environ.get("REDIS_URL", ""))
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    made_here = (os.path.dirname(metrics_dir) == tempfile.gettempdir()
                 and os.path.basename(metrics_dir).startswith(_METRICS_PREFIX))
    if made_here:
        shutil.rmtree(metrics_dir, ignore_errors=True)
