"""A worker stops within bounded time even when Redis no longer answers (a primary gone
without closing its connections, right after a fail-over) or a consumer is slow to stop."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.queue import EventQueue
from bot.worker import runner
from bot.worker.runner import Worker


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections are taken (by the kernel) and never answered."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        yield int(server.getsockname()[1])


async def test_a_worker_stops_though_redis_does_not_answer(
    settings: Settings, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "STOP_STEP_S", 0.5)
    worker = Worker(settings)
    # The worker's own timeout (10 s) for each lease released and for leaving the members.
    worker.redis = Redis(host="127.0.0.1", port=silent_port, socket_timeout=10)
    worker.queue = EventQueue(worker.redis, prefix=settings.redis_prefix, partitions=8)
    stubborn_cancelled = asyncio.Event()

    async def stubborn() -> None:
        """A consumer that takes one cancellation for something else, and goes on."""
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stubborn_cancelled.set()
        await asyncio.sleep(3600)

    worker.tasks = {p: asyncio.create_task(asyncio.sleep(3600)) for p in range(7)}
    worker.tasks[7] = asyncio.create_task(stubborn())
    lost = asyncio.create_task(asyncio.sleep(3600))
    worker.dropped.add(lost)
    await asyncio.sleep(0)
    started = time.monotonic()
    try:
        await asyncio.wait_for(worker.stop(), 10)
        took = time.monotonic() - started
    finally:
        worker.tasks[7].cancel()
    # Three bounded steps: the consumers, handing the leases back, closing the clients.
    assert took < 3 * 0.5 + 1.0
    assert stubborn_cancelled.is_set() and lost.cancelled()
    assert all(worker.tasks[p].cancelled() for p in range(7))
