"""The handoff: a prewarm and a claim that waits for it, issued together (``make bench``).

Reports, for the HTTP claim route under the service's gunicorn and for the asyncio library (the
media handler's way): the time from the prewarm's 200 to the claim's answer (p50/p99; negative
when the claim answered first) and Redis commands per handoff. Beside the chosen mechanism
(pub/sub: ``claim(wait=)``) the same figures for short polling with backoff, and what 1,000
claims waiting at once cost each: Redis commands per second, connections, event-loop lag.

BENCH_HANDOFFS handoffs per measurement (200); BENCH_SCENARIOS without ``handoff`` skips it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from burki_sip.calls import CallStore, Keys, open_async_store
from redisstats import delta, snapshot, snapshot_overhead, wait_idle

WAIT = 5.0
POLL_FIRST_S, POLL_CAP_S = 0.005, 0.1


def wanted() -> bool:
    """True unless BENCH_SCENARIOS names scenarios without ``handoff``."""
    return "handoff" in os.environ.get("BENCH_SCENARIOS", "handoff")


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    return {"p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000}


def post_prewarm(url: str, call_sid: str, api_key: str) -> float:
    """The bridge's prewarm; when its 200 arrived."""
    answer = requests.post(f"{url}/sip-prewarm", json={"call_sid": call_sid}, timeout=30,
                           headers={"Authorization": f"Bearer {api_key}"})
    answer.raise_for_status()
    return time.perf_counter()


def http_claim(url: str, call_sid: str, api_key: str) -> float:
    """The HTTP claim, waiting; when its 200 arrived."""
    answer = requests.post(f"{url}/sip-prewarm/{call_sid}/claim",
                           json={"owner": f"bench-{call_sid}", "wait": WAIT}, timeout=30,
                           headers={"Authorization": f"Bearer {api_key}"})
    answer.raise_for_status()
    return time.perf_counter()


def counted(client, run) -> tuple[list[float], dict]:
    """``run()``'s gaps, and the Redis commands it made, by command."""
    wait_idle(client)
    overhead = snapshot_overhead(client)
    before = snapshot(client)
    gaps = run()
    spent = delta(before, snapshot(client), overhead)
    return gaps, spent.calls


def http_handoffs(url: str, api_key: str, count: int, tag: str) -> list[float]:
    """``count`` handoffs over HTTP, one after another: claim and prewarm sent together."""
    gaps = []
    with ThreadPoolExecutor(2) as pool:
        for n in range(count):
            claimed = pool.submit(http_claim, url, f"hh-{tag}-{n}", api_key)
            prewarmed = pool.submit(post_prewarm, url, f"hh-{tag}-{n}", api_key)
            gaps.append(claimed.result() - prewarmed.result())
    return gaps


async def timed(claiming) -> tuple:
    """A claim, and when it answered (stamped as it returns, not when its awaiter resumes)."""
    claim = await claiming
    return claim, time.perf_counter()


async def poll_claim(store, call_sid: str, wait: float):
    """The alternative: claim again and again, 5 ms apart doubling to 100 ms, until the deadline."""
    deadline, pause = time.monotonic() + wait, POLL_FIRST_S
    claim = await store.claim(call_sid)
    while claim.missing and time.monotonic() < deadline:
        await asyncio.sleep(pause)
        pause = min(pause * 2, POLL_CAP_S)
        claim = await store.claim(call_sid)
    return claim


async def library_handoffs(settings: dict, url: str, api_key: str, count: int,
                           polling: bool) -> list[float]:
    """``count`` handoffs by the asyncio library, prewarms over HTTP from a thread."""
    gaps = []
    async with open_async_store(settings) as store:
        for n in range(count):
            call_sid = f"lh-{'p' if polling else 's'}-{n}"
            claiming = asyncio.ensure_future(timed(poll_claim(store, call_sid, WAIT) if polling
                                                   else store.claim(call_sid, wait=WAIT)))
            prewarmed = asyncio.ensure_future(asyncio.to_thread(post_prewarm, url, call_sid,
                                                                api_key))
            claim, answered = await claiming
            assert claim.claimed, claim
            gaps.append(answered - await prewarmed)
    return gaps


def send_prewarms(url: str, api_key: str, schedule: list[tuple[str, float]], out) -> None:
    """In a process of its own (no GIL shared with the waiting loop): each prewarm at its
    ``time.monotonic()`` moment (one clock for all processes), its 200's moment put in ``out``."""
    def send(item: tuple[str, float]) -> tuple[str, float]:
        call_sid, at = item
        time.sleep(max(0.0, at - time.monotonic()))
        post_prewarm(url, call_sid, api_key)
        return call_sid, time.monotonic()

    with ThreadPoolExecutor(16) as pool:
        out.put(dict(pool.map(send, schedule)))


