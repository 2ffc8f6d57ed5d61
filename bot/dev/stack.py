"""The whole desk as real processes on free local ports: the one launcher the tests
(tests/support/stack.py) and the benchmarks (bench/stack.py) share.

It starts exactly what `make run` starts (bot.devstack.processes: LINE stand-in, Rasa,
action server, worker, gateway), with settings of its own: a database and a Redis key
prefix the caller names, and free ports, so several stacks never meet.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from bot import devstack
from bot.config import ROOT, Settings


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free TCP ports on 127.0.0.1."""
    for _ in range(100):
        first = free_port()
        with contextlib.ExitStack() as held:
            try:
                for port in range(first, first + count):
                    held.enter_context(socket.socket()).bind(("127.0.0.1", port))
            except OSError:
                continue
        return first
    raise RuntimeError(f"no {count} consecutive free ports")


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Polls `check` until it returns something truthy; fails with `what` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")


def local_settings(
    database_url: str,
    redis_url: str,
    redis_prefix: str,
    *,
    rasa: int = 1,
    gateways: int = 1,
    **overrides: Any,
) -> Settings:
    """Settings for a stack on free ports against `database_url` and `redis_url`, with
    `rasa` Rasa servers and `gateways` gateways (bot.devstack.scaled)."""
    gateway, rasa_port = free_ports(gateways), free_ports(rasa)
    standin, actions = free_port(), free_port()
    values: dict[str, Any] = {
        "desk_env": "test",
        "database_url": database_url,
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "rasa_url": f"http://127.0.0.1:{rasa_port}",
        "action_server_url": f"http://127.0.0.1:{actions}/webhook",
        "line_api_base": f"http://127.0.0.1:{standin}",
        "standin_port": standin,
        "standin_webhook_url": f"http://127.0.0.1:{gateway}/line/webhook",
        "gateway_port": gateway,
        "worker_id": f"{redis_prefix}-worker",
        **overrides,
    }
    return devstack.scaled(Settings(**values), rasa=rasa, gateways=gateways)


class LocalDesk:
    """The desk's processes for `settings`, each logging to LOGS/NAME.log."""

    def __init__(
        self,
        settings: Settings,
        *,
        logs: Path,
        env: dict[str, str] | None = None,
        model: Path | None = None,
        credentials: Path | None = None,
        workers: int = 1,
        gateways: int = 1,
    ) -> None:
        self.settings = settings
        self.logs = logs
        self.env = devstack.base_env(settings, env or {})
        procs = devstack.processes(
            settings,
            with_redis=False,
            with_standin=True,
            model=model,
            credentials=credentials,
            workers=workers,
            gateways=gateways,
        )
        self.procs = {p.name: p for p in procs}
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.gateways = [
            f"http://127.0.0.1:{port}" for port in devstack.gateway_ports(settings, gateways)
        ]

    @property
    def gateway(self) -> str:
        """Base URL of the (first) gateway."""
        return self.gateways[0]

    def add_worker(self, name: str) -> None:
        """Starts one more worker (`worker.N`), as an operator scaling out would."""
        self.procs[name] = devstack.worker_proc(self.settings, name)
        self.start(name)

    @property
    def line(self) -> str:
        """Base URL of the LINE stand-in."""
        return self.settings.line_api_base

    def start(self, name: str) -> None:
        """Starts one process."""
        proc = self.procs[name]
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        self.running[name] = subprocess.Popen(
            proc.argv, env={**self.env, **proc.env}, cwd=ROOT, stdout=log, stderr=log
        )

    def start_all(self, timeout: float = 240) -> None:
        """Starts every process and waits until /healthz says each part is ready."""
        for name in self.procs:
            self.start(name)
        try:
            self.wait_healthy(timeout)
        except AssertionError:
            self.stop_all()
            raise

    def stop(self, name: str, kill: bool = False) -> None:
        """Stops one process: SIGTERM (or SIGKILL, like a crash) and waits."""
        process = self.running.pop(name, None)
        if process is None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        """Stops every process, gateway first."""
        for name in reversed(list(self.running)):
            self.stop(name)

    def health(self) -> dict[str, Any]:
        """The gateway's /healthz body (status code under 'http')."""
        try:
            response = httpx.get(f"{self.gateway}/healthz", timeout=5)
        except httpx.HTTPError as error:
            return {"http": None, "error": type(error).__name__}
        return {"http": response.status_code, **response.json()}

    def wait_healthy(self, timeout: float = 180) -> None:
        """Waits until /healthz says every part is ready."""
        wait_for(lambda: self.health().get("http") == 200, timeout, "a healthy desk", every=0.5)

    def wait_component(self, name: str, ok: bool, timeout: float = 120) -> None:
        """Waits until one component of /healthz is (or is not) ready."""

        def check() -> bool:
            health = self.health()
            return bool(health.get("components", {}).get(name, {}).get("ok")) == ok

        wait_for(check, timeout, f"{name} ok={ok}", every=0.5)

    def __enter__(self) -> Self:
        self.start_all()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop_all()
