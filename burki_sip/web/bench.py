"""The benchmark's floors, registered only when ``SIP_BENCH_NOOP`` is set (never in production).

``POST /bench/noop`` answers like a prewarm without reading the body or touching Redis: what Flask,
gunicorn and the app's hooks cost. ``POST /bench/set`` adds only the prewarm's Redis write (the
seed's context under a new call_sid): what the round trip to Redis costs on top of that.
"""

from __future__ import annotations

import itertools
import os

from flask import Blueprint, Flask

from . import auth
from .extension import get_store

bp = auth.guarded(Blueprint("bench", __name__))

SEED_CONTEXT = {
    "from_number": "+15559876543", "to_number": "+15551234567", "outbound": False,
    "assistant_id": 123, "welcome_message": "Thanks for calling. How can I help?",
    "agenda": "Customer support intake", "variables": {"customer_id": "cust_123"},
}
_numbers = itertools.count()


@bp.post("/bench/noop")
def noop():
    """Answer like a prewarm does, without reading the body or touching Redis."""
    return {"call_sid": "noop", "prewarmed": True}


@bp.post("/bench/set")
def set_only():
    """Store the seed's context under a new call_sid as a prewarm does; no body, no checks."""
    call_sid = f"bench-{os.getpid()}-{next(_numbers)}"
    get_store().save_context({"call_sid": call_sid, **SEED_CONTEXT})
    return {"call_sid": call_sid, "prewarmed": True}


def init_app(app: Flask) -> None:
    """Register the floors when the benchmark setting asks for them, and only then."""
    if app.config["SIP_BENCH_NOOP"]:
        app.register_blueprint(bp)
