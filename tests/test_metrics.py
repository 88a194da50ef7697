import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from burki_sip.web import metrics


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 when it has no such series yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_prewarm_is_counted_by_route_status_and_latency(client, seed_prewarm):
    labels = {"route": "/sip-prewarm", "method": "POST"}
    before = (sample("burki_sip_http_requests_total", **labels, status="200"),
              sample("burki_sip_http_request_duration_seconds_count", **labels),
              sample("burki_sip_prewarms_total"))

    client.post("/sip-prewarm", json=seed_prewarm)

    after = (sample("burki_sip_http_requests_total", **labels, status="200"),
             sample("burki_sip_http_request_duration_seconds_count", **labels),
             sample("burki_sip_prewarms_total"))
    assert after == tuple(value + 1 for value in before)


def test_a_refused_prewarm_is_counted_as_400_and_not_as_a_prewarm(client):
    before = (sample("burki_sip_http_requests_total", route="/sip-prewarm", method="POST",
                     status="400"), sample("burki_sip_prewarms_total"))
    client.post("/sip-prewarm", json={})
    after = (sample("burki_sip_http_requests_total", route="/sip-prewarm", method="POST",
                    status="400"), sample("burki_sip_prewarms_total"))
    assert after == (before[0] + 1, before[1])


@pytest.mark.parametrize("stream", ["webhook", "status"])
def test_events_are_counted_per_stream(client, stream):
    before = sample("burki_sip_events_recorded_total", stream=stream)
    client.post(f"/sip-{stream}", data={"CallSid": "CA1", "CallStatus": "ringing"})
    assert sample("burki_sip_events_recorded_total", stream=stream) == before + 1


def test_status_transitions_are_counted_by_the_status_reached(client):
    before = sample("burki_sip_status_transitions_total", status="ringing")
    client.post("/sip-status", json={"call_sid": "CA7", "status": "ringing"})
    client.post("/sip-status", json={"call_sid": "CA7", "status": "initiated"})  # late: not applied
    assert sample("burki_sip_status_transitions_total", status="ringing") == before + 1
    assert client.get("/sip-status/CA7").get_json()["status"] == "ringing"


def test_a_repeated_delivery_counts_as_a_duplicate_not_an_event(client):
    headers = {"webhook-id": "msg_metrics_1"}
    before = (sample("burki_sip_events_recorded_total", stream="webhook"),
              sample("burki_sip_duplicates_dropped_total", stream="webhook"))
    for _ in range(3):
        client.post("/sip-webhook", json={"call_sid": "CA8", "event": "ping"}, headers=headers)
    assert (sample("burki_sip_events_recorded_total", stream="webhook"),
            sample("burki_sip_duplicates_dropped_total", stream="webhook")) == (
        before[0] + 1, before[1] + 2)


def test_unknown_paths_share_one_route_label(client):
    before = sample("burki_sip_http_requests_total", route="<unmatched>", method="GET",
                    status="404")
    client.get("/no-such-path-1")
    client.get("/no-such-path-2")
    assert sample("burki_sip_http_requests_total", route="<unmatched>", method="GET",
                  status="404") == before + 2


def test_redis_errors_are_counted_by_class(client, fake_redis, seed_prewarm):
    fake_redis.connection_pool.connection_kwargs["server"].connected = False
    before = sample("burki_sip_redis_errors_total", error="ConnectionError")
    assert client.post("/sip-prewarm", json=seed_prewarm).status_code == 503
    assert sample("burki_sip_redis_errors_total", error="ConnectionError") == before + 1


def test_metrics_endpoint_speaks_the_prometheus_text_format(client):
    client.get("/healthz")
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    names = {family.name for family in text_string_to_metric_families(response.get_data(True))}
    assert {"burki_sip_http_requests", "burki_sip_http_request_duration_seconds",
            "burki_sip_redis_errors", "burki_sip_events_recorded", "burki_sip_prewarms",
            "burki_sip_status_transitions", "burki_sip_duplicates_dropped",
            "burki_sip_bridge_sync_attempts", "burki_sip_bridge_sync_failures"} <= names


def test_invented_methods_share_one_label(client):
    # A 405 matched no rule, so its route is <unmatched> too.
    before = sample("burki_sip_http_requests_total", route="<unmatched>", method="other",
                    status="405")
    assert client.open("/healthz", method="BREW").status_code == 405
    assert client.open("/healthz", method="WHEN").status_code == 405
    assert sample("burki_sip_http_requests_total", route="<unmatched>", method="BREW",
                  status="405") == 0
    assert sample("burki_sip_http_requests_total", route="<unmatched>", method="other",
                  status="405") == before + 2
