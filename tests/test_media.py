import pytest

from burki_sip.calls import open_store
from burki_sip.calls.store import Transition

pytestmark = pytest.mark.integration


def test_media_handler_reads_what_the_service_wrote(redis_server, real_redis, client_of_real):
    client_of_real.post("/sip-prewarm", json={"call_sid": "c1", "agenda": "support"})
    client_of_real.post("/sip-status", json={"call_sid": "c1", "status": "ringing"})

    store = open_store({"REDIS_URL": redis_server.url})
    assert store.load_context("c1")["agenda"] == "support"
    state, ttl = store.load_status("c1")
    assert state["status"] == "ringing" and ttl > 0
    assert store.claim_context("c1")["agenda"] == "support"
    assert store.claim_context("c1") is None
    assert store.load_context("c1")["agenda"] == "support"
    assert store.load_context("expired-or-never") is None


def test_media_handler_uses_the_same_prefix(redis_server, real_redis):
    writer = open_store({"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "a:sip"})
    writer.record_event("status", {}, "application/json", "c2", transition=Transition("ringing"))
    assert open_store({"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "b:sip"}).load_status(
        "c2")[0] is None
    assert open_store({"REDIS_URL": redis_server.url, "REDIS_KEY_PREFIX": "a:sip"}).load_status(
        "c2")[0]["status"] == "ringing"
