"""``POST`` and ``DELETE /sip-prewarm/<call_sid>/claim``, the status timeline and ``burki-sip call``."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from burki_sip import create_app
from security_support import KEY, snapshot


@pytest.fixture
def prewarmed(client):
    """The test client, with call c1 prewarmed."""
    assert client.post("/sip-prewarm", json={"call_sid": "c1", "agenda": "a"}).status_code == 200
    return client


def test_the_first_claim_gets_the_context_and_a_token(prewarmed):
    answer = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"})

    assert answer.status_code == 200
    body = answer.get_json()
    assert set(body) == {"call_sid", "context", "token", "owner", "claimed_at", "waited_ms"}
    assert body["waited_ms"] == 0
    assert (body["call_sid"], body["context"]["agenda"], body["owner"]) == ("c1", "a", "stream-a")


def test_another_owner_gets_409_with_who_and_when(prewarmed):
    first = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"}).get_json()
    answer = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-b"})

    assert answer.status_code == 409
    assert answer.get_json() == {"error": "call c1 is already claimed", "owner": "stream-a",
                                 "claimed_at": first["claimed_at"], "waited_ms": 0}


def test_the_same_owner_gets_the_same_claim_again(prewarmed):
    first = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"})
    again = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"})
    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_a_claim_without_a_body_is_one_of_its_own(prewarmed):
    first = prewarmed.post("/sip-prewarm/c1/claim")
    second = prewarmed.post("/sip-prewarm/c1/claim", data=b"", content_type="application/json")
    assert first.status_code == 200 and first.get_json()["owner"].startswith("anonymous-")
    assert second.status_code == 409


@pytest.mark.parametrize("call_sid", ["never", "c1"])
def test_a_missing_context_is_404_json(prewarmed, fake_redis, call_sid):
    fake_redis.pexpire("burki:sip:call:{c1}:context", 0)  # c1 was prewarmed, and has expired
    answer = prewarmed.post(f"/sip-prewarm/{call_sid}/claim", json={"owner": "stream-a"})

    assert answer.status_code == 404
    assert answer.get_json() == {
        "error": f"no context for call {call_sid} (never prewarmed, or expired)"}


@pytest.mark.parametrize(("kwargs", "status", "error"), [
    ({"json": {"owner": ""}}, 400, "invalid field: owner"),
    ({"json": {"owner": "x" * 129}}, 400, "invalid field: owner"),
    ({"json": {"owner": 5}}, 400, "invalid field: owner"),
    ({"json": {"owner": "a", "ownr": "b"}}, 400, "invalid field: ownr"),
    ({"json": {"wait": 10.5}}, 400, "invalid field: wait"),
    ({"json": {"wait": -1}}, 400, "invalid field: wait"),
    ({"json": {"wait": "soon"}}, 400, "invalid field: wait"),
    ({"json": ["stream-a"]}, 400, "request body must be a JSON object"),
    ({"data": "owner=a", "content_type": "application/x-www-form-urlencoded"}, 415,
     "expected a JSON body (Content-Type: application/json)"),
])
def test_a_bad_claim_body_is_refused_and_claims_nothing(prewarmed, fake_redis, kwargs, status,
                                                        error):
    answer = prewarmed.post("/sip-prewarm/c1/claim", **kwargs)
    assert (answer.status_code, answer.get_json()["error"]) == (status, error)
    assert prewarmed.get("/sip-prewarm/c1").get_json()["claimed"] is False


@pytest.mark.parametrize("body", [{"wait": 5}, {"wait": 0.001}])
def test_a_waiting_claim_without_an_owner_is_refused_and_claims_nothing(prewarmed, body):
    # Its client may give up before the answer: an owner of its own could never claim it again.
    answer = prewarmed.post("/sip-prewarm/c1/claim", json=body)

    assert answer.status_code == 400
    assert answer.get_json() == {"error": "invalid field: owner", "fields": {"owner": [
        "owner required with a wait above 0: a claim whose answer was lost can only be claimed "
        "again or released by its owner"]}}
    assert prewarmed.get("/sip-prewarm/c1").get_json()["claimed"] is False
    assert prewarmed.post("/sip-prewarm/c1/claim", json={"wait": 0}).status_code == 200


def test_a_wait_above_the_limit_says_the_limit(client):
    answer = client.post("/sip-prewarm/c1/claim", json={"wait": 11})
    assert answer.get_json()["fields"] == {"wait": ["wait must be 0 to 10 seconds"]}


def test_a_claim_waits_for_a_prewarm_and_says_how_long(client, runner):
    threading.Timer(0.2, client.post, ("/sip-prewarm",), {"json": {"call_sid": "c9"}}).start()
    answer = client.post("/sip-prewarm/c9/claim", json={"owner": "stream-a", "wait": 5})

    assert answer.status_code == 200 and 150 < answer.get_json()["waited_ms"] < 2000
    status = client.get("/sip-status/c9").get_json()
    assert status["claim_waited_ms"] == answer.get_json()["waited_ms"]
    waited = status["claim_waited_ms"]
    assert status["handoff"] == f"context arrived {waited} ms after the stream asked"
    output = runner.invoke(args=["call", "c9"]).output
    assert f"    handoff: context arrived {waited} ms after the stream asked\n" in output
    missing = client.post("/sip-prewarm/c8/claim", json={"owner": "stream-b", "wait": 0.2})
    assert missing.status_code == 404
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'burki_sip_claim_wait_seconds_count{outcome="claimed"}' in metrics
    assert 'burki_sip_claim_wait_seconds_count{outcome="missing"}' in metrics


def test_release_with_the_token_lets_another_owner_claim(prewarmed):
    token = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"}).get_json()["token"]

    wrong = prewarmed.delete("/sip-prewarm/c1/claim", json={"token": "not-it"})
    right = prewarmed.delete("/sip-prewarm/c1/claim", json={"token": token})
    assert wrong.get_json() == {"call_sid": "c1", "released": False}
    assert right.status_code == 200 and right.get_json() == {"call_sid": "c1", "released": True}
    assert prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-b"}).status_code == 200


def test_release_needs_a_token(prewarmed):
    assert prewarmed.delete("/sip-prewarm/c1/claim").status_code == 415
    answer = prewarmed.delete("/sip-prewarm/c1/claim", json={})
    assert (answer.status_code, answer.get_json()["error"]) == (400, "invalid field: token")


def test_the_claim_shows_in_the_status_timeline_and_in_burki_sip_call(prewarmed, runner):
    prewarmed.post("/sip-status", json={"call_sid": "c1", "status": "ringing"})
    claim = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"}).get_json()

    status = prewarmed.get("/sip-status/c1").get_json()
    assert status["timeline"]["claimed"] == claim["claimed_at"]
    assert status["claimed_by"] == "stream-a" and claim["token"] not in json.dumps(status)
    output = runner.invoke(args=["call", "c1"]).output
    assert "claimed by stream-a):" in output
    assert f"    {claim['claimed_at']}  claimed" in output.splitlines()


def test_a_claim_before_any_callback_gives_the_call_a_status_view(prewarmed, runner):
    prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"})

    status = prewarmed.get("/sip-status/c1").get_json()
    assert status["status"] is None and list(status["timeline"]) == ["claimed"]
    assert "  status: none yet (kept " in runner.invoke(args=["call", "c1"]).output


@pytest.fixture
def secured(fake_redis):
    """The app with an inbound key configured."""
    return create_app({"TESTING": True, "SIP_INBOUND_API_KEYS": KEY},
                      redis_client=fake_redis).test_client()


@pytest.mark.parametrize(("method", "past_the_guard"), [("post", 400), ("delete", 200)])
def test_the_claim_routes_refuse_a_missing_key_and_touch_nothing(secured, fake_redis, method,
                                                                 past_the_guard):
    fake_redis.set("burki:sip:call:{c1}:context", "{}")
    before = snapshot(fake_redis)
    answer = getattr(secured, method)("/sip-prewarm/c1/claim", json={"token": "t"})
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    assert snapshot(fake_redis) == before
    with_key = getattr(secured, method)("/sip-prewarm/c1/claim", json={"token": "t"},
                                        headers={"X-API-Key": KEY})
    assert with_key.status_code == past_the_guard  # a claim takes no token field: 400


def test_every_route_under_the_sip_paths_is_guarded(secured):
    """Not a hand-kept list: each rule of the app whose path starts /sip- is asked, keyless."""
    app = secured.application
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/sip-")]
    assert {"sip.claim", "sip.release"} <= {rule.endpoint for rule in rules}
    for rule in rules:
        path = rule.rule.replace("<call_sid>", "c1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert secured.open(path, method=method).status_code == 401, (method, rule.rule)


def test_the_document_describes_both_routes_with_their_security(client):
    document = client.get("/openapi.json").get_json()
    operations = document["paths"]["/sip-prewarm/{call_sid}/claim"]
    assert set(operations) == {"parameters", "post", "delete"}  # the path's own parameters
    assert operations["post"]["requestBody"]["required"] is False
    assert operations["delete"]["requestBody"]["required"] is True
    assert set(operations["post"]["responses"]) >= {"200", "401", "403", "404", "409"}
    for method in ("post", "delete"):
        assert operations[method]["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    owner = document["components"]["schemas"]["Claim"]["properties"]["owner"]
    assert (owner["minLength"], owner["maxLength"]) == (1, 128)
    wait = document["components"]["schemas"]["Claim"]["properties"]["wait"]
    assert (wait["minimum"], wait["maximum"]) == (0, 10)
    assert "needs an `owner`" in wait["description"]


@pytest.mark.integration
def test_fifty_concurrent_http_claims_give_the_context_to_one(real_redis):
    app = create_app({"TESTING": True}, redis_client=real_redis)
    app.test_client().post("/sip-prewarm", json={"call_sid": "c1"})

    def claim(n):
        return app.test_client().post("/sip-prewarm/c1/claim", json={"owner": f"s{n}"}).status_code

    with ThreadPoolExecutor(50) as pool:
        codes = list(pool.map(claim, range(50)))
    assert sorted(codes) == [200] + [409] * 49


def test_the_access_line_says_what_the_claim_did_and_never_shows_the_token(prewarmed, capsys):
    capsys.readouterr()
    claim = prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-a"}).get_json()
    prewarmed.post("/sip-prewarm/c1/claim", json={"owner": "stream-b"})
    prewarmed.delete("/sip-prewarm/c1/claim", json={"token": claim["token"]})

    output = capsys.readouterr().out
    lines = [json.loads(line) for line in output.splitlines()]
    won, refused, released = [line for line in lines if line["logger"] == "burki_sip.access"]
    assert (won["claim"], won["owner"], won["status"]) == ("claimed", "stream-a", 200)
    assert (refused["claim"], refused["owner"], refused["status"]) == (
        "already_claimed", "stream-a", 409)
    assert released["released"] is True and released["call_sid"] == "c1"
    assert claim["token"] not in output
