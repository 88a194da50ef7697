"""Real Redis topologies on loopback ports: a 3-master Redis Cluster and a Sentinel-managed primary."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
import redis.asyncio
import redis.asyncio.sentinel
from redis.cluster import RedisCluster
from redis.sentinel import MasterNotFoundError, Sentinel

from burki_sip.calls.async_connection import SentinelPrimary as ClosingSentinelClient

from support import RedisServer, free_port, redis_server_binary, required_binary, wait_until


def redis_cli_binary() -> str:
    """Path of redis-cli (Debian's redis-tools, which comes with redis-server)."""
    return required_binary("redis-cli", "redis-tools")


class ClusterServers:
    """Three redis-servers in cluster mode, each master of a third of the slots, no replicas."""

    def __init__(self, directory: Path, masters: int = 3, *extra_args: str) -> None:
        self.nodes = []
        for _ in range(masters):
            port = free_port()
            # An explicit bus port: the default (port + 10000) may not be free, or not even valid.
            self.nodes.append(RedisServer(
                port, "--cluster-enabled", "yes", "--cluster-port", str(free_port()),
                "--cluster-config-file", str(directory / f"nodes-{port}.conf"),
                "--dir", str(directory), "--cluster-node-timeout", "2000", *extra_args))

    @property
    def url(self) -> str:
        """A startup node's URL, as ``REDIS_URL`` names it with ``REDIS_CLUSTER=true``."""
        return f"redis://127.0.0.1:{self.nodes[0].port}"

    @property
    def settings(self) -> dict[str, str]:
        """The environment a service uses to reach this cluster."""
        return {"REDIS_URL": self.url, "REDIS_CLUSTER": "true"}

    def client(self) -> RedisCluster:
        """A new cluster client (``decode_responses=True``)."""
        return RedisCluster(host="127.0.0.1", port=self.nodes[0].port, decode_responses=True)

    def async_client(self) -> redis.asyncio.RedisCluster:
        """A new ``redis.asyncio`` cluster client (``decode_responses=True``)."""
        return redis.asyncio.RedisCluster(host="127.0.0.1", port=self.nodes[0].port,
                                          decode_responses=True)

    def start(self) -> "ClusterServers":
        """Start the nodes, join them with ``redis-cli --cluster create``, wait for state ok."""
        self.start_nodes()
        addresses = [f"127.0.0.1:{node.port}" for node in self.nodes]
        subprocess.run([redis_cli_binary(), "--cluster", "create", *addresses,
                        "--cluster-replicas", "0", "--cluster-yes"],
                       check=True, capture_output=True, timeout=60)
        probes = [node.client(socket_timeout=0.5) for node in self.nodes]
        wait_until(lambda: all(probe.cluster("info")["cluster_state"] == "ok" for probe in probes),
                   timeout=30, what="cluster_state:ok on every node")
        for probe in probes:
            probe.close()
        return self

    def start_nodes(self) -> None:
        """Start (or restart: each keeps its nodes.conf) every node, without creating a cluster."""
        for node in self.nodes:
            node.start()

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


class SentinelPrimary:
    """A password-protected primary (and optional replicas) watched by one Sentinel or more.

    Each Sentinel knows the others from the start (``known-sentinel``), so a majority can fail
    the primary over at once, without waiting for their hello messages.
    """

    MASTER = "burki-primary"
    PASSWORD = "primary-secret"
    SENTINEL_PASSWORD = "sentinel-secret"

    def __init__(self, directory: Path, replicas: int = 0, sentinels: int = 1,
                 failover_timeout_ms: int = 10000) -> None:
        self.directory = directory
        # No 5 s wait before a replica's first sync, no wait for replicas when stopping, and the
        # RDB a replica receives is written in the test's directory.
        self.quick = ("--repl-diskless-sync-delay", "0", "--shutdown-timeout", "0",
                      "--dir", str(directory))
        self.primary = RedisServer(None, *self.quick, password=self.PASSWORD)
        self.replicas = [RedisServer(None, *self.quick, "--replicaof", "127.0.0.1",
                                     str(self.primary.port), password=self.PASSWORD)
                         for _ in range(replicas)]
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.sentinel_port = self.sentinel_ports[0]
        self.failover_timeout_ms = failover_timeout_ms
        self.processes: list[subprocess.Popen] = []

    @property
    def settings(self) -> dict[str, str]:
        """The environment a service uses to reach the primary through the Sentinel."""
        return {"REDIS_URL": f"redis://:{self.PASSWORD}@{self.MASTER}/0",
                "REDIS_SENTINELS": ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports),
                "REDIS_SENTINEL_MASTER": self.MASTER,
                "REDIS_SENTINEL_PASSWORD": self.SENTINEL_PASSWORD}

    def sentinel(self) -> Sentinel:
        """A redis-py ``Sentinel`` of this setup."""
        return Sentinel([("127.0.0.1", port) for port in self.sentinel_ports],
                        password=self.PASSWORD,
                        decode_responses=True,
                        sentinel_kwargs={"password": self.SENTINEL_PASSWORD, "socket_timeout": 1})

    def client(self, sentinel: Sentinel | None = None) -> redis.Redis:
        """A new client of whichever server ``sentinel`` (default: a new one) names primary."""
        return (sentinel or self.sentinel()).master_for(self.MASTER, socket_timeout=2)

    def async_client(self) -> redis.asyncio.Redis:
        """A new ``redis.asyncio`` client of the primary; its ``aclose`` closes its Sentinel's
        connections too."""
        sentinel = redis.asyncio.sentinel.Sentinel(
            [("127.0.0.1", self.sentinel_port)], password=self.PASSWORD, decode_responses=True,
            sentinel_kwargs={"password": self.SENTINEL_PASSWORD, "socket_timeout": 1})
        return sentinel.master_for(self.MASTER, redis_class=ClosingSentinelClient,
                                   socket_timeout=2)

    def primary_port(self) -> int:
        """The port the Sentinel names for the primary right now."""
        sentinel = self.sentinel().sentinels[0]
        try:
            _, port = sentinel.sentinel_get_master_addr_by_name(self.MASTER)
        finally:
            sentinel.close()
        return int(port)

    def start(self) -> "SentinelPrimary":
        """Start the servers and the Sentinels; wait until each knows the primary, every replica
        and the other Sentinels."""
        for server in (self.primary, *self.replicas):
            server.start()
        ids = [f"{index + 1:040x}" for index in range(len(self.sentinel_ports))]
        for port, own_id in zip(self.sentinel_ports, ids):
            config = self.directory / f"sentinel-{port}.conf"
            config.write_text(self._config(port, own_id, ids))
            self.processes.append(subprocess.Popen(
                [redis_server_binary(), str(config), "--sentinel"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in self.sentinel_ports:
            wait_until(lambda: self._ready(port), timeout=30, what=f"sentinel on port {port}")
        return self

    def _config(self, port: int, own_id: str, ids: list[str]) -> str:
        name = self.MASTER
        others = [f"sentinel known-sentinel {name} 127.0.0.1 {other_port} {other_id}"
                  for other_port, other_id in zip(self.sentinel_ports, ids) if other_id != own_id]
        return "\n".join([
            f"port {port}", "bind 127.0.0.1", f"dir {self.directory}", f"sentinel myid {own_id}",
            f"requirepass {self.SENTINEL_PASSWORD}",
            f"sentinel monitor {name} 127.0.0.1 {self.primary.port} "
            f"{len(self.sentinel_ports) // 2 + 1}",
            f"sentinel auth-pass {name} {self.PASSWORD}",
            f"sentinel down-after-milliseconds {name} 1000",
            f"sentinel failover-timeout {name} {self.failover_timeout_ms}", *others, ""])

    def _ready(self, port: int) -> bool:
        probe = redis.Redis("127.0.0.1", port, password=self.SENTINEL_PASSWORD,
                            socket_timeout=0.5, decode_responses=True)
        try:
            known = probe.sentinel_slaves(self.MASTER)
            usable = [replica for replica in known if replica["flags"] == "slave"]
            others = probe.sentinel_master(self.MASTER)["num-other-sentinels"]
            return (len(usable) >= len(self.replicas) and others == len(self.sentinel_ports) - 1
                    and all(map(self._replicating, self.replicas)))
        except redis.RedisError:
            return False
        finally:
            probe.close()

    @staticmethod
    def _replicating(replica: RedisServer) -> bool:
        probe = replica.client(socket_timeout=0.5)
        try:
            return probe.info("replication").get("master_link_status") == "up"
        finally:
            probe.close()

    def lose_primary(self) -> int:
        """Stop the primary; return the port of the replica the Sentinel promotes instead."""
        old = self.primary_port()
        self.primary.stop()
        return wait_until(lambda: self._promoted(old), timeout=30, what="a new primary")

    def _promoted(self, old: int) -> int | None:
        # The way redis-py asks: only a primary that the Sentinel no longer flags as down.
        try:
            _, port = self.sentinel().discover_master(self.MASTER)
        except MasterNotFoundError:
            return None
        return port if port != old else None

    def stop(self) -> None:
        """Stop the Sentinels and every server."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=10)
        self.processes = []
        for server in (*self.replicas, self.primary):
            server.stop()
