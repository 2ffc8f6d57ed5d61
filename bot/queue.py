"""The durable event queue: Redis Streams with consumer groups, partitioned by citizen.

Every citizen's events go to one partition (a stream), and each partition is consumed
by one worker at a time (a lease in Redis), one event after another: a citizen's
messages are answered in order while different citizens are served in parallel.
Entries stay in the group's pending list until acknowledged, and the consumer name is
the partition's, so a worker that crashed mid-event leaves the entry for whoever holds
the partition next. The database stays the source of truth: entries carry only the
stored event's id, and a sweeper re-enqueues stored events whose entry was lost.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.orm import Session

GROUP = "workers"
STREAM_MAXLEN = 100_000

# Extend a lease only if we still hold it.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


@dataclass(frozen=True)
class Entry:
    """One queued item: stream entry id and the stored event's (or outbox row's) id."""

    entry_id: str
    event_id: int | None  # None: the entry was trimmed away; just acknowledge it
    # "event": a webhook event; "outbox": a stored notice to push (ticket updates),
    # queued in the citizen's partition so it never overtakes their conversation.
    kind: str = "event"


@dataclass(frozen=True)
class Depth:
    """Events waiting (undelivered + unacknowledged) and the age of the oldest."""

    waiting: int
    oldest_age_s: float


class EventQueue:
    """Partitioned Redis Streams queue of stored webhook events."""

    def __init__(self, redis: Redis, *, prefix: str, partitions: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.partitions = partitions

    def stream(self, partition: int) -> str:
        """Stream key of a partition."""
        return f"{self.prefix}:events:{partition}"

    def partition_of(self, key: str) -> int:
        """The partition of a citizen (or chat) key; stable across processes."""
        return zlib.crc32(key.encode()) % self.partitions

    async def ensure_groups(self) -> None:
        """Creates every partition's stream and consumer group if missing."""
        for partition in range(self.partitions):
            try:
                await self.redis.xgroup_create(self.stream(partition), GROUP, id="0", mkstream=True)
            except ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    async def publish(self, items: list[tuple[str, int]]) -> None:
        """Enqueues (partition key, event id) pairs in one round trip."""
        if not items:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, event_id in items:
                pipe.xadd(
                    self.stream(self.partition_of(key)),
                    {"event": str(event_id)},
                    maxlen=STREAM_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    async def publish_outbox(self, items: list[tuple[str, int]]) -> None:
        """Enqueues (LINE user id, outbound message id) notices in one round trip."""
        if not items:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key, outbound_id in items:
                pipe.xadd(
                    self.stream(self.partition_of(key)),
                    {"outbox": str(outbound_id)},
                    maxlen=STREAM_MAXLEN,
                    approximate=True,
                )
            await pipe.execute()

    async def read(self, partition: int, *, block_ms: int, count: int = 10) -> list[Entry]:
        """The partition's unacknowledged entries first, then new ones (blocking)."""
        stream = self.stream(partition)
        consumer = f"p{partition}"
        response = await self.redis.xreadgroup(GROUP, consumer, {stream: "0"}, count=count)
        entries = _entries(response)
        if entries:
            return entries
        response = await self.redis.xreadgroup(
            GROUP, consumer, {stream: ">"}, count=count, block=block_ms
        )
        return _entries(response)

    async def ack(self, partition: int, entry_id: str) -> None:
        """Acknowledges and deletes a handled entry."""
        stream = self.stream(partition)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()

    async def depth(self) -> Depth:
        """How many events wait in all partitions, and how old the oldest is (seconds)."""
        waiting = 0
        oldest_ms: int | None = None
        for partition in range(self.partitions):
            stream = self.stream(partition)
            # Acked entries are deleted, so whatever is left in the stream is waiting.
            length = await self.redis.xlen(stream)
            waiting += length
            if length:
                first = await self.redis.xrange(stream, count=1)
                if first:
                    stamp = int(_text(first[0][0]).split("-", 1)[0])
                    oldest_ms = stamp if oldest_ms is None else min(oldest_ms, stamp)
        age = 0.0 if oldest_ms is None else max(0.0, time.time() - oldest_ms / 1000)
        return Depth(waiting=waiting, oldest_age_s=age)

    async def oldest(self) -> dict[int, float]:
        """When the oldest entry still in each partition was queued (seconds since the
        epoch), for the partitions that hold any."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for partition in range(self.partitions):
                pipe.xrange(self.stream(partition), count=1)
            firsts = await pipe.execute()
        return {
            partition: int(_text(first[0][0]).split("-", 1)[0]) / 1000
            for partition, first in enumerate(firsts)
            if first
        }

    # Partition leases -------------------------------------------------------------

    def _lease_key(self, partition: int) -> str:
        return f"{self.prefix}:lease:{partition}"

    async def acquire(self, partition: int, owner: str, ttl_ms: int) -> bool:
        """Takes (or keeps) the partition for `owner`."""
        key = self._lease_key(partition)
        if await self.redis.set(key, owner, nx=True, px=ttl_ms):
            return True
        return await self.renew(partition, owner, ttl_ms)

    async def renew(self, partition: int, owner: str, ttl_ms: int) -> bool:
        """Keeps the partition for `owner` if it still holds it (never takes it)."""
        return bool(await self.redis.eval(_RENEW, 1, self._lease_key(partition), owner, ttl_ms))

    async def release(self, partition: int, owner: str) -> None:
        """Gives the partition back, if `owner` still holds it."""
        await self.redis.eval(_RELEASE, 1, self._lease_key(partition), owner)

    async def release_all(self, partitions: list[int], owner: str) -> None:
        """Gives these partitions back (those `owner` still holds), in one round trip."""
        if not partitions:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for partition in partitions:
                pipe.eval(_RELEASE, 1, self._lease_key(partition), owner)
            await pipe.execute()


def share(workers: list[str], partitions: int, owner: str) -> set[int]:
    """The partitions `owner` should hold while `workers` are alive: partition i goes to
    the (i mod n)-th worker by id, so every worker computes the same split (8 partitions
    over 3 workers: 3, 3 and 2). A worker joining or leaving changes who holds some
    partitions, never which partition a citizen's events go to."""
    ordered = sorted(set(workers))
    if owner not in ordered:
        return set()
    return {p for p in range(partitions) if ordered[p % len(ordered)] == owner}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(response: Any) -> list[Entry]:
    entries: list[Entry] = []
    # RESP2 answers [[stream, items]], RESP3 {stream: items}.
    streams = response.items() if isinstance(response, dict) else (response or [])
    for _stream, items in streams:
        for entry_id, fields in items:
            fields = {_text(k): _text(v) for k, v in (fields or {}).items()}
            kind = "outbox" if "outbox" in fields else "event"
            raw = fields.get(kind)
            event_id = None if raw is None else int(raw)
            entries.append(Entry(entry_id=_text(entry_id), event_id=event_id, kind=kind))
    return entries


PENDING = "queue_events"


def after_commit(session: Session, items: list[tuple[str, int]]) -> None:
    """Puts stored events (partition key, event id) on the queue once the session's
    transaction commits (bot.context); if Redis refuses, the sweeper enqueues them."""
    session.info.setdefault(PENDING, []).extend(items)


def pending(session: Session) -> list[tuple[str, int]]:
    """The events the transaction holds for after its commit."""
    found: list[tuple[str, int]] = session.info.get(PENDING, [])
    return found
