"""The event streams' backlog as Prometheus gauges, read from Redis when /metrics is scraped."""

from __future__ import annotations

import logging

import redis
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisClusterException

from ..calls.backlog import stream_states
from ..calls.store import CallStore

log = logging.getLogger(__name__)

# (name, help, attribute of calls.backlog's group state), each labelled by stream and group.
GROUP_GAUGES = (
    ("burki_sip_events_unacknowledged", "Entries of the stream the group has not acknowledged "
     "(pending + not yet delivered).", "unacknowledged"),
    ("burki_sip_events_pending", "Entries delivered to a consumer of the group and not yet "
     "acknowledged.", "pending"),
    ("burki_sip_events_oldest_unacknowledged_age_seconds", "Age of the oldest entry the group has "
     "not acknowledged (0 when there is none).", "oldest_age_seconds"),
)


class BacklogCollector:
    """A custom collector: one Redis read per scrape, never stored in the metric files."""

    def __init__(self, store: CallStore) -> None:
        self.store = store

    def collect(self):
        """The gauges, and ``burki_sip_events_backlog_up`` saying whether Redis could be read."""
        up = GaugeMetricFamily("burki_sip_events_backlog_up", "1 when the streams' backlog could "
                               "be read from Redis for this scrape, else 0.")
        try:
            states = stream_states(self.store.client, self.store.keys)
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
