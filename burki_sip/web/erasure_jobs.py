"""Erasures asked for over HTTP: each runs in a thread of the worker, the request waits a little.

A worker that stops (every deploy) stops its erasures too: their records then read
``interrupted``, and posting the same request again finishes the work (docs/privacy.md). Under
gevent the thread is a greenlet whose work is Redis round trips: it holds the worker no longer
than a request does.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from ..calls.erasure import Erased, Erasure
from ..calls.erasure import FAILED, FINISHED, RUNNING, record_fields
from ..calls.store import CallStore
from ..redact import redact_text

log = logging.getLogger(__name__)

# Seconds a request waits for its erasure before answering 202.
WAIT_SECONDS = 5
# Erasures one worker process runs at once; more are answered 503 until one ends.
MAX_RUNNING = 2
BUSY_RETRY_AFTER_SECONDS = 10
# Seconds between two writes of a running erasure's record (its heartbeat).
SAVE_EVERY = 1.0

_running = threading.BoundedSemaphore(MAX_RUNNING)


class BusyError(Exception):
    """This worker runs ``MAX_RUNNING`` erasures already."""


class Job:
    """One erasure run by this worker: ``start`` it, then ``wait`` for it a little."""

    def __init__(self, store: CallStore, erasure: Erasure) -> None:
        self.id = uuid.uuid4().hex
        self.store, self.erasure, self.erased = store, erasure, Erased()
        self.error: Exception | None = None
        self._done = threading.Event()
        self._saved = 0.0

    def start(self) -> None:
        """Write its record (a Redis failure is the request's) and start its thread; ``BusyError``
        when ``MAX_RUNNING`` erasures run in this worker already."""
        if not _running.acquire(blocking=False):
            raise BusyError()
        try:
            self._save(RUNNING, created=True)
        except Exception:
            _running.release()
            raise
        threading.Thread(target=self._run, name=f"erasure-{self.id}", daemon=True).start()

    def wait(self) -> bool:
        """True when the erasure ended within ``WAIT_SECONDS`` (``error`` says if it failed)."""
        return self._done.wait(WAIT_SECONDS)

    def _run(self) -> None:
        try:
            self.store.erase(self.erasure, self.erased, self._progress)
            self._save(FINISHED)
        except Exception as exc:  # whatever stopped it, the record and the request say so
            self.error = exc
            log.error("erasure %s did not finish: %s", self.id, exc)
            try:
                self._save(FAILED, error=redact_text(f"{type(exc).__name__}: {exc}"))
            except Exception:  # Redis is gone: the record goes stale and reads "interrupted"
                pass
        finally:
            _running.release()
            self._done.set()

    def _progress(self, stage: str, done: int, total: int | None) -> None:
        if time.monotonic() - self._saved >= SAVE_EVERY:
            self._save(RUNNING)

    def _save(self, state: str, created: bool = False, error: str = "") -> None:
        self._saved = time.monotonic()
        self.store.save_erasure_record(
            self.id, record_fields(self.erasure, self.erased, state, error), created)
