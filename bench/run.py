"""``make bench``: a private redis-server, the service as the Procfile runs it, wrk, one table.

Settings (environment): BENCH_SECONDS per run (5), BENCH_ROUNDS (5), BENCH_CONNECTIONS (64),
BENCH_THREADS of wrk (1), BENCH_COUNT requests per scenario for the Redis counters (1200),
BENCH_MEMORY_CALLS prewarms for the memory figure (10000), BENCH_SCENARIOS (all; the no-op
floor always runs), WEB_CONCURRENCY (gunicorn.conf.py's default unless set), and
GUNICORN_CMD_ARGS to try other gunicorn settings (gunicorn reads it over gunicorn.conf.py).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from clients import requests_for, seed_body, send_all  # noqa: E402
from loadgen import SCENARIOS, run_wrk  # noqa: E402
from redisstats import (delta, memory_usage, snapshot, snapshot_overhead,  # noqa: E402
                        used_memory, wait_idle)
from report import rounds_table, summarise, table  # noqa: E402
from support import Gunicorn, RedisServer  # noqa: E402

API_KEY = "bench-key"
SEED_CALL_SID = "sip-20260430-abc123"
PACKAGES = ("flask", "werkzeug", "gunicorn", "marshmallow", "redis")


def setting(name: str, default: int) -> int:
    """An integer benchmark setting from the environment."""
    return int(os.environ.get(name, default))


def scenarios() -> list[str]:
    """The scenarios to run: BENCH_SCENARIOS (comma-separated) or all; the floor always first."""
    chosen = os.environ.get("BENCH_SCENARIOS", ",".join(SCENARIOS)).split(",")
    return ["noop"] + [name for name in SCENARIOS if name in chosen and name != "noop"]


def throughput(url: str, rounds: int, seconds: int) -> list[dict]:
    """Every scenario once per round, interleaved (A B A B), after a short warm-up of each."""
    options = {"connections": setting("BENCH_CONNECTIONS", 64),
               "threads": setting("BENCH_THREADS", 1), "api_key": API_KEY}
    for scenario in scenarios():
        run_wrk(url, scenario, seconds=1, tag="w", **options)
    results = []
    for number in range(rounds):
        results.append({scenario: run_wrk(url, scenario, seconds=seconds, tag=f"r{number}",
                                          **options) for scenario in scenarios()})
        print(f"round {number + 1}: " + ", ".join(f"{name} {run.rate:.0f}/s"
                                                  for name, run in results[-1].items()),
              flush=True)
    return results


def count_commands(url: str, client, count: int) -> dict:
    """Per scenario: Redis commands and round trips for exactly ``count`` requests."""
    counted = {}
    for scenario in scenarios():
        send_all(url, requests_for(scenario, 6, f"cw{scenario}"), API_KEY)  # connect, load scripts
        batch = requests_for(scenario, count, f"c{scenario}")
        wait_idle(client)
        overhead = snapshot_overhead(client)
        before = snapshot(client)
        codes = send_all(url, batch, API_KEY)
        spent = delta(before, snapshot(client), overhead)
        counted[scenario] = {
            "non_2xx": sum(1 for code in codes if not 200 <= code < 300),
            "commands_per_request": spent.commands / count,
            "round_trips_per_request": spent.reads / count,
            "breakdown": " ".join(f"{name}×{calls / count:g}"
                                  for name, calls in sorted(spent.calls.items())),
        }
    return counted


def memory(url: str, client, calls: int) -> dict:
    """Bytes per prewarmed call: ``MEMORY USAGE`` of the seed's key, and ``used_memory`` growth."""
    wait_idle(client)
    client.flushall()
    before = used_memory(client)
    codes = send_all(url, [("/sip-prewarm", seed_body(f"sip-20260430-{n:06d}"))
                           for n in range(calls)], API_KEY, clients=8)
    grown = used_memory(client) - before
    send_all(url, [("/sip-prewarm", seed_body(SEED_CALL_SID))], API_KEY)
    key = f"burki:sip:call:{{{SEED_CALL_SID}}}:context"
    return {"calls": calls, "non_2xx": sum(1 for code in codes if code != 200),
            "used_memory_per_call": grown / calls, "memory_usage_seed_key": memory_usage(client, key),
            "value_bytes": client.strlen(key), "key_bytes": len(key)}


def machine() -> dict:
    """What the figures were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
                .splitlines() if line.startswith("model name")), platform.processor())
    versions = {name: subprocess.run(command, capture_output=True, text=True).stdout.strip()
                for name, command in {"wrk": ["wrk", "--version"],
                                      "redis": ["redis-server", "--version"]}.items()}
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "kernel": platform.release(), "wrk": versions["wrk"].splitlines()[0].split(" [")[0],
            "redis_server": versions["redis"].split()[2].removeprefix("v="),
            **{name: metadata.version(name) for name in PACKAGES},
            "web_concurrency": os.environ.get("WEB_CONCURRENCY", "gunicorn.conf.py default"),
            "gunicorn_cmd_args": os.environ.get("GUNICORN_CMD_ARGS", "")}


def main() -> None:
    """Start everything, measure, print the tables, save the raw figures in .bench/."""
    server = RedisServer().start()
    service = Gunicorn(server.url, workers=None, SIP_BENCH_NOOP="true",  # as the Procfile runs it
                       SIP_BRIDGE_API_KEY=API_KEY)
    try:
        service.start()
        client = server.client()
        rounds = throughput(service.url, setting("BENCH_ROUNDS", 5), setting("BENCH_SECONDS", 5))
        counted = count_commands(service.url, client, setting("BENCH_COUNT", 1200))
        mem = memory(service.url, client, setting("BENCH_MEMORY_CALLS", 10_000))
    finally:
        log = service.stop()
        server.stop()
    rows = summarise(rounds, counted)
    results = {"machine": machine(), "rows": rows, "counters": counted, "memory": mem}
    print("\n" + table(rows) + "\n\n" + rounds_table(rows) + "\n")
    print(json.dumps({"memory": mem, "machine": results["machine"]}, indent=2))
    out = ROOT / ".bench" / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    (ROOT / ".bench" / "gunicorn.log").write_text(log)
    print(f"raw figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
