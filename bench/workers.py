"""Compare gunicorn settings in one interleaved run: each setting's prewarm against the peer's.

    .venv/bin/python bench/workers.py "" "--workers 3" "--worker-class sync --workers 3" \
        "--worker-class gthread --threads 4"

Each argument is what gunicorn reads from ``GUNICORN_CMD_ARGS`` over gunicorn.conf.py ("" for
gunicorn.conf.py alone). Every round runs wrk's prewarm once against each setting and once against the FastAPI peer
(bench/peer/app.py, the service's default worker count), on one private redis-server; the table
gives each setting's median req/s, p99, server CPU per prewarm and its per-round ratio to the
peer. BENCH_SECONDS (4), BENCH_ROUNDS (3), BENCH_CONNECTIONS (64) as for bench/run.py.
"""

from __future__ import annotations

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from peer_server import Peer, service_workers  # noqa: E402
from run import API_KEY, measured, setting  # noqa: E402
from support import Gunicorn, RedisServer  # noqa: E402


def service_for(spec: str, redis_url: str) -> Gunicorn:
    """gunicorn as the Procfile runs it, with ``spec`` as its command-line arguments."""
    return Gunicorn(redis_url, workers=None, SIP_BRIDGE_API_KEY=API_KEY, GUNICORN_CMD_ARGS=spec)


def main(specs: list[str]) -> None:
    server = RedisServer().start()
    services = {spec or "gunicorn.conf.py": service_for(spec, server.url) for spec in specs}
    peer = Peer(server.url, service_workers(), API_KEY)
    try:
        targets = {spec: (service.start().url, service.process.pid)
                   for spec, service in services.items()}
        targets["peer"] = (peer.start().url, peer.pid)
        options = {"connections": setting("BENCH_CONNECTIONS", 64), "threads": 1,
                   "api_key": API_KEY, "seconds": setting("BENCH_SECONDS", 4)}
        rounds = []
        for number in range(setting("BENCH_ROUNDS", 3)):
            rounds.append({name: measured(url, pid, "prewarm", tag=f"w{number}", **options)
                           for name, (url, pid) in targets.items()})
            print(f"round {number + 1}: " + ", ".join(f"{name} {run.rate:.0f}/s"
                                                      for name, run in rounds[-1].items()))
    finally:
        for service in services.values():
            service.stop()
        peer.stop()
        server.stop()
    print("\n| setting | req/s | × peer | p99 ms | CPU µs/prewarm | non-2xx | socket errors |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in targets:
        runs = [round_[name] for round_ in rounds]
        ratio = statistics.median(round_[name].rate / round_["peer"].rate for round_ in rounds)
        print(f"| {name} | {statistics.median(r.rate for r in runs):.0f} | {ratio:.2f} | "
              f"{statistics.median(r.p99_us for r in runs) / 1000:.1f} | "
              f"{statistics.median(r.cpu_us_per_request for r in runs):.0f} | "
              f"{sum(r.status_errors for r in runs)} | {sum(r.socket_errors for r in runs)} |")


if __name__ == "__main__":
    main(sys.argv[1:] or ["", "--worker-class sync --workers 3"])
