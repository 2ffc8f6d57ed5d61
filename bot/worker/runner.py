"""The worker process: partition leases, one consumer loop per held partition, a sweeper."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from bot import live, messages, metrics
from bot.config import Settings
from bot.db import make_engine, make_sessionmaker, migrate, unit_of_work, utcnow
from bot.line import service
from bot.line.client import LineChannel
from bot.queue import Entry, EventQueue
from bot.tickets import service as tickets
from bot.worker import store
from bot.worker.handler import Handler, RetryLater
from bot.worker.rasa import RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

LEASE_TTL_MS = 6000
SWEEP_EVERY_S = 30.0
# Stored events never picked up (enqueue failed, Redis lost its streams) are re-enqueued.
SWEEP_RECEIVED_AFTER = timedelta(seconds=60)
SWEEP_STUCK_AFTER = timedelta(minutes=10)


def heartbeat_key(prefix: str) -> str:
    """Sorted set of worker ids by their last heartbeat (seconds since the epoch)."""
    return f"{prefix}:workers"


class Worker:
    """Runs until cancelled."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.owner = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.tasks: dict[int, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Starts the clients, then leases, consumes and sweeps until cancelled."""
        settings = self.settings
        await asyncio.to_thread(migrate, settings.database_url)
        engine = make_engine(settings.database_url)
        self.sessions = make_sessionmaker(engine)
        self.redis = Redis.from_url(settings.redis_url)
        self.queue = EventQueue(
            self.redis, prefix=settings.redis_prefix, partitions=settings.queue_partitions
        )
        channel = LineChannel(settings)
        rasa = RasaClient(
            base_url=settings.rasa_url, token=settings.rasa_token, timeout_s=settings.rasa_timeout_s
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
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            for partition in list(self.tasks):
                try:
                    await self.queue.release(partition, self.owner)
                except RedisError:
                    pass
            try:
                await self.redis.zrem(heartbeat_key(settings.redis_prefix), self.owner)
            except RedisError:
                pass
            await channel.close()
            await rasa.close()
            await self.redis.aclose()
            engine.dispose()
            logger.info("worker %s stopped", self.owner)

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
                await self.redis.zadd(
                    heartbeat_key(self.settings.redis_prefix), {self.owner: time.time()}
                )
                for partition in range(self.settings.queue_partitions):
                    held = await self.queue.acquire(partition, self.owner, LEASE_TTL_MS)
                    task = self.tasks.get(partition)
                    if held and (task is None or task.done()):
                        self.tasks[partition] = asyncio.create_task(self._consume(partition))
                    elif not held and task is not None:
                        task.cancel()
                        del self.tasks[partition]
            except RedisError as error:
                logger.error("worker: redis unavailable for leases: %s", type(error).__name__)
            await asyncio.sleep(self.settings.worker_heartbeat_s)

    async def _consume(self, partition: int) -> None:
        delay = 0.5
        while True:
            try:
                entries = await self.queue.read(partition, block_ms=1000)
                for entry in entries:
                    await self._handle(partition, entry)
                delay = 0.5
            except RedisError as error:
                logger.error("partition %d: redis: %s", partition, type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.retry_max_delay_s)
                if "NOGROUP" in str(error):
                    # Redis restarted without its data: recreate the groups; the
                    # sweeper re-enqueues what the lost streams held.
                    await self._ensure_groups()

    async def _handle(self, partition: int, entry: Entry) -> None:
        """Handles one entry, retrying while Rasa/LINE/the database are unavailable.

        A failure while Rasa and the action server are healthy is a strike against the
        message itself; after `dead_letter_after` strikes it goes to the dead letters, so
        one poison message never holds up the other citizens of its partition.
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
            except (RetryLater, OperationalError) as error:
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
                await asyncio.sleep(delay)
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

        def find() -> list[tuple[str, int]]:
            with self.sessions() as session:
                lost = service.list_unfinished(
                    session=session, statuses=("received",), older_than=now - SWEEP_RECEIVED_AFTER
                ) + service.list_unfinished(
                    session=session,
                    statuses=("processing", "answered"),
                    older_than=now - SWEEP_STUCK_AFTER,
                )
                return [(service.partition_key(e.payload), e.id) for e in lost]

        items = await asyncio.to_thread(find)
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
