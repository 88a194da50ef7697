"""Importing ``burki_sip.calls`` in a fresh interpreter: no web layer, no side effects, and cheap."""

import json
import os
import statistics
import subprocess
import sys

from support import ROOT

# Nothing of the web layer, the bridge sync or the development Redis.
FORBIDDEN = ("flask", "werkzeug", "gunicorn", "marshmallow", "apispec", "requests",
             "prometheus_client", "click", "fakeredis", "lupa", "burki_sip.web", "burki_sip.bridge",
             "burki_sip.devredis", "burki_sip.cli")
BUDGET_S = 0.050
RUNS = 5


def python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter of the test's venv; its standard output."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60,
                          capture_output=True, text=True, env={**os.environ, **env}).stdout


def test_importing_the_core_loads_no_web_module_and_has_no_side_effects():
    loaded = json.loads(python(
        "import json, logging, sys, threading\n"
        "handlers, threads = list(logging.getLogger().handlers), threading.active_count()\n"
        "import burki_sip.calls\n"
        "assert logging.getLogger().handlers == handlers and threading.active_count() == threads\n"
        "print(json.dumps(sorted(sys.modules)))"))

    assert "burki_sip.calls.async_store" in loaded
    assert [name for name in loaded if name.split(".")[0] in FORBIDDEN
            or any(name == f or name.startswith(f + ".") for f in FORBIDDEN)] == []


def test_importing_the_core_leaves_a_prometheus_registry_untouched(tmp_path):
    # A PROMETHEUS_MULTIPROC_DIR that does not exist crashed the old import: it is read by nothing.
    names = json.loads(python(
        "import json\n"
        "from prometheus_client import REGISTRY\n"
        "before = sorted(REGISTRY._names_to_collectors)\n"
        "import burki_sip.calls\n"
        "print(json.dumps([before, sorted(REGISTRY._names_to_collectors)]))",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing")))
    assert names[0] == names[1]


def import_seconds(statement: str, after: str = "") -> float:
    """Seconds ``statement`` takes in a fresh interpreter (after running ``after``, untimed)."""
    return float(python(f"import time\n{after}\nt = time.perf_counter()\n{statement}\n"
                        "print(time.perf_counter() - t)"))


def test_the_core_costs_at_most_50_ms_more_than_redis_alone():
    """Medians of 5 runs each. The budget is asserted on the core's own cost after ``import
    redis`` in the same interpreter, which machine load disturbs far less than the difference of
    two separate interpreters (printed too)."""
    redis_alone, core_alone, core_after_redis = [], [], []
    for _ in range(RUNS):  # interleaved, so a burst of load hits each kind alike
        redis_alone.append(import_seconds("import redis"))
        core_alone.append(import_seconds("import burki_sip.calls"))
        core_after_redis.append(import_seconds("import burki_sip.calls", after="import redis"))
    medians = [statistics.median(runs) * 1000 for runs in (redis_alone, core_alone,
                                                           core_after_redis)]
    print("import medians (ms): redis %.1f, burki_sip.calls %.1f, burki_sip.calls after "
          "redis %.1f" % tuple(medians))
    assert statistics.median(core_after_redis) <= BUDGET_S
