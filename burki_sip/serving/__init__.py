"""How gunicorn serves the app: worker classes of ours (JSON errors, a drained accept queue).

``gunicorn.conf.py`` picks one by name (``WEB_WORKER_CLASS``); each is gunicorn's own worker with
two mixins, so the HTTP server stays gunicorn's.
"""

from __future__ import annotations

WORKER_CLASSES = {
    "sync": "burki_sip.serving.sync_worker.SyncWorker",
    "gthread": "burki_sip.serving.thread_worker.ThreadWorker",
    "gevent": "burki_sip.serving.gevent_worker.GeventWorker",
}


def worker_class(name: str) -> str:
    """The import path of our worker for gunicorn's class ``name``; a ValueError names the choices."""
    try:
        return WORKER_CLASSES[name]
    except KeyError:
        raise ValueError(f"WEB_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, "
                         f"not {name!r}") from None
