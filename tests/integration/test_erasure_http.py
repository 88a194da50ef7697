"""``POST /sip-erasures`` through gunicorn under every worker class: the erasure's thread runs
beside the request (a greenlet under gevent) and the answer is its result."""

import pytest
import requests

from conftest import EVERY_WORKER_CLASS
from erasure_support import dump, text_of
from support import SEED_PREWARM

pytestmark = pytest.mark.integration

NUMBER = SEED_PREWARM["from_number"]


@EVERY_WORKER_CLASS
def test_an_erasure_over_http_erases_and_answers_its_result(service, own_redis_server):
    requests.post(f"{service.url}/sip-prewarm", json=SEED_PREWARM, timeout=5).raise_for_status()
    requests.post(f"{service.url}/sip-status", timeout=5, data={
        "CallSid": "CA1", "From": NUMBER, "CallStatus": "ringing"}).raise_for_status()

    answer = requests.post(f"{service.url}/sip-erasures", json={"numbers": [NUMBER]}, timeout=30)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["state"], result["calls"]) == ("finished", 2)
    assert requests.get(f"{service.url}/sip-erasures/{result['id']}", timeout=5).json() == result
    assert NUMBER[2:] not in text_of(dump(own_redis_server.client()))
