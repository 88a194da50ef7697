"""A provider's callback costs what a bridge callback costs: one Redis round trip on one server."""

import pytest

from providers_support import fixture

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("provider", "name"), [
    ("telnyx", "webhook-answered"),   # JSON, state on the webhook route
    ("twilio", "status-completed"),   # form on the status route
    ("livekit", "webhook-room_started"),  # unattributed
])
def test_a_provider_callback_is_one_redis_round_trip(redis_server, real_redis, provider, name):
    from burki_sip import create_app

    client = create_app({"TESTING": True, "REDIS_URL": redis_server.url}).test_client()
    route, body, content_type = fixture(provider, name)

    def post(delivery: str) -> int:
        return client.post(route, data=body, content_type=content_type,
                           headers={"Idempotency-Key": delivery}).status_code

    assert post("warm-up") == 200  # the script loaded, the connection open
    before = real_redis.info("stats")["total_reads_processed"]
    assert post("measured") == 200
    after = real_redis.info("stats")["total_reads_processed"]
    assert after - before - 1 == 1  # the second INFO is one read too
