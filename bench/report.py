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
            "non_2xx": sum(run.status_errors for run in runs),
            "socket_errors": sum(run.socket_errors for run in runs),
            "commands": counted["commands_per_request"] if counted else None,
            "round_trips": counted["round_trips_per_request"] if counted else None,
            "breakdown": counted["breakdown"] if counted else "",
        })
    return rows


def _number(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = ["| scenario | req/s (median) | × no-op | p50 ms | p99 ms | p99.9 ms | non-2xx | "
             "socket errors | Redis commands/req | round trips/req | commands per request (incl. inside Lua) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        lines.append(
            f"| {row['scenario']} | {row['rate']:.0f} | {row['ratio']:.3f} | {row['p50_ms']:.2f} | "
            f"{row['p99_ms']:.2f} | {row['p999_ms']:.2f} | {row['non_2xx']} | "
            f"{row['socket_errors']} | {_number(row['commands'])} | {_number(row['round_trips'])} | "
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
