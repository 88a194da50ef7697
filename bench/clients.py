"""Exact numbers of requests from Python, for the counters and memory phases (not for throughput)."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor

import requests
from support import SEED_PREWARM  # tests/support.py (run.py puts tests/ on the path)

WALK = ("ringing", "in-progress", "completed")


def seed_body(call_sid: str) -> dict:
    """The contract's example prewarm body (docs/contract.md) for ``call_sid``."""
    return {**copy.deepcopy(SEED_PREWARM), "call_sid": call_sid}


def requests_for(scenario: str, count: int, tag: str) -> list[tuple[str, dict]]:
    """``count`` (path, body) pairs of a scenario, the same bodies the wrk scripts send."""
    if scenario == "noop":
        return [("/bench/noop", seed_body(f"sip-{tag}-{n:07d}")) for n in range(count)]
    if scenario == "noop+set":
        return [("/bench/set", seed_body(f"sip-{tag}-{n:07d}")) for n in range(count)]
    if scenario in ("prewarm", "peer"):  # the peer serves the same route
        return [("/sip-prewarm", seed_body(f"sip-{tag}-{n:07d}")) for n in range(count)]
    if scenario == "webhook":
        return [("/sip-webhook", {"event": "inbound_call", "call_sid": f"sip-{tag}-{n:07d}",
                                  "from": "+15559876543", "to": "+15551234567"})
                for n in range(count)]
    if scenario == "status":
        return [("/sip-status", {"call_sid": f"sip-{tag}-{n // 3:07d}", "status": WALK[n % 3]})
                for n in range(count)]
    raise ValueError(f"unknown scenario {scenario!r}")


def send_all(base_url: str, batch: list[tuple[str, dict]], api_key: str = "",
             clients: int = 1) -> list[int]:
    """POST every (path, body) of ``batch`` and return the status codes, in order.

    With ``clients`` > 1 the batch is split among that many sessions, each sending in order.
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def send(part):
        with requests.Session() as session:
            return [session.post(base_url + path, json=body, headers=headers, timeout=10).status_code
                    for path, body in part]

    parts = [batch[start::clients] for start in range(clients)]
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(send, parts))
    codes = [0] * len(batch)
    for start, part_codes in enumerate(results):
        codes[start::clients] = part_codes
    return codes
