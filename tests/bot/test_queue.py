"""The partitioned Redis Streams queue, on the machine's Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.queue import EventQueue, share


@pytest.fixture
async def queue(redis_prefix: str) -> AsyncIterator[EventQueue]:
    redis = Redis.from_url("redis://127.0.0.1:6379/7")
    q = EventQueue(redis, prefix=f"{redis_prefix}:q{uuid.uuid4().hex[:6]}", partitions=4)
    await q.ensure_groups()
    yield q
    keys = [k async for k in redis.scan_iter(f"{q.prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_citizens_events_stay_in_one_partition_in_order(queue: EventQueue) -> None:
    await queue.publish([("Ualice", 1), ("Ubob", 2), ("Ualice", 3), ("Ualice", 4)])
    partition = queue.partition_of("Ualice")
    entries = await queue.read(partition, block_ms=10)
    alice = [e.event_id for e in entries if e.event_id in {1, 3, 4}]
    assert alice == [1, 3, 4]


async def test_unacknowledged_entries_come_back_first(queue: EventQueue) -> None:
    await queue.publish([("Ucarol", 10), ("Ucarol", 11)])
    partition = queue.partition_of("Ucarol")
    first = await queue.read(partition, block_ms=10, count=1)
    assert [e.event_id for e in first] == [10]
    # A worker that crashed now never acknowledged 10: the next read returns it again.
    again = await queue.read(partition, block_ms=10, count=1)
    assert [e.event_id for e in again] == [10]
    await queue.ack(partition, again[0].entry_id)
    then = await queue.read(partition, block_ms=10)
    assert [e.event_id for e in then] == [11]


async def test_depth_counts_waiting_and_acked_entries_leave(queue: EventQueue) -> None:
    assert (await queue.depth()).waiting == 0
    await queue.publish([("Udave", 20), ("Ueve", 21)])
    depth = await queue.depth()
    assert depth.waiting == 2 and depth.oldest_age_s >= 0
    for partition in range(queue.partitions):
        for entry in await queue.read(partition, block_ms=10):
            await queue.ack(partition, entry.entry_id)
    assert (await queue.depth()).waiting == 0


async def test_a_partition_lease_has_one_owner(queue: EventQueue) -> None:
    assert await queue.acquire(0, "w1", 5000)
    assert await queue.acquire(0, "w1", 5000)  # renewal
    assert not await queue.acquire(0, "w2", 5000)
    await queue.release(0, "w2")  # not the owner: nothing happens
    assert not await queue.acquire(0, "w2", 5000)
    await queue.release(0, "w1")
    assert await queue.acquire(0, "w2", 5000)


def test_partitions_are_shared_evenly_and_alike_by_every_worker() -> None:
    workers = ["w-b", "w-a", "w-c"]
    shares = [share(workers, 8, w) for w in workers]
    assert sorted(len(s) for s in shares) == [2, 3, 3]
    assert set().union(*shares) == set(range(8))
    assert sum(len(s) for s in shares) == 8  # no partition in two shares
    # Each worker computes the same split, whatever order it read the members in.
    assert share(list(reversed(workers)), 8, "w-a") == shares[1]
    assert share(workers, 8, "w-gone") == set()
    assert share(["w-a"], 8, "w-a") == set(range(8))


async def test_renewing_keeps_a_held_lease_and_never_takes_a_free_one(queue: EventQueue) -> None:
    assert not await queue.renew(1, "w1", 5000)  # free: a worker handing it over never retakes it
    assert await queue.acquire(1, "w1", 5000)
    assert await queue.renew(1, "w1", 5000)
    assert not await queue.renew(1, "w2", 5000)
