"""gunicorn's settings for ``web: gunicorn wsgi:app`` (Procfile); docs/deploy.md says why each."""

import glob
import logging
import os
import shutil
import sys
import tempfile
import warnings

from burki_sip import startup

# gunicorn reads this file before it binds a port or starts a worker: a bad setting stops it
# here with one line and exit status 1 (gunicorn prints no traceback for SystemExit).
if startup.main():
    sys.exit(1)

# prometheus_client picks its multiprocess mode when it is first imported (just below), so the
# directory the workers share their metrics in is set first; unset, a temporary one is made.
METRICS_PREFIX = "burki-sip-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_PREFIX)
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from gunicorn import glogging  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

from burki_sip import devredis, logs  # noqa: E402
from burki_sip.serving import drain  # noqa: E402

# This master imports redis (and ssl) before gevent patches each worker; gevent then warns about
# redis.asyncio, which nothing under gunicorn uses. Its plain-text warning is the one non-JSON line.
warnings.filterwarnings("ignore", "Monkey-patching ssl after ssl has already been imported")

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gevent"  # a slow client holds a greenlet, not a worker
worker_connections = 1000
keepalive = 5
timeout = 30
graceful_timeout = 20  # Heroku sends SIGKILL 30 s after SIGTERM
control_socket_disable = True  # its default path under $HOME would be shared by every instance
post_fork = drain.hold_sigterm


class JsonLogger(glogging.Logger):
    """gunicorn's own lines (start, workers, errors) in the app's JSON format, on stderr.

    Not ``logconfig_dict``: it turns on gunicorn's access-log bookkeeping for every request,
    about 50 µs more server CPU per prewarm (docs/PERFORMANCE.md).
    """

    def setup(self, cfg):
        super().setup(cfg)
        for handler in logging.getLogger("gunicorn.error").handlers:
            handler.setFormatter(logs.JsonFormatter())


logger_class = JsonLogger


def on_starting(server):
    """Pick the Redis (one warning if it does not answer) and forget an earlier run's metrics."""
    os.environ["REDIS_URL"] = devredis.resolve_redis_url(os.environ, server.log)
    devredis.warn_if_unreachable(os.environ, server.log)
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def post_worker_init(worker):
    """In each worker: SIGTERM serves the accept queue first, and a quick stop runs once."""
    drain.drain_on_sigterm(worker)
    drain.quick_stop_once()


def child_exit(server, worker):
    """A worker exited: drop its live gauges (its counters stay, so totals never go back)."""
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The master is stopping: remove the metrics directory if it is the temporary one made here.

    Told by its name, not by a flag: a configuration reload (SIGHUP) runs this file again.
    """
    devredis.stop_embedded(os.environ.get("REDIS_URL", ""))
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    if (os.path.dirname(metrics_dir) == tempfile.gettempdir()
            and os.path.basename(metrics_dir).startswith(METRICS_PREFIX)):
        shutil.rmtree(metrics_dir, ignore_errors=True)
