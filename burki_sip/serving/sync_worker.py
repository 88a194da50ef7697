"""gunicorn's sync worker, with JSON error answers and a drained accept queue on SIGTERM."""

from __future__ import annotations

from gunicorn.workers import sync

from .drain import DrainOnStop
from .errors import JsonErrors
from .response import OneWriteAnswers


class SyncWorker(JsonErrors, DrainOnStop, OneWriteAnswers, sync.SyncWorker):
    """One request at a time; needs a buffering proxy in front against slow clients."""

    def wait(self, timeout):
        # Reached only when accept() found the queue empty: a stopping worker is then done.
        if self.drained():
            return None
        return super().wait(0.1 if self.stopping_since is not None else timeout)
