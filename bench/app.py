"""The service plus the benchmark's floors: ``gunicorn "bench.app:bench_app()"`` (bench/run.py).

The floors tell the cost of the layers from the cost of the work. ``POST /bench/noop`` answers
like a prewarm without reading the body or touching Redis: what gunicorn, Flask and the app's
hooks cost. ``POST /bench/set`` adds only the prewarm's Redis write (the example context under a
new call_sid): what one Redis round trip costs on top of that. Both sit behind the same auth
guard as the SIP routes, so they pay what a real route pays. The service itself never serves them.
"""

from __future__ import annotations

import itertools
import os

from flask import Blueprint, Flask

from burki_sip import create_app
from burki_sip.web import auth
from burki_sip.web.extension import get_store

floors = auth.guarded(Blueprint("bench", __name__))

EXAMPLE_CONTEXT = {
    "from_number": "+15559876543", "to_number": "+15551234567", "outbound": False,
    "assistant_id": 123, "welcome_message": "Thanks for calling. How can I help?",
    "agenda": "Customer support intake", "variables": {"customer_id": "cust_123"},
}
_numbers = itertools.count()


@floors.post("/bench/noop")
def noop():
    """Answer like a prewarm does, without reading the body or touching Redis."""
    return {"call_sid": "noop", "prewarmed": True}


@floors.post("/bench/set")
def set_only():
    """Store the example context under a new call_sid as a prewarm does; no body, no checks."""
    call_sid = f"bench-{os.getpid()}-{next(_numbers)}"
    get_store().save_context({"call_sid": call_sid, **EXAMPLE_CONTEXT})
    return {"call_sid": call_sid, "prewarmed": True}


def bench_app(config=None, redis_client=None) -> Flask:
    """The service's app (``create_app`` with the same arguments), with the floors added."""
    app = create_app(config, redis_client)
    app.register_blueprint(floors)
    return app
