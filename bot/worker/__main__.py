"""`python -m bot.worker`: the worker process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal

from bot import logs
from bot.config import get_settings
from bot.worker.runner import Worker


async def _main() -> None:
    settings = get_settings()
    logs.setup(settings.log_level, "worker")
    worker = Worker(settings)
    # Modules and settings live as long as the process: keep them out of the collector's
    # full passes (as the gateway does).
    gc.collect()
    gc.freeze()
    task = asyncio.create_task(worker.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


if __name__ == "__main__":
    try:
        import uvloop  # with uvicorn[standard], as the gateway's loop
    except ImportError:  # pragma: no cover - platforms without uvloop
        asyncio.run(_main())
    else:
        uvloop.run(_main())
