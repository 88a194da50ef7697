"""Prometheus metrics: their definitions, ``GET /metrics``, and the event backlog read at scrape.

The metrics are module-level, as prometheus_client expects. Under gunicorn every worker writes its
values to files in ``PROMETHEUS_MULTIPROC_DIR`` (set up by gunicorn.conf.py before this module is
imported) and ``/metrics`` adds up the files of all workers, so any worker answers for all of them.
"""

from __future__ import annotations

import logging
import os

import redis
from flask import Response
from flask_smorest import Blueprint
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisClusterException

from ..bridge import metrics as bridge_metrics  # noqa: F401  (its counters, in /metrics too)
from ..calls.backlog import stream_states
from .extension import get_store

log = logging.getLogger(__name__)

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
# (name, help, attribute of calls.backlog's group state), each labelled by stream and group.
GROUP_GAUGES = (
    ("burki_sip_events_unacknowledged", "Entries of the stream the group has not acknowledged "
     "(pending + not yet delivered).", "unacknowledged"),
    ("burki_sip_events_pending", "Entries delivered to a consumer of the group and not yet "
     "acknowledged.", "pending"),
    ("burki_sip_events_oldest_unacknowledged_age_seconds", "Age of the oldest entry the group has "
     "not acknowledged (0 when there is none).", "oldest_age_seconds"),
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    method = method if method in METHODS else "other"  # a client cannot invent new series
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


def claim_answered(claim) -> None:
    """Observe one claim's wait (the store's ``on_claim`` hook: ``calls.claims.Claim``)."""
    CLAIM_WAIT.labels(claim.outcome).observe(claim.waited)


class BacklogCollector:
    """The streams' backlog as gauges: one Redis read per scrape, never in the metric files."""

    def collect(self):
        up = GaugeMetricFamily("burki_sip_events_backlog_up", "1 when the streams' backlog could "
                               "be read from Redis for this scrape, else 0.")
        store = get_store()
        try:
            states = stream_states(store.client, store.keys)
        except (redis.RedisError, RedisClusterException) as exc:
            log.warning("backlog metrics unavailable: %s: %s", type(exc).__name__, exc)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        length = GaugeMetricFamily("burki_sip_events_stream_length", "Entries kept in the stream.",
                                   labels=("stream",))
        dead = GaugeMetricFamily("burki_sip_events_dead_lettered", "Entries in the stream's "
                                 "dead-letter stream (<stream>:dead).", labels=("stream",))
        groups = [GaugeMetricFamily(name, text, labels=("stream", "group"))
                  for name, text, _ in GROUP_GAUGES]
        for state in states:
            length.add_metric([state.kind], state.length)
            dead.add_metric([state.kind], state.dead_letters)
            for group in state.groups:
                for family, (_, _, attribute) in zip(groups, GROUP_GAUGES):
                    family.add_metric([state.kind, group.group], getattr(group, attribute) or 0)
        return [up, length, dead, *groups]


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
    live = CollectorRegistry()  # read from Redis now, whichever worker answers
    live.register(BacklogCollector())
    return Response(generate_latest(registry) + generate_latest(live),
                    content_type=CONTENT_TYPE_LATEST)
