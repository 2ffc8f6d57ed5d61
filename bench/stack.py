"""The desk's processes for benchmarks (same launcher as `make run` and the tests)."""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

import httpx

from bot import devstack
from bot.config import ROOT, Settings


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> list[int]:
    """A process's children, grandchildren, … (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Stack:
    """Starts the desk on free ports against `database_url` and the machine's Redis."""

    def __init__(self, database_url: str, *, rest_channel: bool = False) -> None:
        gateway, standin, rasa, actions = (free_port() for _ in range(4))
        prefix = f"deskbench{uuid.uuid4().hex[:6]}"
        self.workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
        self.settings = Settings(
            desk_env="test",
            database_url=database_url,
            redis_url="redis://127.0.0.1:6379/8",
            redis_prefix=prefix,
            rasa_url=f"http://127.0.0.1:{rasa}",
            action_server_url=f"http://127.0.0.1:{actions}/webhook",
            line_api_base=f"http://127.0.0.1:{standin}",
            standin_port=standin,
            standin_webhook_url=f"http://127.0.0.1:{gateway}/line/webhook",
            gateway_port=gateway,
            worker_id=f"{prefix}-worker",
            log_level="WARNING",
            # Models a benchmark trains stay out of the project's registry.
            nlu_models_dir=self.workdir / "registry",
            nlu_work_dir=self.workdir / "nlu",
        )
        credentials = None
        if rest_channel:
            # Rasa's own REST channel beside ours, for the comparison only.
            credentials = self.workdir / "credentials.yml"
            credentials.write_text(
                (ROOT / "credentials.yml").read_text() + "\nrest: {}\n", encoding="utf-8"
            )
        self.procs = devstack.processes(
            self.settings, with_redis=False, with_standin=True, credentials=credentials
        )
        self.env = devstack.base_env(self.settings, {"PROMETHEUS_MULTIPROC_DIR": str(self.workdir)})
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def gateway(self) -> str:
        """Gateway base URL."""
        return f"http://127.0.0.1:{self.settings.gateway_port}"

    @property
    def line(self) -> str:
        """LINE stand-in base URL."""
        return self.settings.line_api_base

    def __enter__(self) -> Stack:
        log = (self.workdir / "stack.log").open("ab")
        for proc in self.procs:
            self.running[proc.name] = subprocess.Popen(
                proc.argv, env={**self.env, **proc.env}, cwd=ROOT, stdout=log, stderr=log
            )
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.gateway}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"the desk did not become healthy; see {self.workdir}/stack.log")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for process in reversed(list(self.running.values())):
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
