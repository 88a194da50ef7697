"""A few real SIP calls through the reference bridge, to see burki-sip at work (`make demo`).

Starts, each on a free loopback port: a redis-server of its own, the service under gunicorn with
the console on, a SIPp callee and the bridge (examples/kamailio/run). SIPp then places one call
of every scenario in examples/kamailio/scenarios; `burki-sip call` shows one of them, and the
console shows them all until Ctrl-C, which stops everything this started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BIN = Path(sys.executable).parent
KEY = "demo-bridge-key"
LOGIN = "demo:demo"
CALLERS = ("caller-hangup", "callee-hangup", "reinvite", "busy", "busy-everywhere", "unavailable",
           "terminated", "no-answer", "cancel", "failure", "no-reply")
SHOWN = "carrier-demo-caller-hangup-1"  # that scenario names its call with X-Call-SID


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port (TCP, or UDP with ``socket.SOCK_DGRAM``) free right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def accepts(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


class Children:
    """The processes the demo started, each in a session of its own so that Ctrl-C reaches
    only the demo, which then stops them last started first."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list, **env: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "w")
        process = subprocess.Popen([str(arg) for arg in args], cwd=self.logs, stdout=log,
                                   stderr=subprocess.STDOUT, env={**os.environ, **env},
                                   start_new_session=True)
        log.close()
        self.started.append((name, process))
        return process

    def log(self, name: str) -> str:
        """What the process ``name`` printed so far."""
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_for(self, name: str, ready, timeout: float = 30) -> None:
        """Poll ``ready()`` until true; after ``timeout`` seconds, show ``name``'s log and exit."""
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                sys.exit(f"{self.log(name)}\ndemo: {name} did not start (its log is above)")
            time.sleep(0.1)

    def stop(self) -> None:
        for name, process in reversed(self.started):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def serve(children: Children) -> str:
    """redis-server and the service; the service's URL."""
    redis_port, web_port = free_port(), free_port()
    children.start("redis", ["redis-server", "--port", redis_port, "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"])
    children.wait_for("redis", lambda: accepts(redis_port))
    os.environ["REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"  # for burki-sip call too
    children.start("service", [BIN / "gunicorn", "wsgi:app", "--chdir", ROOT], HOST="127.0.0.1",
                   PORT=str(web_port), SIP_BRIDGE_API_KEY=KEY, SIP_CONSOLE_USERS=LOGIN)
    children.wait_for("service", lambda: accepts(web_port))
    return f"http://127.0.0.1:{web_port}"


def bridge(children: Children, service: str) -> int:
    """The SIPp callee and the bridge in front of it; the bridge's SIP port."""
    callee_port, bridge_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_DGRAM)
    children.start("callee", ["sipp", "-sf", HERE / "scenarios" / "uas.xml", "-i", "127.0.0.1",
                              "-p", callee_port, "-nostdin", "-cp", "0"])
    children.start("kamailio", [HERE / "run", "--listen", f"127.0.0.1:{bridge_port}",
                                "--service", service, "--uas", f"127.0.0.1:{callee_port}",
                                "--api-key", KEY, "--ring-timeout", "3"])
    # Kamailio says so once its socket is bound; what arrives before its workers run waits there.
    children.wait_for("kamailio", lambda: "Listening on" in children.log("kamailio"))
    return bridge_port


def place_calls(children: Children, bridge_port: int) -> None:
    """One call of every caller scenario at once; says how each went, as SIPp saw it."""
    callers = {name: children.start(name, [
        "sipp", "-sf", HERE / "scenarios" / f"{name}.xml", "-i", "127.0.0.1", "-m", "1",
        "-nostdin", "-cp", "0", "-cid_str", f"demo-{name}-%u", "-timeout", "30s",
        "-timeout_error", f"127.0.0.1:{bridge_port}"]) for name in CALLERS}
    for name, caller in callers.items():
        went = "as scripted" if caller.wait(timeout=40) == 0 else "NOT as scripted"
        print(f"  {name:15} call demo-{name}-1 went {went}")
    time.sleep(0.5)  # the bridge posts the last statuses right after the calls end


def main() -> None:
    missing = [tool for tool in ("redis-server", "kamailio", "sipp") if not shutil.which(tool)]
    if missing:
        sys.exit(f"demo: {', '.join(missing)} not found: install the Debian packages redis-server"
                 " kamailio kamailio-utils-modules kamailio-json-modules kamailio-extra-modules"
                 " sip-tester (`make demo` does so as root)")
    with tempfile.TemporaryDirectory(prefix="burki-sip-demo-") as logs:
        children = Children(Path(logs))
        try:
            service = serve(children)
            bridge_port = bridge(children, service)
            print(f"burki-sip at {service}, the bridge on udp:127.0.0.1:{bridge_port}. Calls:")
            place_calls(children, bridge_port)
            print(f"\n$ burki-sip call {SHOWN}")
            subprocess.run([BIN / "burki-sip", "call", SHOWN], check=False)
            user, password = LOGIN.split(":")
            print(f"\nThe console: {service}/console (user {user}, password {password})."
                  "\nCtrl-C stops everything.")
            signal.pause()
        except KeyboardInterrupt:
            print("\nstopping")
        finally:
            children.stop()


if __name__ == "__main__":
    main()
