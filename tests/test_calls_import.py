"""Importing ``burki_sip.calls`` in a fresh interpreter: no web layer, no side effects, and cheap."""

import json
import os
import subprocess
import sys

from support import ROOT

# Nothing of the web layer, the bridge sync or the development Redis.
FORBIDDEN = ("flask", "werkzeug", "gunicorn", "marshmallow", "apispec", "requests",
             "prometheus_client", "click", "fakeredis", "lupa", "burki_sip.web", "burki_sip.bridge",
             "burki_sip.devredis", "burki_sip.cli")
# Standard-library modules the core may load beyond what redis-py itself loads.
MAX_OUTSIDE_MODULES = 12


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
        "before = sorted(metric.name for metric in REGISTRY.collect())\n"
        "import burki_sip.calls\n"
        "print(json.dumps([before, sorted(metric.name for metric in REGISTRY.collect())]))",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "missing")))
    assert names[0] == names[1]


def loaded_modules(statement: str, after: str = "") -> set[str]:
    """The modules ``statement`` loads in a fresh interpreter, beyond those ``after`` loaded."""
    return set(json.loads(python(
        f"import json, sys\n{after}\nbefore = set(sys.modules)\n{statement}\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))")))


def test_the_core_loads_little_beyond_redis(record_figure):
    """The core's import cost, counted in modules rather than timed (a timing asserted on a
    shared machine flakes): its own modules and a handful of the standard library's."""
    extra = loaded_modules("import burki_sip.calls", after="import redis, redis.asyncio")
    outside = sorted(name for name in extra if not name.startswith("burki_sip"))
    record_figure(f"import burki_sip.calls after redis: {len(extra)} modules, "
                  f"{len(outside)} outside burki_sip ({', '.join(outside)})")
    assert len(outside) <= MAX_OUTSIDE_MODULES, outside
