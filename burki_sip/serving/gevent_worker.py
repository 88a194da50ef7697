"""gunicorn's gevent worker, with JSON error answers and a drained accept queue on SIGTERM.

The default (gunicorn.conf.py): a slow client holds a greenlet, not a worker. redis-py's pool
is safe here: its connections are per greenlet while in use, its lock is patched.
"""

from __future__ import annotations

import sys
import warnings

import gevent
from gevent.monkey import MonkeyPatchWarning
from gunicorn.workers import ggevent

from ..web import logs
from .drain import DrainOnStop
from .errors import JsonErrors
from .lines import BackgroundLines
from .response import OneWriteAnswers

POLL_SECONDS = 0.01


class GeventWorker(JsonErrors, DrainOnStop, OneWriteAnswers, ggevent.GeventWorker):
    """One greenlet per connection, up to ``worker_connections``; Redis I/O yields to others."""

    def patch(self) -> None:
        # The master imported ssl before the fork (redis, fakeredis); gevent warns about every
        # module that took names from it directly. The one it names, redis.asyncio, is never
        # used by the service, so the warning would only put a non-JSON line in the log.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MonkeyPatchWarning)
            super().patch()

    def run(self) -> None:
        # Access lines go through one writer greenlet (serving/lines.py), flushed as we exit.
        lines = BackgroundLines(sys.stdout.fileno())
        logs.set_line_sink(lines.put)
        try:
            super().run()
        finally:
            logs.set_line_sink(None)
            lines.close()

    _quitting = False

    def handle_quit(self, sig, frame) -> None:
        # Quick stop (SIGINT, SIGQUIT): gunicorn exits from a greenlet it spawns. The master's
        # own SIGQUIT after a Ctrl-C would spawn a second one, which then runs while the
        # interpreter shuts down and prints its SystemExit as a traceback: spawn only one.
        if not self._quitting:
            self._quitting = True
            super().handle_quit(sig, frame)

    def handle_exit(self, sig, frame) -> None:
        # The server goes on accepting while this greenlet waits for the queue to empty.
        if self.stopping_since is None:
            super().handle_exit(sig, frame)
            gevent.spawn(self._drain)

    def _drain(self) -> None:
        while not self.drained():
            gevent.sleep(POLL_SECONDS)
