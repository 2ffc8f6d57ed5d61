"""`desk run` keeps the desk serving: a process that dies is restarted, with back-off,
while the others run on; Ctrl-C still stops everything."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from bot.config import ROOT
from tests.support.stack import wait_for

pytestmark = pytest.mark.processes

SCRIPT = """
import sys
from bot.supervisor import Supervisor

python = sys.executable
manager = Supervisor(first_delay_s=0.2)
manager.add_process(
    "steady",
    python + " -c 'import os, time; print(os.getpid(), flush=True); time.sleep(600)'",
)
manager.add_process(
    "crashy", python + " -c 'print(\\"crashy up\\", flush=True); raise SystemExit(3)'"
)
manager.loop()
sys.exit(manager.returncode or 0)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_dead_process_is_restarted_and_ctrl_c_stops_everything() -> None:
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []

    def read() -> None:
        assert supervisor.stdout is not None
        for line in supervisor.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(
            lambda: sum("crashy up" in line for line in lines) >= 3,
            30,
            "the crashing process to be started three times",
        )
        steady = [line for line in lines if "steady | " in line]
        assert len(steady) == 1, lines  # the others were never stopped
        pid = int(steady[0].split()[-1])
        assert _alive(pid)
        restarts = [line for line in lines if "crashy stopped (rc=3); restarting in" in line]
        assert len(restarts) >= 2
        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(15) == 130
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    wait_for(lambda: not _alive(pid), 10, "the steady process to stop with the supervisor")
    reader.join(5)
