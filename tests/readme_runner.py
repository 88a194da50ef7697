"""Run the README's shell commands against ``make run``, as a new user would, and report.

    python tests/readme_runner.py CLONE [PORT]

Runs in CLONE (a copy of the project with its .venv): starts ``make run`` there, waits until it
serves and has written ``.burki-sip/redis-url``, runs every README command in order with bash,
stops the service and prints one JSON report on stdout. With PORT, ``make run PORT=...`` and the
README's ``127.0.0.1:8000`` becomes ``127.0.0.1:PORT``; without it (in a private network
namespace, where nothing else listens) the commands run exactly as written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from readme_blocks import NOT_RUN, WAITS, Block, shell_blocks  # noqa: E402
from support import port_open, wait_until  # noqa: E402

README_ADDRESS = "127.0.0.1:8000"
FOLLOWED_CALL = "sip-readme-followed"


def start_service(clone: Path, port: int | None) -> subprocess.Popen:
    """``make run`` (with ``PORT=`` when given) in a process group of its own, logging to a file."""
    args = ["make", "--no-print-directory", "run"] + ([f"PORT={port}"] if port else [])
    log = open(clone / "make-run.log", "w")
    return subprocess.Popen(args, cwd=clone, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_service(service: subprocess.Popen) -> None:
    """Ctrl-C, as a user ends ``make run``; wait until gunicorn's master and workers are gone too."""
    if group_alive(service.pid):
        os.killpg(service.pid, signal.SIGINT)
    service.wait(timeout=60)
    try:
        wait_until(lambda: not group_alive(service.pid), timeout=30, what="make run stopped")
    except TimeoutError:
        os.killpg(service.pid, signal.SIGKILL)


def bash(command: str, clone: Path, timeout: float = 30) -> dict:
    finished = subprocess.run(["bash", "-c", command], cwd=clone, capture_output=True, text=True,
                              timeout=timeout)
    return {"command": command, "status": finished.returncode, "stdout": finished.stdout,
            "stderr": finished.stderr}


def send_status(address: str, call_sid: str) -> None:
    """One status callback, as a provider posts it: what a waiting command should print."""
    body = f"CallSid={call_sid}&CallStatus=ringing".encode()
    urllib.request.urlopen(urllib.request.Request(f"http://{address}/sip-status", data=body),
                           timeout=5).read()


def run_waiting(command: str, clone: Path, address: str, number: int) -> dict:
    """Start a command that waits for events, send events until it prints one, then stop it.

    Sent again each second: an event sent before the command reached ``XREAD BLOCK ... $``
    would not be new to it, and a loaded machine may take a while to start it.
    """
    out, call_sid = clone / f"waiting-{number}.out", f"{FOLLOWED_CALL}-{number}"
    with open(out, "w") as sink:
        process = subprocess.Popen(["bash", "-c", command], cwd=clone, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        time.sleep(1)
        waited = process.poll() is None
        for _ in range(15):
            send_status(address, call_sid)
            try:
                wait_until(lambda: call_sid in out.read_text(), timeout=1, what="the event")
                break
            except TimeoutError:
                continue
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as the README says
        process.wait(timeout=10)
    printed = out.read_text()
    return {"command": command, "waited": waited, "stdout": printed,
            "printed_event": call_sid in printed}


def run_blocks(blocks: list[Block], clone: Path, port: int | None) -> list[dict]:
    address = f"127.0.0.1:{port}" if port else README_ADDRESS
    results = []
    for block in blocks:
        for command in block.commands:
            text = command.text.replace(README_ADDRESS, address)
            if block.marker.startswith(NOT_RUN):
                results.append({"command": text, "skipped": block.marker})
            elif block.marker == WAITS:
                results.append(run_waiting(text, clone, address, len(results)))
            else:
                results.append({**bash(text, clone), "shown": command.shown})
    return results


def main(clone: Path, port: int | None) -> dict:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
    service_port = port or int(README_ADDRESS.rsplit(":", 1)[1])
    report = {"port": service_port, "verbatim": port is None, "results": []}
    service = start_service(clone, port)
    runtime_file = clone / ".burki-sip" / "redis-url"
    try:
        wait_until(lambda: (port_open(service_port) and runtime_file.exists())
                   or service.poll() is not None, timeout=60, what="make run serving")
        report["redis_url"] = runtime_file.read_text().strip() if runtime_file.exists() else None
        if service.poll() is None:
            blocks = shell_blocks((clone / "README.md").read_text())
            report["results"] = run_blocks(blocks, clone, port)
    finally:
        stop_service(service)
    report["runtime_file_left"] = runtime_file.exists()
    redis_port = int(report["redis_url"].rsplit(":", 1)[1].split("/")[0]) \
        if report.get("redis_url") else None
    report["redis_server_left"] = bool(redis_port and port_open(redis_port))
    report["service_log"] = (clone / "make-run.log").read_text()
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else None)))
