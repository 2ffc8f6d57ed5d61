"""Redis Sentinel: the queue and the console's pub/sub follow a fail-over.

A primary, its replica and one Sentinel run from the machine's redis-server
(tests/support/sentinel.py). The primary is killed with SIGKILL in the middle of a
stream of citizens' messages; the Sentinel promotes the replica; every message is
handled exactly once. With the replica lagging first, the new primary lacks entries
the old one had acknowledged (asynchronous replication): the sweeper brings those
back from PostgreSQL, the source of truth. Also: PostgreSQL pool sizes from the process
counts (bot.db.pool_limits).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import live, queue, redis_client
from bot.config import Settings
from bot.context import Context
from bot.db import make_engine, make_sessionmaker, pool_limits
from bot.line import service
from bot.line.models import InboundEvent
from bot.queue import Entry, EventQueue
from bot.worker import runner, store
from tests.support.sentinel import SentinelSet, sentinel_set, wait_until
from tests.support.stack import fresh_database

pytestmark = pytest.mark.processes

CITIZENS = 20
EVENTS = 240
BURST = 4  # events per webhook request
HANDLING_S = 0.01  # a worker's time per event (stands for Rasa's turn)


@pytest.fixture
def redis_set(tmp_path: Path) -> Iterator[SentinelSet]:
    """A primary, its replica and one Sentinel, on free ports."""
    with sentinel_set(tmp_path / "redis") as found:
        yield found


@pytest.fixture
def pg(migrated_template: str) -> Iterator[sessionmaker[Session]]:
    """A migrated PostgreSQL database of the test's own."""
    with fresh_database("desk_sentinel", template=migrated_template) as url:
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()


def sentinel_settings(found: SentinelSet, sessions: sessionmaker[Session]) -> Settings:
    """The desk's settings with Sentinel: REDIS_URL gives only the database number."""
    return Settings(
        database_url=sessions.kw["bind"].url.render_as_string(hide_password=False),
        redis_url="redis://desk/0",
        redis_sentinels=found.sentinels,
        redis_sentinel_service="desk",
        redis_prefix=f"sentinel{uuid.uuid4().hex[:6]}",
        queue_partitions=4,
        worker_id="w1",
        worker_heartbeat_s=0.5,
        retry_max_delay_s=1.0,
    )


def webhook_event(user: str, n: int) -> dict[str, Any]:
    """A citizen's text message as LINE delivers it."""
    return {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000 + n,
        "webhookEventId": f"01SENTINEL{uuid.uuid4().hex[:16].upper()}",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "source": {"type": "user", "userId": user},
        "message": {"type": "text", "id": str(n), "quoteToken": "q", "text": f"ข้อความ {n}"},
    }


class Recorder:
    """The worker's handler, minus Rasa and LINE: the same guard as bot.worker.handler
    (an event the database says is finished is never handled again), and a record of
    each answer a citizen would get."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.answered: list[int] = []
        self.redelivered = 0

    async def handle(self, event_id: int) -> str:
        """Handles one stored event once."""
        event = await asyncio.to_thread(store.load, self.sessions, event_id)
        if event is None or event.status in store.FINAL:
            self.redelivered += 1
            return "already_handled"
        await asyncio.to_thread(store.start, self.sessions, event_id)
        await asyncio.sleep(HANDLING_S)
        self.answered.append(event_id)
        await asyncio.to_thread(store.finish, self.sessions, event_id, "done")
        return "done"


class SweptQueue(EventQueue):
    """The worker's queue, noting what the sweeper re-enqueued."""

    swept: list[int]
    # While set, the worker reads nothing: the entries queued meanwhile are still waiting
    # when the primary dies, whatever the machine's speed.
    paused: threading.Event | None = None

    async def publish(self, items: list[tuple[str, int]]) -> None:
        """Enqueues as the queue does, and notes the event ids."""
        await super().publish(items)
        self.swept.extend(event_id for _, event_id in items)

    async def read(self, partition: int, *, block_ms: int, count: int = 10) -> list[Entry]:
        """Reads as the queue does, unless paused."""
        if self.paused is not None and self.paused.is_set():
            await asyncio.sleep(0.05)
            return []
        return await super().read(partition, block_ms=block_ms, count=count)


