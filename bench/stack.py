"""The desk's processes for benchmarks: the launcher `make run`'s process table and the
tests share (bot.dev.stack), with a database and Redis key prefix of the benchmark's own."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from bot.config import ROOT
from bot.dev.stack import LocalDesk, free_port, local_settings

__all__ = ["Stack", "descendants", "free_port"]


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


class Stack(LocalDesk):
    """The desk on free ports against `database_url` and the machine's Redis (database 8);
    its logs, metrics and any model it trains stay in a temporary folder."""

    def __init__(
        self,
        database_url: str,
        *,
        rest_channel: bool = False,
        rasa: int = 1,
        workers: int = 1,
        gateways: int = 1,
    ) -> None:
        prefix = f"deskbench{uuid.uuid4().hex[:6]}"
        self.workdir = Path(tempfile.mkdtemp(prefix="desk-bench-"))
        settings = local_settings(
            database_url,
            "redis://127.0.0.1:6379/8",
            prefix,
            rasa=rasa,
            gateways=gateways,
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
        super().__init__(
            settings,
            logs=self.workdir,
            env={"PROMETHEUS_MULTIPROC_DIR": str(self.workdir)},
            credentials=credentials,
            workers=workers,
            gateways=gateways,
        )
