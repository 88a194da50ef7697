"""What arrives broken over real gunicorn: malformed HTTP answered by gunicorn, cut bodies refused,
and slow clients that do not hold up others. Raw sockets, under each stock worker class."""

import json
import time

import pytest
import requests

from conftest import EVERY_WORKER_CLASS
from rawhttp import Connection, answer_to, request_bytes

pytestmark = pytest.mark.integration

STATUS_FORM = b"CallSid=CA-cut&CallStatus=completed&CallDuration=125"
CHUNKED_PREWARM = (b"POST /sip-prewarm HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"e\r\n{\"call_sid\": \"\r\n9\r\nchunk-1\"}\r\n0\r\n\r\n")


MALFORMED = [
    (b"NOT HTTP AT ALL\r\n\r\n", 400),
    (b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"x" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n", 431),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
]
# A body whose chunked framing breaks after a sound head: the app is reading it by then.
BAD_CHUNK = (b"POST /sip-prewarm HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Transfer-Encoding: chunked\r\n\r\nzz\r\n")


def assert_json_error(answer, status):
    assert answer is not None and answer.status == status, answer
    assert answer.headers["content-type"].startswith("application/json"), answer
    assert answer.json()["error"], answer


@EVERY_WORKER_CLASS
def test_malformed_http_is_answered_by_gunicorn_and_reaches_no_route(service, own_redis_server):
    # gunicorn answers these itself, before the app, with its own (HTML) page: docs/deploy.md.
    for raw, status in MALFORMED:
        answer = answer_to(service.port, raw, half_close=True)
        assert answer is not None and answer.status == status, answer
        assert answer.closes, answer
    assert_json_error(answer_to(service.port, BAD_CHUNK, half_close=True), 400)
    assert own_redis_server.client().dbsize() == 0


@EVERY_WORKER_CLASS
def test_body_shorter_than_its_length_is_refused_and_its_retry_is_not_a_duplicate(
        service, own_redis_server):
    whole = request_bytes("/sip-status", STATUS_FORM, "application/x-www-form-urlencoded",
                          {"Idempotency-Key": "delivery-cut"})

    cut = answer_to(service.port, whole[:-1], half_close=True)  # the client stops a byte short
    client = own_redis_server.client()
    assert cut is None or (cut.status == 400 and "incomplete" in cut.json()["error"])
    assert client.xlen("burki:sip:events:status") == 0
    assert client.exists("burki:sip:call:{CA-cut}:status") == 0

    retry = answer_to(service.port, whole)
    assert retry.status == 200 and "duplicate" not in retry.json(), retry
    assert client.hget("burki:sip:call:{CA-cut}:status", "duration") == "125"


@EVERY_WORKER_CLASS
def test_chunked_body_cut_before_its_last_chunk_is_refused(service, own_redis_server):
    # Cut before the last (empty) chunk, and in the middle of a chunk.
    for cut_at in (len(CHUNKED_PREWARM) - 5, len(CHUNKED_PREWARM) - 12):
        answer = answer_to(service.port, CHUNKED_PREWARM[:cut_at], half_close=True)
        assert answer is None or (answer.status == 400 and "incomplete" in answer.json()["error"])
        assert own_redis_server.client().exists("burki:sip:call:{chunk-1}:context") == 0
    whole = answer_to(service.port, CHUNKED_PREWARM)
    assert whole.status == 200 and whole.json() == {"call_sid": "chunk-1", "prewarmed": True}


def test_slow_clients_do_not_hold_up_other_requests(service):
    # The default worker class: 200 connections that have sent only part of their headers
    # (a slow client, or one that went silent) leave the service answering everyone else.
    slow = [Connection(service.port) for _ in range(200)]
    try:
        for connection in slow:
            connection.send(b"POST /sip-prewarm HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        time.sleep(0.3)
        answers = [requests.post(f"{service.url}/sip-prewarm", json={"call_sid": f"fast-{n}"},
                                 timeout=5) for n in range(20)]
    finally:
        for connection in slow:
            connection.close()
    assert [answer.status_code for answer in answers] == [200] * 20
    assert all(json.loads(answer.text)["prewarmed"] for answer in answers)
