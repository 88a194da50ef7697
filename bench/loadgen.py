"""Drive the service with wrk (Debian's package) and one of the Lua scenarios in bench/wrk/."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent / "wrk"

# scenario name -> Lua script; the floor comes first so every round starts from it.
# "peer" is the same prewarm sent to the FastAPI peer (bench/peer/app.py) instead of the service.
SCENARIOS = {"noop": "noop.lua", "noop+set": "set.lua", "prewarm": "prewarm.lua",
             "status": "status.lua", "webhook": "webhook.lua", "peer": "prewarm.lua"}


@dataclass
class WrkResult:
    """One wrk run's figures (latencies in microseconds)."""

    scenario: str
    requests: int
    duration_us: int
    status_errors: int
    socket_errors: int
    p50_us: int
    p99_us: int
    p999_us: int
    max_us: int
    server_cpu_s: float | None = None  # utime + stime of the server's master and workers

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / (self.duration_us / 1e6)

    @property
    def cpu_us_per_request(self) -> float | None:
        """Server CPU per request, in microseconds, when it was measured."""
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s / self.requests * 1e6


def wrk_binary() -> str:
    """Path of wrk, or a failure naming the package (scripts/ensure-wrk.sh installs it)."""
    path = shutil.which("wrk")
    if path is None:
        raise RuntimeError("wrk not found: install the Debian package 'wrk' (make bench does it as root)")
    return path


def run_wrk(url: str, scenario: str, *, seconds: int, connections: int, threads: int,
            tag: str, api_key: str = "") -> WrkResult:
    """Run one scenario for ``seconds`` against ``url`` and return what wrk's report says."""
    args = [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-T5s",
            "-s", str(SCRIPTS / SCENARIOS[scenario]), url, "--", tag, api_key]
    finished = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60,
                              check=True)
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    socket_errors = sum(report[name] for name in
                        ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return WrkResult(scenario, report["requests"], report["duration_us"], report["status_errors"],
                     socket_errors, report["p50_us"], report["p99_us"], report["p999_us"],
                     report["max_us"])