def statuses(sessions: sessionmaker[Session], ids: list[int]) -> Counter[str]:
    """How many of the events are in each status."""
    with sessions() as session:
        rows = session.execute(
            select(InboundEvent.status, func.count())
            .where(InboundEvent.id.in_(ids))
            .group_by(InboundEvent.status)
        ).all()
    return Counter({status: count for status, count in rows})


@pytest.mark.parametrize("replica_lags", [False, True], ids=["in-sync", "replica-lagging"])
async def test_a_fail_over_mid_stream_loses_and_doubles_no_message(
    redis_set: SentinelSet,
    pg: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    replica_lags: bool,
) -> None:
    settings = sentinel_settings(redis_set, pg)
    # The sweeper's period and age threshold, shortened from 30 s and 60 s.
    monkeypatch.setattr(runner, "SWEEP_EVERY_S", 0.5)
    monkeypatch.setattr(runner, "SWEEP_RECEIVED_AFTER", timedelta(seconds=4))

    # The gateway's side: each webhook's events committed, then queued (bot.context), by
    # the gateway's own client (2 s socket timeouts).
    gateway = Context(settings, sessions=pg)
    users = [f"U{uuid.uuid4().hex}" for _ in range(CITIZENS)]
    produced: list[int] = []
    during_lag: list[int] = []
    unreplicated: list[int] = []
    lagging = threading.Event()  # set from the thread that runs the fail-over

    async def webhooks() -> None:
        for first in range(0, EVENTS, BURST):
            raws = [webhook_event(users[n % CITIZENS], n) for n in range(first, first + BURST)]

            def store_batch(session: Session, raws: list[dict[str, Any]] = raws) -> list[int]:
                items = service.store_events(session=session, events=raws)
                queue.after_commit(session, items)
                return [event_id for _, event_id in items]

            ids = await gateway.transaction(store_batch)
            produced.extend(ids)
            if lagging.is_set():
                during_lag.extend(ids)
            await asyncio.sleep(0.05)  # LINE's pace (80 messages/s), not a wait

    # The worker: its own leases, consumer loops, acknowledgements, retries and sweeper.
    worker = runner.Worker(settings)
    worker.sessions = pg
    worker.redis = redis_client.connect(settings, socket_timeout=10)
    swept = SweptQueue(worker.redis, prefix=settings.redis_prefix, partitions=4)
    swept.swept = []
    swept.paused = lagging
    worker.queue = swept
    recorder = Recorder(pg)
    worker.handler = recorder  # type: ignore[assignment]
    await worker._ensure_groups()

    consuming = asyncio.gather(worker._lease_loop(), worker._sweep_loop())
    sending = asyncio.ensure_future(webhooks())
    try:
        await asyncio.to_thread(
            wait_until, lambda: len(produced) >= EVENTS // 3, 60, "a third of the messages"
        )

        def lag_until() -> bool:
            # The old primary has acknowledged writes the replica never got, and some
            # of those messages are not picked up yet: their queue entries die with it.
            lagging.set()
            queued = list(during_lag)  # committed and queued, the primary still up
            if len(queued) >= 2 * BURST and statuses(pg, queued)["received"] >= 2:
                unreplicated.extend(queued)
                return True
            return False

        took = await asyncio.to_thread(
            redis_set.fail_over, 30, lag_until=lag_until if replica_lags else None
        )
        lagging.clear()
        await asyncio.wait_for(sending, 60)
        await asyncio.to_thread(
            wait_until,
            lambda: statuses(pg, produced)["done"] == len(produced),
            90,
            "every message to be handled",
        )
    finally:
        # As Worker.run stops: the loops, then the worker (consumers, leases, clients).
        consuming.cancel()
        sending.cancel()
        await asyncio.gather(consuming, sending, return_exceptions=True)
        stopping = time.monotonic()
        await worker.stop()
        stopped_in = time.monotonic() - stopping
        await gateway.aclose()

    refused = sum(
        BURST for r in caplog.records if r.getMessage().startswith("events not queued now")
    )
    handled = Counter(recorder.answered)
    lost = [event_id for event_id in produced if event_id not in handled]
    doubled = [event_id for event_id, count in handled.items() if count > 1]
    print(
        f"\nfail-over {took:.2f} s; {len(produced)} messages, lost {len(lost)}, "
        f"doubled {len(doubled)}; not queued while Redis was down {refused}; queued but "
        f"never replicated {len(unreplicated)}; swept back {len(set(swept.swept))} (of them "
        f"{len(set(swept.swept) & set(unreplicated))} never replicated); handled already, "
        f"skipped {recorder.redelivered}"
    )
    assert len(produced) == EVENTS
    assert lost == [] and doubled == []
    # Each of its three steps is bounded (runner.STOP_STEP_S), whatever Redis does.
    assert stopped_in < 3 * runner.STOP_STEP_S + 1
    if replica_lags:
        # The test saw the loss it is about: entries the new primary never had.
        assert set(swept.swept) & set(unreplicated)


