"""``make bench``: a private redis-server, the service as the Procfile runs it, wrk, one table.

Settings (environment): BENCH_SECONDS per run (5), BENCH_ROUNDS (5), BENCH_CONNECTIONS (64),
BENCH_THREADS of wrk (1), BENCH_COUNT requests per scenario for the Redis counters (1200),
BENCH_MEMORY_CALLS prewarms for the memory figure (10000), BENCH_HANDOFFS per handoff
measurement (200, bench/handoff.py), BENCH_SCENARIOS (all; the no-op floor always runs, the
handoff when the list names it), WEB_CONCURRENCY (gunicorn.conf.py's default unless set), and
GUNICORN_CMD_ARGS to try other gunicorn settings (gunicorn reads it over gunicorn.conf.py).

The "peer" scenario is the same prewarm sent to bench/peer/app.py (FastAPI + pydantic v2 +
redis.asyncio under uvicorn with uvloop and httptools, as many workers as the service), on the
same redis-server, in the same interleaved rounds; PEER_PYTHON names its interpreter
(.venv-peer/bin/python, which `make bench` installs). Every run also reads the server's CPU
(utime + stime of master and workers, /proc/<pid>/stat) before and after.
"""

from __future__ import annotations

import dataclasses
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

import cpu  # noqa: E402
import handoff  # noqa: E402
from clients import requests_for, seed_body, send_all  # noqa: E402
from loadgen import SCENARIOS, run_wrk  # noqa: E402
from redisstats import (delta, memory_usage, snapshot, snapshot_overhead,  # noqa: E402
                        used_memory, wait_idle)
from peer_server import Peer, peer_python, service_workers  # noqa: E402
from report import peer_comparison, peer_table, rounds_table, summarise, table  # noqa: E402
from support import Gunicorn, RedisServer, port_open  # noqa: E402

API_KEY = "bench-key"
BENCH_APP = "bench.app:bench_app()"
SEED_CALL_SID = "sip-20260430-abc123"
PACKAGES = ("flask", "werkzeug", "gunicorn", "marshmallow", "redis")
PEER_PACKAGES = ("fastapi", "pydantic", "uvicorn", "uvloop", "httptools", "redis")
PEER = "peer"


def setting(name: str, default: int) -> int:
    """An integer benchmark setting from the environment."""
    return int(os.environ.get(name, default))


def scenarios() -> list[str]:
    """The scenarios to run: BENCH_SCENARIOS (comma-separated) or all; the floor always first."""
    chosen = os.environ.get("BENCH_SCENARIOS", ",".join(SCENARIOS)).split(",")
    return ["noop"] + [name for name in SCENARIOS if name in chosen and name != "noop"]


def measured(url: str, pid: int, scenario: str, **options):
    """One wrk run, with the server's CPU (the tree under ``pid``) read before and after."""
    before = cpu.sample(pid)
    result = run_wrk(url, scenario, **options)
    return dataclasses.replace(result, server_cpu_s=cpu.spent_seconds(before, cpu.sample(pid)))


def throughput(targets: dict, rounds: int, seconds: int) -> list[dict]:
    """Every scenario once per round, interleaved (A B A B), after a short warm-up of each.

    ``targets``: scenario -> (base URL, PID of the server's master).
    """
    options = {"connections": setting("BENCH_CONNECTIONS", 64),
               "threads": setting("BENCH_THREADS", 1), "api_key": API_KEY}
    for scenario, (url, _) in targets.items():
        run_wrk(url, scenario, seconds=1, tag="w", **options)
    results = []
    for number in range(rounds):
        results.append({scenario: measured(url, pid, scenario, seconds=seconds, tag=f"r{number}",
                                           **options)
                        for scenario, (url, pid) in targets.items()})
        print(f"round {number + 1}: " + ", ".join(f"{name} {run.rate:.0f}/s"
                                                  for name, run in results[-1].items()),
              flush=True)
    return results


