"""A provider's callback costs what a bridge callback costs: one Redis round trip on one server."""

import pytest

from providers_support import post

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("provider", "name"), [
    ("telnyx", "webhook-answered"),   # JSON, state on the webhook route
    ("twilio", "status-completed"),   # form on the status route
    ("livekit", "webhook-room_started"),  # unattributed
    ("vonage", "status-completed.query"),  # fields in a GET's query
    ("twilio", "webhook-dial-busy"),  # a <Dial> action: the parent's status and the leg's facts
])
def test_a_provider_callback_is_one_redis_round_trip(redis_server, real_redis, provider, name):
    from burki_sip import create_app

    client = create_app({"TESTING": True, "REDIS_URL": redis_server.url}).test_client()

    def send(delivery: str) -> int:
        return post(client, provider, name, headers={"Idempotency-Key": delivery}).status_code

    assert send("warm-up") == 200  # the script loaded, the connection open
    before = real_redis.info("stats")["total_reads_processed"]
    assert send("measured") == 200
    after = real_redis.info("stats")["total_reads_processed"]
    assert after - before - 1 == 1  # the second INFO is one read too