async def test_console_updates_reach_a_console_again_after_a_fail_over(
    redis_set: SentinelSet, pg: sessionmaker[Session]
) -> None:
    settings = sentinel_settings(redis_set, pg)
    prefix = settings.redis_prefix
    # Long-lived clients, made before the fail-over: a worker's and a gateway's.
    publisher = redis_client.connect(settings)
    gateway = redis_client.connect(settings)

    async def receives(pubsub: Any, text: str) -> bool:
        """Whether an update published now reaches the subscription."""
        await live.publish(publisher, prefix, "bma", {"type": "message", "text": text})
        for _ in range(20):
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                return bool(json.loads(message["data"])["text"] == text)
        return False

    console = gateway.pubsub()
    try:
        await console.psubscribe(*live.scope_patterns(prefix, ["bma"]))
        assert await receives(console, "before")

        await asyncio.to_thread(redis_set.fail_over)
        # During the switch an update is only logged (live.publish never raises), and
        # the console's stream ends on the Redis error (bot/console/stream.py); the
        # browser's EventSource opens a new one, subscribed through the same client.
        await live.publish(publisher, prefix, "bma", {"type": "message", "text": "lost"})
        await console.aclose()

        async def subscribed_again() -> Any:
            while True:
                fresh = gateway.pubsub()
                try:
                    await fresh.psubscribe(*live.scope_patterns(prefix, ["bma"]))
                    return fresh
                except RedisError:
                    await fresh.aclose()
                    await asyncio.sleep(0.1)

        console = await asyncio.wait_for(subscribed_again(), 30)
        got = False
        for attempt in range(50):
            got = await receives(console, f"after {attempt}")
            if got:
                break
        assert got
        assert redis_set.master_port() == redis_set.primary
    finally:
        await console.aclose()
        await publisher.aclose()
        await gateway.aclose()


@pytest.mark.parametrize(
    ("max_connections", "processes"), [(100, 5), (100, 27), (300, 27), (500, 27), (1000, 7)]
)
def test_pool_sizes_keep_every_process_at_its_peak_within_max_connections(
    max_connections: int, processes: int
) -> None:
    pool_size, max_overflow = pool_limits(max_connections=max_connections, processes=processes)
    assert pool_size >= 1 and max_overflow >= 0
    at_most = processes * (pool_size + max_overflow)
    assert max_connections - processes - 5 < at_most <= max_connections - 5


def test_too_many_processes_for_the_connections_is_refused() -> None:
    with pytest.raises(ValueError, match="PgBouncer"):
        pool_limits(max_connections=50, processes=30)
