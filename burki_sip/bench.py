"""The benchmark's floor: a no-op JSON route, registered only when ``SIP_BENCH_NOOP`` is set."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("bench", __name__)


@bp.post("/bench/noop")
def noop():
    """Answer like a prewarm does, without reading the body or touching Redis."""
    return {"call_sid": "noop", "prewarmed": True}


def init_app(app: Flask) -> None:
    """Register the no-op route when the benchmark setting asks for it, and only then."""
    if app.config["SIP_BENCH_NOOP"]:
        app.register_blueprint(bp)
