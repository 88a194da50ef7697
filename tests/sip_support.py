"""Real SIP for tests: the reference bridge (examples/kamailio/run) and SIPp callers and callee."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from support import ROOT, wait_until

BRIDGE = ROOT / "examples" / "kamailio"
SCENARIOS = BRIDGE / "scenarios"
PACKAGES = ("kamailio kamailio-utils-modules kamailio-json-modules kamailio-extra-modules "
            "sip-tester")


def missing_tools() -> str | None:
    """Why real SIP calls cannot be placed here, naming what to install; ``None`` when they can."""
    if shutil.which("kamailio") is None or shutil.which("sipp") is None:
        return f"kamailio or sipp not found: install the Debian packages {PACKAGES}"
    check = subprocess.run(["kamailio", "-c", "-f", str(BRIDGE / "kamailio.cfg")],
                           capture_output=True, text=True)
    if check.returncode != 0:
        return (f"kamailio cannot load the bridge's modules: install the Debian packages "
                f"{PACKAGES} ({check.stderr.strip().splitlines()[-1:]})")
    return None


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def udp_bound(port: int) -> bool:
    """True when some process has bound 127.0.0.1:``port`` (UDP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def answers_options(port: int) -> bool:
    """True when a SIP server on 127.0.0.1:``port`` answers an OPTIONS with 200."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        sock.settimeout(0.2)
        sock.sendto((f"OPTIONS sip:probe@127.0.0.1:{port} SIP/2.0\r\n"
                     f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-probe-{local}\r\n"
                     f"From: <sip:probe@127.0.0.1>;tag=probe\r\nTo: <sip:probe@127.0.0.1>\r\n"
                     f"Call-ID: probe-{local}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                     f"Content-Length: 0\r\n\r\n").encode(), ("127.0.0.1", port))
        try:
            return sock.recv(4096).startswith(b"SIP/2.0 200")
        except OSError:
            return False


class Process:
    """A child in a session of its own, its output in a file; stopped with its whole group."""

    def __init__(self, args: list[str], cwd: Path, env: dict | None = None) -> None:
        self.log = tempfile.TemporaryFile(mode="w+")
        self.text: str | None = None  # the whole output, once it exited
        self.process = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})},
                                        stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def output(self) -> str:
        """Everything the process printed so far."""
        if self.text is not None:
            return self.text
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def wait(self, timeout: float) -> int:
        """Wait for the process to exit (killing its group after ``timeout``); its exit status."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise
        finally:
            self.text = self.output()
            self.log.close()

    def stop(self, timeout: float = 10) -> int:
        """SIGTERM the process (it stops what it started), wait, and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def uid(self) -> int:
        """The user id the process runs as now (Kamailio drops root's once it has its socket)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])

    def group_gone(self) -> bool:
        """True when no process of the session it started is left."""
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return True
        return False


def shared_memory(uid: int | None = None) -> set[str]:
    """The POSIX (/dev/shm) and System V shared memory segments of ``uid`` (all when None)."""
    posix = {f"posix:{entry.name}" for entry in Path("/dev/shm").iterdir()
             if uid in (None, entry.stat().st_uid)}
    rows = [row.split() for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]]
    return posix | {f"sysv:{row[1]}" for row in rows if uid in (None, int(row[7]))}  # id, uid


def start_bridge(service_url: str, uas_port: int, api_key: str, cwd: Path,
                 ring_timeout: int = 3) -> tuple[Process, int]:
    """The bridge as operators start it, on a free port; waits until it answers SIP."""
    port = free_udp_port()
    bridge = Process([str(BRIDGE / "run"), "--listen", f"127.0.0.1:{port}", "--service",
                      service_url, "--uas", f"127.0.0.1:{uas_port}", "--api-key", api_key,
                      "--ring-timeout", str(ring_timeout)], cwd, {"TMPDIR": str(cwd)})
    wait_until(lambda: answers_options(port) or bridge.process.poll() is not None,
               timeout=20, what="kamailio answering OPTIONS")
    if bridge.process.poll() is not None:
        raise RuntimeError(f"kamailio exited: status {bridge.wait(1)}: {bridge.output()}")
    return bridge, port


def start_callee(cwd: Path) -> tuple[Process, int]:
    """SIPp as the callee (scenarios/uas.xml) on a free port."""
    port = free_udp_port()
    callee = Process(["sipp", "-sf", str(SCENARIOS / "uas.xml"), "-i", "127.0.0.1", "-p",
                      str(port), "-nostdin", "-cp", "0", "-trace_err"], cwd)
    wait_until(lambda: udp_bound(port) or callee.process.poll() is not None, what="sipp callee")
    if callee.process.poll() is not None:
        raise RuntimeError(f"sipp exited: status {callee.wait(1)}: {callee.output()}")
    return callee, port


@dataclass(frozen=True)
class Calls:
    """``count`` calls of one caller scenario; SIPp names them ``<prefix>-1`` ... by Call-ID."""

    scenario: str
    count: int
    prefix: str

    def call_ids(self) -> list[str]:
        """The Call-IDs SIPp gives these calls."""
        return [f"{self.prefix}-{number}" for number in range(1, self.count + 1)]


def place(calls: Calls, bridge_port: int, cwd: Path) -> Process:
    """Start SIPp placing ``calls`` all at once through the bridge; it exits when they ended."""
    return Process(["sipp", "-sf", str(SCENARIOS / f"{calls.scenario}.xml"), "-i", "127.0.0.1",
                    "-m", str(calls.count), "-l", str(calls.count), "-r", "100", "-nostdin",
                    "-cp", "0", "-cid_str", f"{calls.prefix}-%u", "-timeout", "30s",
                    "-timeout_error", "-trace_err", f"127.0.0.1:{bridge_port}"], cwd)


def finish(callers: list[Process], timeout: float = 40) -> list[int]:
    """Wait for every SIPp caller to exit; their exit statuses (0: every call went as scripted)."""
    return [caller.wait(timeout) for caller in callers]
