"""Prometheus metrics: their definitions, one helper per thing counted, and ``GET /metrics``.

The metrics are module-level, as prometheus_client expects. Under gunicorn every worker writes its
values to files in ``PROMETHEUS_MULTIPROC_DIR`` (set up by gunicorn.conf.py before this module is
imported) and ``/metrics`` adds up the files of all workers, so any worker answers for all of them.
"""

from __future__ import annotations

import os

from flask import Response
from flask_smorest import Blueprint

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)

from ..bridge import metrics as bridge_metrics  # noqa: F401  (its counters, in /metrics too)
from .backlog_metrics import BacklogCollector
from .extension import get_store

# flask-smorest's Blueprint, not ``blueprint.Blueprint``: that one's parser imports ``errors``,
# which imports this module; this route reads no body anyway.
bp = Blueprint("metrics", __name__)

UNMATCHED_ROUTE = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("burki_sip_http_requests", "HTTP requests answered, by route template, method "
                   "and status code.", ("route", "method", "status"))
LATENCY = Histogram("burki_sip_http_request_duration_seconds", "Time from the start of request "
                    "handling to the response, by route template and method.", ("route", "method"),
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
REDIS_ERRORS = Counter("burki_sip_redis_errors", "Requests that failed because Redis did not "
                       "answer or refused a command, by redis-py exception class.", ("error",))
EVENTS = Counter("burki_sip_events_recorded", "Entries appended to an event stream, by stream "
                 "(webhook, status).", ("stream",))
PREWARMS = Counter("burki_sip_prewarms", "Call contexts stored by POST /sip-prewarm.")
TRANSITIONS = Counter("burki_sip_status_transitions", "Call status changes applied, by the status "
                      "the call moved to.", ("status",))
DUPLICATES = Counter("burki_sip_duplicates_dropped", "Deliveries dropped because their webhook-id "
                     "or Idempotency-Key was already seen, by stream.", ("stream",))
UNATTRIBUTED = Counter("burki_sip_events_unattributed", "Webhook events recorded without a call "
                       "(none could be identified in the payload), by provider detected.",
                       ("provider",))
REFUSED = Counter("burki_sip_events_refused", "Webhooks and status callbacks answered 503 because "
                  "a consumer group's backlog reached SIP_EVENTS_MAX_BACKLOG, by stream.",
                  ("stream",))
CLAIM_WAIT = Histogram("burki_sip_claim_wait_seconds", "How long HTTP claims waited for the call's "
                       "context to arrive (0 when it was there), by outcome (claimed, "
                       "already_claimed, missing).", ("outcome",),
                       buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency (the only per-request metric work)."""
    method = method if method in METHODS else "other"  # a client cannot invent new series
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def redis_error(exc: BaseException) -> None:
    """Count a Redis failure that reached the error handler."""
    REDIS_ERRORS.labels(type(exc).__name__).inc()


def event_recorded(stream: str) -> None:
    """Count one entry appended to ``stream``."""
    EVENTS.labels(stream).inc()


def event_unattributed(provider: str) -> None:
    """Count one webhook event recorded without a call (``provider`` comes from a fixed list)."""
    UNATTRIBUTED.labels(provider).inc()


def prewarmed() -> None:
    """Count one stored call context."""
    PREWARMS.inc()


def status_transition(status: str) -> None:
    """Count one applied status change to ``status`` (call it only when the status moved)."""
    TRANSITIONS.labels(status).inc()


def duplicate_dropped(stream: str) -> None:
    """Count one delivery of ``stream`` dropped as a repeat."""
    DUPLICATES.labels(stream).inc()


def backlog_refused(stream: str) -> None:
    """Count one request of ``stream`` refused because of the events backlog."""
    REFUSED.labels(stream).inc()


def claim_answered(claim) -> None:
    """Observe one claim's wait (the store's ``on_claim`` hook: ``calls.claims.Claim``)."""
    CLAIM_WAIT.labels(claim.outcome).observe(claim.waited)


@bp.get("/metrics")
@bp.response(200, {"type": "string"}, content_type="text/plain",
             description="Prometheus text exposition format.")
def metrics():
    """Every metric in the Prometheus text format, added up over all workers."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # prometheus_client's documented pattern: a fresh registry reading every worker's files.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    # Gauges read from Redis now, once per scrape, whichever worker answers.
    live = CollectorRegistry()
    live.register(BacklogCollector(get_store()))
    return Response(generate_latest(registry) + generate_latest(live),
                    content_type=CONTENT_TYPE_LATEST)
