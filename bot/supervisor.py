"""`desk run`'s process supervisor: honcho's output multiplexing, plus restarts.

honcho stops every process as soon as one exits; a desk must keep serving instead. A
process that exits is started again after a back-off (1 s, doubling to 30 s, back to
1 s once it has run for 30 s), so a crash loop does not spin; Ctrl-C (or SIGTERM) still
stops everything, forcefully after a grace period.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import time
from typing import Any

from honcho.manager import KILL_WAIT, SIGNALS, Manager

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 30.0
STABLE_AFTER_S = 30.0


class Supervisor(Manager):  # type: ignore[misc]  # honcho has no type hints
    """Runs the processes until a signal, restarting any that exits."""

    def __init__(self, printer: Any = None, *, first_delay_s: float = FIRST_DELAY_S) -> None:
        super().__init__(printer)
        self.first_delay_s = first_delay_s
        self.restarts: dict[str, int] = {}
        self._delay: dict[str, float] = {}
        self._restart_at: dict[str, float] = {}
        self._started_at: dict[str, float] = {}

    def loop(self) -> None:
        """Starts every process and supervises them until SIGINT/SIGTERM."""

        def _terminate(signum: int, _frame: Any) -> None:
            self._system_print(f"{SIGNALS[signum]['name']} received\n")
            self.returncode = SIGNALS[signum]["rc"]
            self.terminate()

        signal.signal(signal.SIGTERM, _terminate)
        signal.signal(signal.SIGINT, _terminate)
        self._start()
        now = time.monotonic()
        for name in self._processes:
            self._started_at[name] = now
        stopping_since: float | None = None
        while True:
            try:
                message = self.events.get(timeout=0.1)
            except queue.Empty:
                message = None
            if message is not None:
                self._on(message)
            now = time.monotonic()
            if not self._terminating:
                for name, at in list(self._restart_at.items()):
                    if now >= at:
                        del self._restart_at[name]
                        self._restart(name)
                continue
            if stopping_since is None:
                stopping_since = now
            if all(_stopped(p) for p in self._processes.values()):
                break
            if now - stopping_since > KILL_WAIT:
                self.kill()

    def _on(self, message: Any) -> None:
        name = message.name
        if message.type == "line":
            self._printer.write(message)
        elif message.type == "start":
            self._processes[name]["pid"] = message.data["pid"]
            self._system_print(f"{name} started (pid={message.data['pid']})\n")
            if self._terminating:  # started while everything stops: stop it too
                self._procmgr.terminate(message.data["pid"])
        elif message.type == "stop":
            process = self._processes[name]
            process["returncode"] = message.data["returncode"]
            if self._terminating:
                self._system_print(f"{name} stopped (rc={message.data['returncode']})\n")
                return
            ran = time.monotonic() - self._started_at.get(name, 0.0)
            if ran >= STABLE_AFTER_S or name not in self._delay:
                delay = self.first_delay_s
            else:
                delay = min(self._delay[name] * 2, MAX_DELAY_S)
            self._delay[name] = delay
            self._restart_at[name] = time.monotonic() + delay
            self._system_print(
                f"{name} stopped (rc={message.data['returncode']}); restarting in {delay:.1f} s\n"
            )

    def _restart(self, name: str) -> None:
        process = self._processes[name]
        process.pop("pid", None)
        process.pop("returncode", None)
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self._started_at[name] = time.monotonic()
        process["process"] = multiprocessing.Process(
            name=name, target=process["obj"].run, args=(self.events, True)
        )
        process["process"].start()

    def _killall(self, force: bool = False) -> None:
        # Processes between a stop and their restart have no live pid: skip them.
        for name, process in self._processes.items():
            if "returncode" in process or "pid" not in process:
                continue
            signame = "SIGKILL" if force else "SIGTERM"
            self._system_print(f"sending {signame} to {name} (pid {process['pid']})\n")
            if force:
                self._procmgr.kill(process["pid"])
            else:
                self._procmgr.terminate(process["pid"])


def _stopped(process: dict[str, Any]) -> bool:
    """Exited, or never (re)started before the stop."""
    return "returncode" in process or ("pid" not in process and not _alive(process))


def _alive(process: dict[str, Any]) -> bool:
    runner = process.get("process")
    return bool(runner is not None and runner.is_alive())