async def late_handoffs(settings: dict, url: str, api_key: str, count: int,
                        polling: bool) -> list[float]:
    """``count`` claims wait at once; each prewarm lands 0 to 1.5 s later (seeded), sent by
    another process; the gap is from its 200 to the claim's answer, on the monotonic clock."""
    delays = random.Random(20).sample(range(1500), count)
    async with open_async_store(settings) as store:
        async def one(call_sid: str) -> tuple:
            claim = await (poll_claim(store, call_sid, WAIT) if polling
                           else store.claim(call_sid, wait=WAIT))
            assert claim.claimed, claim
            return call_sid, time.monotonic()

        sids = [f"late-{'p' if polling else 's'}-{n}" for n in range(count)]
        claims = asyncio.gather(*(one(call_sid) for call_sid in sids))
        await asyncio.sleep(0.2)  # every claim is waiting
        start, out = time.monotonic() + 0.3, multiprocessing.get_context("spawn").Queue()
        sender = multiprocessing.get_context("spawn").Process(target=send_prewarms, args=(
            url, api_key, [(sid, start + delay / 1000) for sid, delay in zip(sids, delays)], out))
        sender.start()
        answered = dict(await claims)
        landed = await asyncio.to_thread(out.get)
        sender.join()
    return [answered[sid] - landed[sid] for sid in sids]


async def lag_ticker(lags: list, stop: asyncio.Event, tick: float = 0.005) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - start - tick)


async def thousand_waiting(settings: dict, client, polling: bool) -> dict:
    """1,000 claims wait 2 s with nothing prewarmed: what the waiting costs."""
    lags, stop = [], asyncio.Event()
    others = len(await asyncio.to_thread(client.client_list))
    async with open_async_store(settings) as store:
        ticking = asyncio.create_task(lag_ticker(lags, stop))
        claims = [asyncio.ensure_future(poll_claim(store, f"tw-{n}", 3) if polling else
                                        store.claim(f"tw-{n}", wait=3)) for n in range(1000)]
        await asyncio.sleep(1.0)  # all are waiting now
        before, lags[:] = await asyncio.to_thread(snapshot, client), []
        await asyncio.sleep(1.0)
        after = await asyncio.to_thread(snapshot, client)
        connections = len(await asyncio.to_thread(client.client_list)) - others
        waiting_lag = max(lags)
        await asyncio.gather(*claims)
        stop.set()
        await ticking
    return {"commands_per_s": delta(before, after).commands, "connections": connections,
            "max_loop_lag_ms": waiting_lag * 1000}


def run(url: str, server, api_key: str) -> dict:
    """Every handoff figure, on ``server`` (a bench RedisServer) and the service at ``url``."""
    count = int(os.environ.get("BENCH_HANDOFFS", 200))
    client = server.client()
    http_handoffs(url, api_key, 10, "warm")  # connections, scripts
    figures = {}
    gaps, calls = counted(client, lambda: http_handoffs(url, api_key, count, "run"))
    figures["http (gunicorn)"] = {**percentiles(gaps), "commands": calls}
    for name, polling in (("library pub/sub", False), ("library polling", True)):
        gaps, calls = counted(client, lambda: asyncio.run(
            library_handoffs(server.settings, url, api_key, count, polling)))
        late = asyncio.run(late_handoffs(server.settings, url, api_key, min(count, 100), polling))
        figures[name] = {**percentiles(gaps), "commands": calls,
                         "late": percentiles(late),
                         "waiting_1000": asyncio.run(thousand_waiting(server.settings, client,
                                                                      polling))}
    client.close()
    return {name: {**value, "commands": {command: round(n / count, 2) for command, n
                                         in value["commands"].items()}}
            for name, value in figures.items()}


def table(figures: dict) -> str:
    """The figures as a Markdown table."""
    lines = ["| handoff | prewarm 200 → claim answer p50 ms | p99 ms | prewarm 0-1.5 s late: "
             "p50, p99 ms | Redis commands per handoff (scripts' own included) | 1,000 waiting: "
             "commands/s, connections, max loop lag ms |", "|---|---:|---:|---|---|---|"]
    for name, value in figures.items():
        commands = " ".join(f"{command}×{n:g}" for command, n in sorted(value["commands"].items())
                            if command != "info")
        waiting, late = value.get("waiting_1000"), value.get("late")
        cost = (f"{waiting['commands_per_s']}, {waiting['connections']}, "
                f"{waiting['max_loop_lag_ms']:.1f}" if waiting else "")
        late = f"{late['p50_ms']:.2f}, {late['p99_ms']:.2f}" if late else ""
        lines.append(f"| {name} | {value['p50_ms']:.2f} | {value['p99_ms']:.2f} | {late} | "
                     f"{commands} | {cost} |")
    return "\n".join(lines)

