"""Turn the benchmark's measurements into one table (Markdown, readable in a terminal too)."""

from __future__ import annotations

import statistics


def summarise(rounds: list[dict], counters: dict, floor: str = "noop") -> list[dict]:
    """One row per scenario: medians over the rounds, and the per-round ratio to the floor."""
    rows = []
    for scenario in rounds[0]:
        runs = [round_[scenario] for round_ in rounds]
        ratios = [round_[scenario].rate / round_[floor].rate for round_ in rounds]
        counted = counters.get(scenario)
        rows.append({
            "scenario": scenario,
            "rate": statistics.median(run.rate for run in runs),
            "rates": [run.rate for run in runs],
            "ratio": statistics.median(ratios),
            "p50_ms": statistics.median(run.p50_us for run in runs) / 1000,
            "p99_ms": statistics.median(run.p99_us for run in runs) / 1000,
            "p999_ms": statistics.median(run.p999_us for run in runs) / 1000,
            "cpu_us": _median([run.cpu_us_per_request for run in runs]),
            "non_2xx": sum(run.status_errors for run in runs),
            "socket_errors": sum(run.socket_errors for run in runs),
            "commands": counted["commands_per_request"] if counted else None,
            "round_trips": counted["round_trips_per_request"] if counted else None,
            "breakdown": counted["breakdown"] if counted else "",
        })
    return rows


def _median(values: list) -> float | None:
    """Median of the measured values; ``None`` when none was measured."""
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def peer_comparison(rounds: list[dict], service: str = "prewarm", peer: str = "peer") -> dict:
    """The service against the peer, from runs of the same rounds (so both saw the same machine).

    Ratios are service / peer, taken per round and then the median: throughput above 1 and p99
    below 1 favour the service. CPU is server CPU (master + workers) per request, in µs.
    """
    pairs = [(round_[service], round_[peer]) for round_ in rounds
             if service in round_ and peer in round_]
    if not pairs:
        raise ValueError(f"no round ran both {service!r} and {peer!r}")
    cpu_ratios = [ours.cpu_us_per_request / theirs.cpu_us_per_request for ours, theirs in pairs
                  if ours.cpu_us_per_request and theirs.cpu_us_per_request]
    return {
        "rounds": len(pairs),
        "throughput_ratio": statistics.median(ours.rate / theirs.rate for ours, theirs in pairs),
        "p99_ratio": statistics.median(ours.p99_us / theirs.p99_us for ours, theirs in pairs
                                       if theirs.p99_us),
        "cpu_ratio": statistics.median(cpu_ratios) if cpu_ratios else None,
        service: _side([ours for ours, _ in pairs]),
        peer: _side([theirs for _, theirs in pairs]),
    }


def _side(runs: list) -> dict:
    return {"rate": statistics.median(run.rate for run in runs),
            "p99_ms": statistics.median(run.p99_us for run in runs) / 1000,
            "cpu_us": _median([run.cpu_us_per_request for run in runs]),
            "non_2xx": sum(run.status_errors for run in runs),
            "socket_errors": sum(run.socket_errors for run in runs)}


def peer_table(comparison: dict, service: str = "prewarm", peer: str = "peer") -> str:
    """``peer_comparison`` as a Markdown table: each side's medians, then service / peer."""
    lines = ["| prewarm on | req/s (median) | p99 ms | server CPU µs/prewarm | non-2xx | socket errors |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, label in ((service, "service (gunicorn, Procfile)"), (peer, "peer (FastAPI, uvicorn)")):
        side = comparison[name]
        lines.append(f"| {label} | {side['rate']:.0f} | {side['p99_ms']:.2f} | "
                     f"{_number(side['cpu_us'], 0)} | {side['non_2xx']} | {side['socket_errors']} |")
    lines.append(f"| service / peer (median of {comparison['rounds']} rounds) | "
                 f"{comparison['throughput_ratio']:.3f} | {comparison['p99_ratio']:.3f} | "
                 f"{_number(comparison['cpu_ratio'], 3)} | | |")
    return "\n".join(lines)


def _number(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = ["| scenario | req/s (median) | × no-op | p50 ms | p99 ms | p99.9 ms | non-2xx | "
             "socket errors | server CPU µs/req | Redis commands/req | round trips/req | "
             "commands per request (incl. inside Lua) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['rate']:.0f} | {row['ratio']:.3f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} | {row['p999_ms']:.2f} | {row['non_2xx']} | "
            f"{row['socket_errors']} | {_number(row['cpu_us'], 0)} | {_number(row['commands'])} | {_number(row['round_trips'])} | "
            f"{row['breakdown']} |")
    return "\n".join(lines)


def rounds_table(rows: list[dict]) -> str:
    """Every round's requests per second, so the spread is visible next to the medians."""
    lines = ["| scenario | " + " | ".join(f"round {n + 1}" for n in range(len(rows[0]["rates"])))
             + " |", "|---|" + "---:|" * len(rows[0]["rates"])]
    for row in rows:
        lines.append(f"| {row['scenario']} | " + " | ".join(f"{rate:.0f}" for rate in row["rates"])
                     + " |")
    return "\n".join(lines)
