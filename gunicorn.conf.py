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

from burki_sip import devredis, serving  # noqa: E402
from burki_sip.serving.drain import cap_backlog_on_stop  # noqa: E402

# Heroku sets PORT and binds every interface; `make run` sets HOST=127.0.0.1.
bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Chosen by measurement (docs/PERFORMANCE.md; bench/slowclients.py, bench/workers.py,
# bench/shutdown.py): gevent workers of ours (burki_sip/serving/: gunicorn's worker, plus JSON
# answers to malformed HTTP and an accept queue drained on SIGTERM). A slow client holds a
# greenlet, not a worker: beside 1,000 connections sending a byte a second other prewarms kept a
# p99 of 63 ms, where gthread answered nothing and 3 such clients stop sync workers. Connections
# are kept alive (sync closes each one): prewarm went from 0.44 to about 0.6 of the FastAPI peer.
# Two workers, one per core: 3 gave 0.40-0.51. WEB_WORKER_CLASS=sync or gthread serve the same
# app correctly (the gunicorn tests run under all three), but only behind a buffering proxy.
_WORKER_CLASS = os.environ.get("WEB_WORKER_CLASS", "gevent")
try:
    worker_class = serving.worker_class(_WORKER_CLASS)
except ValueError as exc:  # one line, like the other bad settings above, not a traceback
    sys.exit(f"burki-sip: {exc}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gevent and gthread: open connections per worker, slow ones included. gunicorn turns a sync
# worker with more than one thread into gthread, so only gthread gets threads.
worker_connections = 1000
threads = 4 if _WORKER_CLASS == "gthread" else 1
# Heroku's router gives a dyno 30 s to stop after SIGTERM; drain in-flight requests well before.
graceful_timeout = 20
timeout = 30
# Seconds an idle kept-alive connection stays open (the bridge reuses its connections); under
# gevent also the most a request head may take to arrive before the connection is dropped.
keepalive = 5
# gunicorn 27's control socket defaults to one path under $HOME, which several instances on one
# machine (tests, benchmarks, dynos sharing a home) would fight over; nothing here uses it.
control_socket_disable = True
# The app writes one JSON line per request itself (burki_sip/web/telemetry.py; under gevent from a
# writer greenlet, burki_sip/serving/lines.py, so a slow stdout never stalls a worker); gunicorn's
# own access log would repeat it. gunicorn's other lines use the app's JSON format.
accesslog = None
logger_class = "burki_sip.web.logs.GunicornLogger"


def on_starting(server):
    """In the master, before any worker: pick the Redis (one warning if it does not answer),
    and forget metrics of an earlier run."""
    cap_backlog_on_stop(server)
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
    devredis.stop_embedded(os.environ.get("REDIS_URL", ""))
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    made_here = (os.path.dirname(metrics_dir) == tempfile.gettempdir()
                 and os.path.basename(metrics_dir).startswith(_METRICS_PREFIX))
    if made_here:
        shutil.rmtree(metrics_dir, ignore_errors=True)

