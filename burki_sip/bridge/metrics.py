"""Prometheus counters of organization syncs to the bridge (served by the web layer's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter

BRIDGE_SYNCS = Counter("burki_sip_bridge_sync_attempts", "HTTP attempts to POST "
                       "{SIP_BRIDGE_URL}/api/sync-organization, retries included.")
BRIDGE_FAILURES = Counter("burki_sip_bridge_sync_failures", "Bridge sync attempts that failed, by "
                          "reason: unreachable, the status class (4xx, 5xx), or retried (failed "
                          "attempts of a sync that then succeeded).",
                          ("reason",))


def bridge_sync_attempted(attempts: int = 1) -> None:
    """Count the HTTP attempts (retries included) one organization sync made."""
    BRIDGE_SYNCS.inc(attempts)


def bridge_sync_failed(reason: str, attempts: int = 1) -> None:
    """Count failed bridge sync attempts; ``reason`` must come from a small fixed set."""
    BRIDGE_FAILURES.labels(reason).inc(attempts)
