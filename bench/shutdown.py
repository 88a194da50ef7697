"""SIGTERM under load, as a deploy does it: what was on its way, and how long the master took.

    .venv/bin/python bench/shutdown.py

Two cases, each on a fresh service (gunicorn.conf.py's settings, 2 workers): 32 keep-alive
clients sending prewarms back to back, SIGTERM to the master after 1,000 answers; and 20
prewarms held back by their last byte at the signal, sent after it. Printed: requests sent
before the signal, how many were answered 200 and stored, how many failed, the failures after
the signal (refused connections), and the seconds from the signal to the master's exit. Another
worker class is gunicorn's own setting: ``GUNICORN_CMD_ARGS="--worker-class sync"``.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from drain_support import SteadyLoad, finish_held_back, held_back_requests  # noqa: E402
from support import Gunicorn, RedisServer, wait_until, worker_pids  # noqa: E402


def stored_count(client, call_sids) -> int:
    with client.pipeline(transaction=False) as pipe:
        for call_sid in call_sids:
            pipe.exists(f"burki:sip:call:{{{call_sid}}}:context")
        return sum(pipe.execute())


def booted(redis_url: str) -> Gunicorn:
    service = Gunicorn(redis_url, workers=2).start()
    wait_until(lambda: len(worker_pids(service.process.pid)) == 2, what="workers")
    time.sleep(1.0)
    return service


def steady(redis: RedisServer) -> dict:
    service = booted(redis.url)
    try:
        load = SteadyLoad(service.port, clients=32)
        load.wait_for(1000)
        load.signal(service.process.pid, signal.SIGTERM)
        service.process.wait(timeout=30)
        exit_s = time.monotonic() - load.signalled_at
        records = load.finish()
    finally:
        service.stop()
    before = load.before_signal()
    ok = [sent.call_sid for sent in records if sent.status == 200]
    return {"sent_before_signal": len(before),
            "answered_200_before": sum(sent.status == 200 for sent in before),
            "failed_before": sum(sent.status != 200 for sent in before),
            "answered_200_total": len(ok), "stored": stored_count(redis.client(), ok),
            "failed_after_signal": sum(sent.status is None for sent in records) -
            sum(sent.status is None for sent in before), "master_exit_s": round(exit_s, 2)}


def held_back(redis: RedisServer) -> dict:
    service = booted(redis.url)
    try:
        held = held_back_requests(service.port, 20)
        time.sleep(0.2)
        signalled = time.monotonic()
        service.process.send_signal(signal.SIGTERM)
        statuses = finish_held_back(held)
        service.process.wait(timeout=30)
        exit_s = time.monotonic() - signalled
    finally:
        service.stop()
    return {"held_back": 20, "answered_200": statuses.count(200),
            "stored": stored_count(redis.client(), [f"held-{n}" for n in range(20)]),
            "master_exit_s": round(exit_s, 2)}


def main() -> None:
    redis = RedisServer().start()
    try:
        print("steady load, 32 keep-alive clients:", steady(redis))
        redis.client().flushall()
        print("20 requests held back by their last byte:", held_back(redis))
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
