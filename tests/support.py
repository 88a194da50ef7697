"""Real processes for tests: a private redis-server and the service under gunicorn, on loopback."""

from __future__ import annotations

import ast
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import redis
import redis.asyncio

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

SEED_PREWARM = {
    "call_sid": "sip-20260430-abc123",
    "from_number": "+15559876543",
    "to_number": "+15551234567",
    "outbound": False,
    "assistant_id": 123,
    "welcome_message": "Thanks for calling. How can I help?",
    "agenda": "Customer support intake",
    "variables": {"customer_id": "cust_123"},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout} s")


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def required_binary(name: str, package: str) -> str:
    """Path of the program ``name``, or a failure that names the Debian package to install."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install the '{package}' package "
                           "(`make test` does this on Debian/Ubuntu when run as root)")
    return path


def redis_server_binary() -> str:
    """Path of redis-server, or a failure that names the package to install."""
    return required_binary("redis-server", "redis-server")


class RedisServer:
    """A private, non-persistent redis-server on a free loopback port; can be stopped and restarted."""

    def __init__(self, port: int | None = None, *extra_args: str, password: str | None = None) -> None:
        self.port = port or free_port()
        self.extra_args = extra_args
        self.password = password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def settings(self) -> dict[str, str]:
        """The environment a service uses to reach this server."""
        return {"REDIS_URL": self.url}

    def client(self, **kwargs) -> redis.Redis:
        """A new client of this server (``decode_responses=True``)."""
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                           decode_responses=True, **kwargs)

    def async_client(self, **kwargs) -> redis.asyncio.Redis:
        """A new ``redis.asyncio`` client of this server (``decode_responses=True``)."""
        return redis.asyncio.Redis(host="127.0.0.1", port=self.port, password=self.password,
                                   decode_responses=True, **kwargs)

    def start(self) -> "RedisServer":
        """Start the server and wait until it answers PING."""
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes", *self.extra_args]
        if self.password:
            args += ["--requirepass", self.password, "--masterauth", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = self.client(socket_timeout=0.5)
        wait_until(lambda: self._pings(probe), what=f"redis-server on port {self.port}")
        probe.close()
        return self

    @staticmethod
    def _pings(client: redis.Redis) -> bool:
        try:
            return client.ping()
        except redis.RedisError:
            return False

    @contextmanager
    def flushed_client(self):
        """A client of this server, its database flushed before and after use."""
        client = self.client()
        client.flushdb()
        try:
            yield client
        finally:
            client.flushdb()
            client.close()

    def stop(self) -> None:
        """Stop the server (it keeps nothing: it runs without persistence)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            # A server a test paused (SIGSTOP) acts on the SIGTERM only once it runs again.
            self.process.send_signal(signal.SIGCONT)
            self.process.wait(timeout=10)
        self.process = None


class ServerProcess:
    """A server started as a child process on a free loopback port, its output in a file."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        # A file, not a pipe: nobody reads while it runs, and a full pipe would block the server.
        self.log = tempfile.TemporaryFile(mode="w+")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        """Everything the server printed so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def launch(self, command: list, env: dict, what: str, **options) -> None:
        """Start ``command`` from the project root and wait until it accepts connections."""
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, **options)
        wait_until(lambda: port_open(self.port) or self.process.poll() is not None,
                   timeout=30, what=f"{what} listening")
        if self.process.poll() is not None:
            raise RuntimeError(f"{what} exited: {self.output()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> str:
        """Signal the server, wait for it to exit, and return everything it printed."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self.log.closed:
            return ""
        output = self.output()
        self.log.close()
        return output


class Gunicorn(ServerProcess):
    """The service as the Procfile runs it (``gunicorn wsgi:app`` with gunicorn.conf.py)."""

    def __init__(self, redis_url: str, workers: int | None = 2, app: str = "wsgi:app",
                 **env: str) -> None:
        """``workers=None`` leaves the count to gunicorn.conf.py, as the Procfile does; ``app`` is
        what gunicorn serves (the Procfile's ``wsgi:app`` unless a benchmark adds its floors)."""
        super().__init__()
        self.app = app
        self.env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port),
                    "REDIS_URL": redis_url, **env}
        if workers is not None:
            self.env["WEB_CONCURRENCY"] = str(workers)

    def start(self, own_process_group: bool = False) -> "Gunicorn":
        """Start gunicorn from the project root and wait until it accepts connections.

        ``own_process_group``: master and workers form a group of their own, which can be signalled
        at once as a platform stops a container (``os.killpg(process.pid, ...)``).
        """
        self.launch([str(BIN / "gunicorn"), self.app], self.env, "gunicorn",
                    start_new_session=own_process_group)
        return self


def worker_pids(master_pid: int) -> set[int]:
    """The gunicorn workers: the master's child processes."""
    children = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == master_pid:
                children.add(int(entry))
    return children


def gunicorn_setting(name: str):
    """A literal setting of gunicorn.conf.py, read without running the file (it has side effects)."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise KeyError(name)
