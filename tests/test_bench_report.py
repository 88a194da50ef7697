"""The benchmark's server-CPU reading and its service-versus-peer figures (no FastAPI needed)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import cpu  # noqa: E402
from loadgen import WrkResult  # noqa: E402
from report import peer_comparison, peer_table, summarise, table  # noqa: E402


def run(scenario, requests, p99_us, cpu_s=None, seconds=5):
    return WrkResult(scenario, requests, seconds * 1_000_000, 0, 0, 1000, p99_us, 2 * p99_us,
                     3 * p99_us, cpu_s)


def test_stat_line_is_read_from_the_last_parenthesis():
    fields = ["S", "41"] + ["0"] * 9 + ["150", "25"] + ["0"] * 30  # ppid 41, utime 150, stime 25
    line = "4242 (odd ) name) " + " ".join(fields)

    assert cpu.parse_stat(line) == (41, 175)


def test_tree_ticks_follows_children_and_grandchildren_only():
    stats = {1: (0, 5), 10: (1, 100), 11: (10, 7), 12: (10, 8), 13: (11, 1), 20: (1, 999)}

    assert cpu.tree_ticks(10, stats) == {10: 100, 11: 7, 12: 8, 13: 1}
    assert cpu.tree_ticks(99, stats) == {}


def test_spent_seconds_counts_a_worker_born_meanwhile_whole():
    before = {10: 100, 11: 50}
    after = {10: 100 + cpu.TICKS, 11: 50 + cpu.TICKS, 12: cpu.TICKS}  # 11 ran, 12 is new

    assert cpu.spent_seconds(before, after) == pytest.approx(3.0)


def test_sample_of_this_process_sees_itself():
    ticks = cpu.sample(os.getpid())

    assert os.getpid() in ticks and ticks[os.getpid()] >= 0


def test_cpu_per_request_in_microseconds():
    assert run("prewarm", 10_000, 5000, cpu_s=2.5).cpu_us_per_request == pytest.approx(250)
    assert run("prewarm", 10_000, 5000).cpu_us_per_request is None
    assert run("prewarm", 0, 5000, cpu_s=1.0).cpu_us_per_request is None


def test_peer_comparison_takes_per_round_ratios_service_over_peer():
    rounds = [
        {"prewarm": run("prewarm", 10_000, 20_000, 2.0), "peer": run("peer", 20_000, 40_000, 3.0)},
        {"prewarm": run("prewarm", 12_000, 30_000, 2.4), "peer": run("peer", 20_000, 30_000, 3.0)},
        {"prewarm": run("prewarm", 9_000, 10_000, 1.8), "peer": run("peer", 10_000, 20_000, 2.0)},
    ]

    comparison = peer_comparison(rounds)

    assert comparison["rounds"] == 3
    assert comparison["throughput_ratio"] == pytest.approx(0.6)  # of 0.5, 0.6, 0.9
    assert comparison["p99_ratio"] == pytest.approx(0.5)  # of 0.5, 1.0, 0.5
    assert comparison["cpu_ratio"] == pytest.approx(200 / 150)  # 200/150 each round
    assert comparison["prewarm"]["rate"] == pytest.approx(2000)
    assert comparison["peer"]["p99_ms"] == pytest.approx(30)
    assert comparison["prewarm"]["cpu_us"] == pytest.approx(200)
    assert comparison["peer"]["cpu_us"] == pytest.approx(150)


def test_peer_table_names_both_sides_and_the_ratios():
    rounds = [{"prewarm": run("prewarm", 10_000, 20_000, 2.0), "peer": run("peer", 20_000, 40_000, 3.0)}]

    text = peer_table(peer_comparison(rounds))

    lines = text.splitlines()
    assert lines[2].startswith("| service (gunicorn, Procfile) | 2000 | 20.00 | 200 |")
    assert lines[3].startswith("| peer (FastAPI, uvicorn) | 4000 | 40.00 | 150 |")
    assert lines[4] == "| service / peer (median of 1 rounds) | 0.500 | 0.500 | 1.333 | | |"


def test_peer_comparison_needs_both_in_one_round():
    with pytest.raises(ValueError, match="peer"):
        peer_comparison([{"prewarm": run("prewarm", 1, 1)}])


def test_cpu_column_in_the_main_table_and_dash_when_unmeasured():
    rounds = [{"noop": run("noop", 20_000, 1000, 1.0), "prewarm": run("prewarm", 10_000, 2000)}]

    rows = summarise(rounds, {})
    text = table(rows)

    assert rows[0]["cpu_us"] == pytest.approx(50) and rows[1]["cpu_us"] is None
    assert "server CPU µs/req" in text.splitlines()[0]
    assert "| noop | 4000 | 1.000 | 1.00 | 1.00 | 2.00 | 0 | 0 | 50 |" in text
    assert "| prewarm | 2000 | 0.500 | 1.00 | 2.00 | 4.00 | 0 | 0 | - |" in text
