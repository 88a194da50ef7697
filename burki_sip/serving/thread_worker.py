"""gunicorn's gthread worker, with JSON error answers and a drained accept queue on SIGTERM."""

from __future__ import annotations

from gunicorn.workers import gthread

from .drain import DrainOnStop
from .errors import JsonErrors
from .response import OneWriteAnswers


class ThreadWorker(JsonErrors, DrainOnStop, OneWriteAnswers, gthread.ThreadWorker):
    """A poller thread accepting and keeping connections alive, a pool of threads serving them."""

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        self.method_queue.defer(lambda: None)  # wake the poller so it checks the queue now

    def wait_for_and_dispatch_events(self, timeout):
        stopping = self.stopping_since is not None
        super().wait_for_and_dispatch_events(0.05 if stopping and self.alive else timeout)
        if self.alive:
            self.drained()
