"""Property-based API test: schemathesis generates requests from /openapi.json and checks answers.

It runs in-process (WSGI) on a fake Redis, with a bounded number of examples per operation and a
fixed seed, so it is quick and gives the same cases on every run.
"""

import schemathesis
from fakeredis import FakeRedis, FakeServer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from burki_sip import create_app

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


# Built at import: schemathesis's fixture-based loader does not run on this pytest (9.2), so the
# app and its fake Redis are module-level. Every case writes to that one fake server.
app = create_app({"TESTING": False, "LOG_LEVEL": "WARNING"},
                 redis_client=FakeRedis(server=FakeServer(), decode_responses=True))
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_answers_match_the_document(case):
    body = case.body if isinstance(case.body, dict) else {}
    if isinstance(body.get("wait"), (int, float)) and not isinstance(body["wait"], bool):
        # A claim's wait (up to 10 s) is real time; its answers are the same after 10 ms
        # (tests/test_claim_wait.py tests the waiting).
        body["wait"] = min(body["wait"], 0.01)
    case.call_and_validate(checks=CHECKS)
