"""What Redis did per request (INFO commandstats and INFO stats) and what a prewarmed call costs it."""

from __future__ import annotations

from dataclasses import dataclass

import time

import redis


@dataclass
class Counters:
    """A snapshot of the server's counters: calls per command, commands, and reads of client input."""

    calls: dict[str, int]
    commands: int
    reads: int


def snapshot(client: redis.Redis) -> Counters:
    """Read every counter in one ``INFO all``, so the snapshot itself costs one command and one read."""
    info = client.info("all")
    calls = {name.removeprefix("cmdstat_"): value["calls"]
             for name, value in info.items() if name.startswith("cmdstat_")}
    return Counters(calls, info["total_commands_processed"], info["total_reads_processed"])


def delta(before: Counters, after: Counters, overhead: Counters | None = None) -> Counters:
    """``after - before``, less ``overhead`` (what two snapshots with no traffic between them add)."""
    zero = Counters({}, 0, 0)
    overhead = overhead or zero
    calls = {}
    for name, value in after.calls.items():
        count = value - before.calls.get(name, 0) - overhead.calls.get(name, 0)
        if count:
            calls[name] = count
    return Counters(calls, after.commands - before.commands - overhead.commands,
                    after.reads - before.reads - overhead.reads)


def snapshot_overhead(client: redis.Redis) -> Counters:
    """The counters' own cost: the difference between two back-to-back snapshots."""
    return delta(snapshot(client), snapshot(client))


def wait_idle(client: redis.Redis, quiet: float = 0.5, timeout: float = 15.0) -> None:
    """Wait until no command but our own INFO ran for ``quiet`` seconds (a load's tail is done)."""
    deadline = time.monotonic() + timeout
    last = client.info("stats")["total_commands_processed"]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = client.info("stats")["total_commands_processed"]
        if now - last <= 1:
            return
        last = now
    raise TimeoutError(f"Redis still busy after {timeout} s")


def memory_usage(client: redis.Redis, key: str) -> int:
    """``MEMORY USAGE key SAMPLES 0``: bytes Redis holds for the key, its value and overheads."""
    return int(client.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0"))


def used_memory(client: redis.Redis) -> int:
    """``used_memory`` from ``INFO memory``: every byte the allocator gave Redis."""
    return int(client.info("memory")["used_memory"])
