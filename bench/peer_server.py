"""The FastAPI peer (bench/peer/app.py) under uvicorn, with uvloop and httptools, started and
stopped by its own PID; its Python is the separate .venv-peer that `make bench` installs."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import requests
from support import ServerProcess, port_open, wait_until  # tests/support.py

ROOT = Path(__file__).resolve().parent.parent


def peer_python() -> Path:
    """The peer's interpreter: PEER_PYTHON, else .venv-peer/bin/python."""
    return Path(os.environ.get("PEER_PYTHON", ROOT / ".venv-peer" / "bin" / "python"))


def service_workers() -> int:
    """The service's worker count as gunicorn.conf.py resolves it: WEB_CONCURRENCY or its default."""
    if os.environ.get("WEB_CONCURRENCY"):
        return int(os.environ["WEB_CONCURRENCY"])
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "workers"
                                                for t in node.targets):
            # int(os.environ.get("WEB_CONCURRENCY", "3")): the one string constant is the default
            default = [n.value for n in ast.walk(node.value)
                       if isinstance(n, ast.Constant) and n.value != "WEB_CONCURRENCY"]
            return int(default[0])
    raise KeyError("workers")


class Peer(ServerProcess):
    """``uvicorn app:app --workers N --loop uvloop --http httptools`` on a free loopback port."""

    def __init__(self, redis_url: str, workers: int, api_key: str) -> None:
        super().__init__()
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is taken")
        self.workers = workers
        self.env = {**os.environ, "REDIS_URL": redis_url, "SIP_BRIDGE_API_KEY": api_key}
        self.api_key = api_key

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self) -> "Peer":
        """Start uvicorn and wait until a prewarm is answered (every worker then had time to boot)."""
        self.launch([str(peer_python()), "-m", "uvicorn", "app:app", "--app-dir",
                     str(ROOT / "bench" / "peer"), "--host", "127.0.0.1", "--port", str(self.port),
                     "--workers", str(self.workers), "--loop", "uvloop", "--http", "httptools",
                     "--no-access-log", "--log-level", "warning"], self.env, "uvicorn")
        wait_until(self._answers, timeout=30, what="peer answering a prewarm")
        return self

    def _answers(self) -> bool:
        try:
            return requests.post(self.url + "/sip-prewarm", json={"call_sid": "peer-ready"},
                                 headers={"Authorization": f"Bearer {self.api_key}"},
                                 timeout=2).status_code == 200
        except requests.RequestException:
            return False
