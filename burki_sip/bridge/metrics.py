"""Prometheus counters of organization syncs to the bridge (served by the web layer's /metrics)."""

from prometheus_client import Counter

BRIDGE_SYNCS = Counter("burki_sip_bridge_sync_attempts", "HTTP attempts to POST "
                       "{SIP_BRIDGE_URL}/api/sync-organization, retries included.")
BRIDGE_FAILURES = Counter("burki_sip_bridge_sync_failures", "Bridge sync attempts that failed, by "
                          "reason: unreachable, the status class (4xx, 5xx), or retried (failed "
                          "attempts of a sync that then succeeded).",
                          ("reason",))
