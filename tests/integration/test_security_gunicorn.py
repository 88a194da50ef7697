"""Security rules where the server matters: real gunicorn, real redis-server, real HTTP.

The service runs as on Heroku: one trusted proxy (the router) appends the client address to
``X-Forwarded-For``, and only the bridge's range may call. Every request below carries the
canary key, secret or phone number, and at the end gunicorn's whole output is searched for them.
"""

import json
import time

import pytest
import requests

from support import Gunicorn
from security_support import signed_headers

pytestmark = pytest.mark.integration

CANARY_KEY = "canary-gunicorn-key-5e1f9a7c3b"
CANARY_SECRET = "whsec_Z3VuaWNvcm4tY2FuYXJ5LXNlY3JldC0zMmJ5dGVzIQ=="
CANARY_PHONE = "+4915198765432"
BRIDGE = "203.0.113.5"  # inside SIP_ALLOWED_IPS
VIA_ROUTER = {"X-Forwarded-For": BRIDGE}
WITH_KEY = {**VIA_ROUTER, "Authorization": f"Bearer {CANARY_KEY}"}
OVER_LIMIT = 70_000  # MAX_CONTENT_LENGTH is 65536
POSTS = [("/sip-prewarm", {"call_sid": "CA1"}), ("/sip-webhook", {"call_sid": "CA1"}),
         ("/sip-status", {"call_sid": "CA1", "status": "ringing"})]


@pytest.fixture(scope="module")
def router_service(module_redis_server):
    """The service behind one trusted proxy, with keys, signatures and an allow-list."""
    service = Gunicorn(module_redis_server.url, workers=2, SIP_INBOUND_API_KEYS=CANARY_KEY,
                       SIP_WEBHOOK_SECRETS=CANARY_SECRET, SIP_ALLOWED_IPS="203.0.113.0/24",
                       TRUSTED_PROXY_COUNT="1").start()
    service.canary_output = ""
    yield service
    service.stop()


@pytest.fixture
def redis_client(module_redis_server):
    with module_redis_server.flushed_client() as client:
        yield client


def post(service, path, headers=None, **kwargs):
    return requests.post(service.url + path, headers=headers, timeout=10, **kwargs)


def chunks(total: int, size: int = 8192):
    """A body sent with ``Transfer-Encoding: chunked`` (no Content-Length)."""
    yield b'{"call_sid": "CA1", "status": "ringing", "pad": "'
    sent = 0
    while sent < total:
        yield b"x" * min(size, total - sent)
        sent += size
    yield b'"}'


@pytest.mark.parametrize(("path", "body"), POSTS)
def test_bodies_over_the_limit_are_413_json_both_ways(router_service, redis_client, path, body):
    padded = {**body, "pad": "x" * OVER_LIMIT}
    with_length = post(router_service, path, WITH_KEY, json=padded)
    chunked = post(router_service, path, {**WITH_KEY, "Content-Type": "application/json"},
                   data=chunks(OVER_LIMIT))
    for response in (with_length, chunked):
        assert response.status_code == 413
        assert response.json()["error"] == "request body too large (limit 65536 bytes)"
    assert redis_client.dbsize() == 0


def test_a_chunked_form_over_the_limit_is_not_stored_truncated(router_service, redis_client):
    # werkzeug alone would hand the route the first 65536 bytes as if they were the whole form.
    def form_chunks():
        yield b"CallSid=CA1&CallStatus=ringing&pad="
        for _ in range(10):
            yield b"x" * 8192

    response = post(router_service, "/sip-status",
                    {**WITH_KEY, "Content-Type": "application/x-www-form-urlencoded"},
                    data=form_chunks())
    assert response.status_code == 413
    assert redis_client.dbsize() == 0


def test_a_chunked_body_within_the_limit_is_read_whole(router_service, redis_client):
    response = post(router_service, "/sip-status",
                    {**WITH_KEY, "Content-Type": "application/json"}, data=chunks(1000))
    assert response.status_code == 200
    entry = redis_client.xrange("burki:sip:events:status")[0][1]
    assert len(json.loads(entry["payload"])["pad"]) == 1000


def test_a_form_with_too_many_parts_is_413_json(router_service, redis_client):
    fields = {f"F{n}": "x" for n in range(201)}
    urlencoded = post(router_service, "/sip-webhook", WITH_KEY, data=fields)
    multipart = post(router_service, "/sip-webhook", WITH_KEY,
                     files={name: (None, value) for name, value in fields.items()})
    assert urlencoded.status_code == multipart.status_code == 413
    assert urlencoded.json()["error"] and multipart.json()["error"]
    assert redis_client.dbsize() == 0


@pytest.mark.parametrize(("forwarded", "status"), [
    (BRIDGE, 200),                       # the router appended the bridge's address
    (None, 403),                         # no header: the peer (127.0.0.1) is not allowed
    (f"{BRIDGE}, 198.51.100.7", 403),    # a caller wrote the allowed address in first
])
def test_the_client_address_is_the_one_the_router_appended(router_service, forwarded, status):
    headers = {"Authorization": f"Bearer {CANARY_KEY}"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    response = post(router_service, "/sip-status", headers,
                    json={"call_sid": "CA1", "status": "ringing"})
    assert response.status_code == status
    assert "error" in response.json() or status == 200


def test_without_a_key_it_is_401_json_and_nothing_is_written(router_service, redis_client):
    response = post(router_service, "/sip-prewarm",
                    {**VIA_ROUTER, "Authorization": "Bearer canary-wrong-key-0a9b8c7d"},
                    json={"call_sid": "CA1", "from_number": CANARY_PHONE})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"error": "invalid API key"}
    assert redis_client.dbsize() == 0


def test_signed_deliveries_pass_once_and_old_ones_are_refused(router_service, redis_client):
    body = json.dumps({"call_sid": "CA1", "status": "ringing", "from": CANARY_PHONE}).encode()
    signed = {**VIA_ROUTER, **signed_headers(body, secret=CANARY_SECRET, msg_id="msg_gunicorn"),
              "Content-Type": "application/json"}
    first = post(router_service, "/sip-status", signed, data=body)
    replay = post(router_service, "/sip-status", signed, data=body)
    stale = {**VIA_ROUTER, "Content-Type": "application/json",
             **signed_headers(body, secret=CANARY_SECRET, timestamp=int(time.time()) - 600)}
    old = post(router_service, "/sip-status", stale, data=body)
    assert first.status_code == replay.status_code == 200
    assert replay.json().get("duplicate") is True
    assert old.status_code == 401 and "too old" in old.json()["error"]
    assert redis_client.xlen("burki:sip:events:status") == 1


def test_no_canary_reaches_gunicorn_output(router_service):
    output = router_service.stop()
    assert "refused POST /sip-prewarm from 203.0.113.5: invalid API key" in output
    for canary in (CANARY_KEY, CANARY_SECRET, CANARY_SECRET.removeprefix("whsec_"), CANARY_PHONE,
                   CANARY_PHONE[3:], "canary-wrong-key-0a9b8c7d"):
        assert canary not in output


def test_forwarded_for_is_ignored_without_trusted_proxies(module_redis_server):
    service = Gunicorn(module_redis_server.url, workers=2,
                       SIP_ALLOWED_IPS="203.0.113.0/24").start()
    try:
        response = post(service, "/sip-status", VIA_ROUTER,
                        json={"call_sid": "CA1", "status": "ringing"})
    finally:
        output = service.stop()
    assert response.status_code == 403
    assert response.json() == {"error": "client address 127.0.0.1 is not allowed"}
    # No key configured: each worker's app said so when it started.
    assert output.count("every SIP route accepts any request") == 2