def count_commands(targets: dict, client, count: int) -> dict:
    """Per scenario: Redis commands and round trips for exactly ``count`` requests."""
    counted = {}
    for scenario, (url, _) in targets.items():
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
    """Bytes per prewarmed call: ``MEMORY USAGE`` of the example's key, and ``used_memory`` growth."""
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


def same_context(client, service_url: str, peer_url: str) -> None:
    """The service and the peer store the same value for the example prewarm (but its time)."""
    stored = {}
    for name, url in (("service", service_url), ("peer", peer_url)):
        call_sid = f"sip-same-{name}"
        codes = send_all(url, [("/sip-prewarm", seed_body(call_sid))], API_KEY)
        value = json.loads(client.get(f"burki:sip:call:{{{call_sid}}}:context"))
        if codes != [200] or not value.pop("prewarmed_at"):
            raise RuntimeError(f"{name}: prewarm answered {codes}, stored {value}")
        stored[name] = {**value, "call_sid": "seed"}
        ttl = client.ttl(f"burki:sip:call:{{{call_sid}}}:context")
        if not 0 < ttl <= 300:
            raise RuntimeError(f"{name}: context TTL {ttl}")
    if stored["service"] != stored["peer"] or list(stored["service"]) != list(stored["peer"]):
        raise RuntimeError(f"the peer stores another context: {stored}")


def peer_versions() -> dict:
    """The peer's package versions, from its own interpreter."""
    code = ("import json; from importlib import metadata; "
            f"print(json.dumps({{n: metadata.version(n) for n in {PEER_PACKAGES!r}}}))")
    return json.loads(subprocess.run([str(peer_python()), "-c", code], capture_output=True,
                                     text=True, check=True).stdout)


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
    chosen = scenarios()
    server = RedisServer().start()
    # As the Procfile runs it (gunicorn.conf.py's settings), with the floors added (bench/app.py).
    service = Gunicorn(server.url, workers=None, app=BENCH_APP, SIP_BRIDGE_API_KEY=API_KEY)
    peer = Peer(server.url, service_workers(), API_KEY) if PEER in chosen else None
    peer_log = ""
    try:
        for port in (service.port, peer.port if peer else None):
            if port and port_open(port):
                raise RuntimeError(f"port {port} is taken")
        service.start()
        targets = {name: (service.url, service.process.pid) for name in chosen if name != PEER}
        client = server.client()
        if peer:
            peer.start()
            targets[PEER] = (peer.url, peer.pid)
            same_context(client, service.url, peer.url)
        rounds = throughput(targets, setting("BENCH_ROUNDS", 5), setting("BENCH_SECONDS", 5))
        counted = count_commands(targets, client, setting("BENCH_COUNT", 1200))
        mem = memory(service.url, client, setting("BENCH_MEMORY_CALLS", 10_000))
        results_handoff = handoff.run(service.url, server, API_KEY) if handoff.wanted() else None
    finally:
        if peer:
            peer_log = peer.stop()
        log = service.stop()
        server.stop()
    rows = summarise(rounds, counted)
    results = {"machine": machine(), "rows": rows, "counters": counted, "memory": mem}
    print("\n" + table(rows) + "\n\n" + rounds_table(rows) + "\n")
    if results_handoff:
        results["handoff"] = results_handoff
        print(handoff.table(results_handoff) + "\n")
    if peer and "prewarm" in chosen:
        results["peer"] = peer_comparison(rounds)
        results["peer_machine"] = {"workers": peer.workers, **peer_versions()}
        print(peer_table(results["peer"]) + "\n")
        print(json.dumps({"peer": results["peer_machine"]}))
    print(json.dumps({"memory": mem, "machine": results["machine"]}, indent=2))
    out = ROOT / ".bench" / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    (ROOT / ".bench" / "gunicorn.log").write_text(log)
    (ROOT / ".bench" / "peer.log").write_text(peer_log)
    print(f"raw figures: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
