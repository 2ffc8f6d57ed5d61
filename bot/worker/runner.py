"""The worker process: partition leases, one consumer loop per held partition, a sweeper."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

import httpx
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot import live, messages, metrics, redis_client
from bot.config import Settings
from bot.db import aware, make_engine, make_sessionmaker, migrate, unit_of_work, utcnow
from bot.line import service
from bot.line.client import LineChannel
from bot.queue import Entry, EventQueue, share
from bot.tickets import service as tickets
from bot.worker import store
from bot.worker.handler import Handler, RetryLater
from bot.worker.rasa import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

# A partition's lease and a worker's membership both last this many heartbeats: a worker
# killed outright loses both at once, and the others share its partitions out.
LEASE_HEARTBEATS = 3
SWEEP_EVERY_S = 30.0
# Stored events never picked up (enqueue failed, Redis lost its streams) are re-enqueued.
SWEEP_RECEIVED_AFTER = timedelta(seconds=60)
SWEEP_STUCK_AFTER = timedelta(minutes=10)
WORKER_REDIS_TIMEOUT_S = 10.0
# A stored event is queued within this long (after its transaction commits).
QUEUED_WITHIN_S = 2.0
# Each step of a stop waits at most this long: a worker being stopped after a fail-over
# must not wait on a Redis that does not answer (its leases expire by themselves).
STOP_STEP_S = 5.0
# Pooled connections idle this long are pinged before use (bot.db.make_engine); a busy
# worker's are not: one that died in use fails that try, and the event is retried.
PING_AFTER_IDLE_S = 10.0


def heartbeat_key(prefix: str) -> str:
    """Sorted set of worker ids by their last heartbeat (seconds since the epoch)."""
    return f"{prefix}:workers"


class Worker:
    """Runs until cancelled."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.owner = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.tasks: dict[int, asyncio.Task[None]] = {}
        # Consumers of partitions whose lease was lost, cancelled and not yet finished.
        self.dropped: set[asyncio.Task[None]] = set()
        # Clients closed by `stop` (made by `run`).
        self.channel: LineChannel | None = None
        self.rasa: RasaClient | None = None
        # Set when a partition goes to another worker: its consumer stops after the entry
        # in hand (the rest stays pending, for the next holder) and gives the lease back.
        self.leaving: dict[int, asyncio.Event] = {}
        self.lease_s = LEASE_HEARTBEATS * settings.worker_heartbeat_s

    async def run(self) -> None:
        """Starts the clients, then leases, consumes and sweeps until cancelled."""
        settings = self.settings
        await asyncio.to_thread(migrate, settings.database_url)
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            ping_after_idle_s=PING_AFTER_IDLE_S,
        )
        self.sessions = make_sessionmaker(engine)
        # A timeout well above the queue's 1 s blocking read: a primary that vanished
        # without closing its connections (a dead host) is left for the new one.
        self.redis = redis_client.connect(settings, socket_timeout=WORKER_REDIS_TIMEOUT_S)
        self.queue = EventQueue(
            self.redis, prefix=settings.redis_prefix, partitions=settings.queue_partitions
        )
        self.channel = channel = LineChannel(settings)
        self.rasa = rasa = RasaClient(
            base_urls=settings.rasa_servers(),
            token=settings.rasa_token,
            timeout_s=settings.rasa_timeout_s,
        )
        self.handler = Handler(
            settings=settings,
            sessions=self.sessions,
            channel=channel,
            rasa=rasa,
            forget=self._forget,
            publish=self._publish,
        )
        logger.info("worker %s starting: %d partitions", self.owner, settings.queue_partitions)
        try:
            await self._ensure_groups()
            await asyncio.gather(self._lease_loop(), self._sweep_loop())
        finally:
            await self.stop()
            engine.dispose()
            logger.info("worker %s stopped", self.owner)

    async def stop(self) -> None:
        """Stops the consumers, hands leases and membership back, closes the clients.

        Every step is bounded (STOP_STEP_S): right after a Redis fail-over a command may
        wait on the Sentinels or on a primary that no longer answers, and what is not
        handed back expires within LEASE_HEARTBEATS heartbeats anyway.
        """
        consumers = {*self.tasks.values(), *self.dropped}
        for task in consumers:
            task.cancel()
        if consumers:
            done, stuck = await asyncio.wait(consumers, timeout=STOP_STEP_S)
            for task in done:  # retrieved, as the gather with return_exceptions did
                _ = task.cancelled() or task.exception()
            if stuck:
                logger.error("worker %s: %d consumers did not stop", self.owner, len(stuck))
        await self._bounded("hand back", self._hand_back())
        await self._bounded("close the clients", self._close_clients())

    async def _hand_back(self) -> None:
        """Releases every lease still held (one round trip), then leaves the members."""
        await self.queue.release_all(list(self.tasks), self.owner)
        await self.redis.zrem(heartbeat_key(self.settings.redis_prefix), self.owner)

    async def _close_clients(self) -> None:
        if self.channel is not None:
            await self.channel.close()
        if self.rasa is not None:
            await self.rasa.close()
        await self.redis.aclose()

    async def _bounded(self, what: str, step: Coroutine[Any, Any, None]) -> None:
        try:
            await asyncio.wait_for(step, STOP_STEP_S)
        except (RedisError, TimeoutError) as error:
            logger.warning("worker %s: %s: %s", self.owner, what, type(error).__name__)

    async def _ensure_groups(self) -> None:
        """Creates the queue's groups, waiting for Redis if it is down."""
        delay = 0.5
        while True:
            try:
                await self.queue.ensure_groups()
                return
            except RedisError as error:
                logger.error(
                    "worker: redis unavailable (%s), retry in %.1fs", type(error).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_delay_s)

    async def _lease_loop(self) -> None:
        while True:
            try:
                await self._rebalance()
            except RedisError as error:
                logger.error("worker: redis unavailable for leases: %s", type(error).__name__)
            await asyncio.sleep(self.settings.worker_heartbeat_s)

    async def _members(self) -> list[str]:
        """Beats this worker's heartbeat; the workers with a recent one (this one too)."""
        key = heartbeat_key(self.settings.redis_prefix)
        now = time.time()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(key, {self.owner: now})
            # Workers named by pid leave one entry per life: forget long-gone ones.
            pipe.zremrangebyscore(key, "-inf", now - 100 * self.lease_s)
            pipe.zrangebyscore(key, now - self.lease_s, "+inf")
            *_, members = await pipe.execute()
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    async def _rebalance(self) -> None:
        """Holds this worker's share of the partitions (bot.queue.share) and hands the
        rest over: a worker joining gets its share within a few heartbeats, and the
        partitions of one that stopped beating are taken once its leases expire."""
        mine = share(await self._members(), self.settings.queue_partitions, self.owner)
        ttl_ms = int(self.lease_s * 1000)
        for partition in range(self.settings.queue_partitions):
            task = self.tasks.get(partition)
            if partition not in mine:
                if task is None:
                    continue
                if task.done():  # handed over (its consumer released the lease)
                    del self.tasks[partition]
                    await self.queue.release(partition, self.owner)
                    continue
                self.leaving[partition].set()
                # Kept while the entry in hand finishes, so nobody handles it twice.
                renewed = await self.queue.renew(partition, self.owner, ttl_ms)
                if not renewed and not task.done():  # (done: its consumer just released it)
                    self._drop(partition)
                continue
            held = await self.queue.acquire(partition, self.owner, ttl_ms)
            if held and (task is None or task.done()):
                self.leaving[partition] = asyncio.Event()
                self.tasks[partition] = asyncio.create_task(self._consume(partition))
            elif held and task is not None:
                self.leaving[partition].clear()  # ours again before its consumer stopped
            elif not held and task is not None:
                self._drop(partition)

    def _drop(self, partition: int) -> None:
        """Stops consuming a partition whose lease another worker holds now."""
        logger.warning("worker %s: lost the lease of partition %d", self.owner, partition)
        task = self.tasks.pop(partition)
        task.cancel()
        # Kept until it has finished, so that a stop waits for it too.
        self.dropped.add(task)
        task.add_done_callback(self.dropped.discard)

    async def _consume(self, partition: int) -> None:
        leaving = self.leaving[partition]
        delay = 0.5
        while not leaving.is_set():
            try:
                entries = await self.queue.read(partition, block_ms=1000)
                for entry in entries:
                    if leaving.is_set():
                        break  # left pending: the next holder reads it first
                    await self._handle(partition, entry, leaving)
                delay = 0.5
            except RedisError as error:
                logger.error("partition %d: redis: %s", partition, type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_delay_s)
                if "NOGROUP" in str(error):
                    # Redis restarted without its data: recreate the groups; the
                    # sweeper re-enqueues what the lost streams held.
                    await self._ensure_groups()
        with contextlib.suppress(RedisError):
            await self.queue.release(partition, self.owner)
        logger.info("worker %s: handed partition %d over", self.owner, partition)

    async def _handle(
        self, partition: int, entry: Entry, leaving: asyncio.Event | None = None
    ) -> None:
        """Handles one entry, retrying while Rasa/LINE/the database are unavailable.

        A failure while Rasa and the action server are healthy is a strike against the
        message itself; after `dead_letter_after` strikes it goes to the dead letters, so
        one poison message never holds up the other citizens of its partition. When the
        partition goes to another worker (`leaving`) between tries, the entry is left
        pending for it.
        """
        delay = 1.0
        strikes = 0
        while entry.event_id is not None:
            started = time.perf_counter()
            try:
                if entry.kind == "outbox":
                    outcome = await self.handler.send_outbox(entry.event_id)
                else:
                    outcome = await self.handler.handle(entry.event_id)
            # PoolTimeout: every connection of DB_POOL_SIZE + DB_MAX_OVERFLOW was busy for
            # 30 s, an outage of the database's capacity, never the message's fault.
            except (RetryLater, OperationalError, PoolTimeout) as error:
                if entry.kind == "event" and await self._blames_message(error):
                    strikes += 1
                    if strikes >= self.settings.dead_letter_after:
                        logger.error(
                            "event %s: dead letter after %d failures while rasa is healthy",
                            entry.event_id,
                            strikes,
                        )
                        metrics.EVENTS_HANDLED.labels(outcome="dead_letter").inc()
                        await self._give_up(entry.event_id, f"dead letter: {error}")
                        break
                logger.warning(
                    "event %s: retry in %.0fs (%s)", entry.event_id, delay, type(error).__name__
                )
                if leaving is None:
                    await asyncio.sleep(delay)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(leaving.wait(), delay)
                    if leaving.is_set():
                        return  # not acknowledged: the partition's next holder retries it
                delay = min(delay * 2, self.settings.retry_max_delay_s)
                continue
            except Exception:  # a bug must not block every citizen of the partition
                logger.exception("%s %s: failed", entry.kind, entry.event_id)
                metrics.EVENTS_HANDLED.labels(outcome="failed").inc()
                if entry.kind == "event":
                    await self._give_up(entry.event_id, "unexpected error")
                break
            metrics.EVENTS_HANDLED.labels(outcome=outcome).inc()
            metrics.HANDLING_LATENCY.observe(time.perf_counter() - started)
            break
        await self.queue.ack(partition, entry.entry_id)

    async def _blames_message(self, error: Exception) -> bool:
        """Whether Rasa failed on this message while Rasa and its actions are healthy."""
        if not isinstance(error.__cause__, RasaUnavailable):
            return False  # LINE or the database: everybody's outage, never the message's
        if error.__cause__.reason == "timeout":
            # Rasa's load, or the conversation's lock left by a Rasa server killed
            # mid-turn (freed after Rasa's ticket lifetime, 60 s): not the message.
            return False
        rasa_ok, _ = await self.handler.rasa.ready()
        if not rasa_ok:
            return False
        url = self.settings.action_server_url.rsplit("/webhook", 1)[0] + "/health"
        try:
            async with httpx.AsyncClient(timeout=2.0) as http:
                return (await http.get(url)).status_code == 200
        except httpx.HTTPError:
            return False

    async def _give_up(self, event_id: int, reason: str) -> None:
        """Marks the event failed (a dead letter admins can retry) and tells the citizen."""
        event = await asyncio.to_thread(store.load, self.sessions, event_id)
        await asyncio.to_thread(store.finish, self.sessions, event_id, "failed", reason)
        if event is not None and event.line_user_id and event.source_type == "user":
            retry_key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"desk:failed:{event_id}"))
            try:
                await self.handler.channel.push(
                    event.line_user_id, [{"type": "text", "text": messages.FAILED}], retry_key
                )
            except Exception:  # noqa: BLE001 - best effort on top of a logged failure
                logger.exception("event %s: failure notice not sent", event_id)

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            try:
                await self.sweep()
            except (RedisError, OperationalError) as error:
                logger.error("sweeper: %s", type(error).__name__)

    async def sweep(self) -> int:
        """Re-enqueues stored events that no queue entry will bring to a worker."""
        now = utcnow()

        def find() -> list[tuple[str, int, datetime]]:
            with self.sessions() as session:
                lost = service.list_unfinished(
                    session=session, statuses=("received",), older_than=now - SWEEP_RECEIVED_AFTER
                ) + service.list_unfinished(
                    session=session,
                    statuses=("processing", "answered"),
                    older_than=now - SWEEP_STUCK_AFTER,
                )
                return [
                    (service.partition_key(e.payload), e.id, aware(e.received_at)) for e in lost
                ]

        found = await asyncio.to_thread(find)
        # An event with an entry as old as itself still in its partition may be waiting
        # there (a backlog, not a loss: queued again it would only be handled twice, and
        # with every worker sweeping, a surge would feed on itself).
        oldest = await self.queue.oldest()
        items = [
            (key, event_id)
            for key, event_id, received in found
            if oldest.get(self.queue.partition_of(key), math.inf)
            > received.timestamp() + QUEUED_WITHIN_S
        ]
        await self.queue.publish(items)
        if items:
            logger.info("sweeper: re-enqueued %d events", len(items))
        notices = await asyncio.to_thread(
            store.lost_outbox, self.sessions, now - SWEEP_RECEIVED_AFTER
        )
        await self.queue.publish_outbox(notices)
        if notices:
            logger.info("sweeper: re-enqueued %d notices", len(notices))
        closed = await asyncio.to_thread(self._close_expired)
        await self.queue.publish_outbox([(n.line_user_id, n.outbound_id) for n in closed])
        return len(items) + len(notices)

    def _close_expired(self) -> list[tickets.Notice]:
        """Closes resolved tickets whose reopen window has passed (with their notices)."""
        with unit_of_work(self.sessions) as session:
            return tickets.close_expired(
                session, window=timedelta(days=self.settings.reopen_window_days)
            )

    async def _publish(self, queue: str, event: dict[str, Any]) -> None:
        """A live update for the consoles watching `queue`."""
        await live.publish(self.redis, self.settings.redis_prefix, queue, event)

    async def _forget(self, line_user_id: str) -> None:
        """Deletes Rasa's tracker of this citizen and its remembered turns (same Redis,
        the key layout of Rasa and nlu/tracker.py)."""
        prefix = f"{self.settings.redis_prefix}rasa:"
        keys = [f"{prefix}tracker:{line_user_id}"]
        keys += [key async for key in self.redis.scan_iter(f"{prefix}turn:{line_user_id}:*")]
        await self.redis.delete(*keys)
