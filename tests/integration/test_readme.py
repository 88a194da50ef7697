"""Every shell command of the README works as written after ``make run``, in a fresh copy of the
project, without a Redis of the machine's (the redis-server ``make run`` starts, found through
.burki-sip/redis-url)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from readme_blocks import NOT_RUN, WAITS, shell_blocks
from settings_support import clean_env
from support import BIN, ROOT, free_port, required_binary

pytestmark = pytest.mark.integration

EVENT_ID = re.compile(r"\d+-\d+")


def fresh_copy(target):
    """The project's files as a clone has them (tracked and new, not ignored), with this .venv."""
    listed = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)  # mtimes kept: make sees .venv up to date
    (target / ".venv").symlink_to(BIN.parent)
    up_to_date = subprocess.run(["make", "-q", ".venv/.installed"], cwd=target)
    assert up_to_date.returncode == 0, "the venv is older than requirements.txt: run make install"
    return target


def private_network() -> list[str] | None:
    """``unshare`` arguments for a network namespace of our own (root, or a user namespace)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return None
    for args in (["unshare", "-n"], ["unshare", "-rn"]):
        if subprocess.run([*args, "true"], capture_output=True).returncode == 0:
            return args
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    for name, package in (("curl", "curl"), ("redis-cli", "redis-tools"), ("bash", "bash")):
        required_binary(name, package)
    clone = fresh_copy(tmp_path_factory.mktemp("clone"))
    runner = [sys.executable, str(ROOT / "tests" / "readme_runner.py"), str(clone)]
    namespace = private_network()
    # A namespace of our own: port 8000 as written, and the machine's Redis out of reach. Else
    # a free port, put in place of the README's 8000.
    command = [*namespace, *runner] if namespace else [*runner, str(free_port())]
    finished = subprocess.run(command, env=clean_env(), capture_output=True, text=True,
                              timeout=240)
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


def same_answer(got: dict, shown: dict) -> bool:
    """Equal to the README's answer, but for event ids (a new one each time)."""
    if set(got) != set(shown):
        return False
    return all(EVENT_ID.fullmatch(str(got[k])) if k == "event_id" else got[k] == shown[k]
               for k in shown)


def test_make_run_serves_with_the_embedded_redis(report, record_figure):
    ran = [r for r in report["results"] if "skipped" not in r]
    record_figure(f"README commands: {len(ran)} run, "
                  f"{len(report['results']) - len(ran)} not run (marked); "
                  + ("verbatim, in a private network namespace" if report["verbatim"]
                     else f"with 127.0.0.1:8000 replaced by port {report['port']}"))
    assert report["redis_url"] and not report["redis_url"].endswith(":6379/0")
    # gunicorn's quick shutdown on Ctrl-C may interrupt a worker still returning from the last
    # response's sendall (its handle_quit raises SystemExit there): gunicorn's noise, not ours.
    assert [line for line in report["service_log"].splitlines()
            if "Traceback" in line and "handle_quit" not in line] == []
    assert report["service_log"].count("started an embedded redis-server") == 1
    # Both go with the service: the file and the redis-server it names.
    assert not report["runtime_file_left"], report["service_log"][-2000:]
    assert not report["redis_server_left"]


def test_every_readme_command_succeeds(report):
    failed = [r for r in report["results"] if "status" in r
              and (r["status"] != 0 or r["stderr"] or not r["stdout"].strip())]
    assert failed == [], json.dumps(failed, indent=1)[:3000]


def test_answers_are_as_the_readme_shows(report):
    shown = [r for r in report["results"] if r.get("shown")]
    assert len(shown) >= 4
    for result in shown:
        assert same_answer(json.loads(result["stdout"]), result["shown"]), result


def test_waiting_commands_print_the_next_event(report):
    waiting = [r for r in report["results"] if "waited" in r]
    assert len(waiting) == 2
    for result in waiting:
        assert result["waited"] and result["printed_event"], result
        assert "Traceback" not in result["stdout"]  # Ctrl-C ends it quietly


def test_the_readme_blocks_are_all_accounted_for():
    blocks = shell_blocks((ROOT / "README.md").read_text())
    assert all(block.marker in ("", WAITS) or block.marker.startswith(NOT_RUN) for block in blocks)
    assert sum(len(block.commands) for block in blocks if not block.marker) >= 15
