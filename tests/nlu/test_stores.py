"""Rasa's tracker and lock stores through Redis Sentinel (nlu/stores.py, nlu/tracker.py),
built from the project's endpoints.yml as Rasa builds them, across a fail-over."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from nlu.stores import DeskRedisLockStore
from nlu.tracker import DeskRedisTrackerStore
from tests.support.sentinel import SentinelSet, sentinel_set

ROOT = Path(__file__).resolve().parents[2]
ENDPOINTS = str(ROOT / "endpoints.yml")


@pytest.fixture
def redis_set(tmp_path: Path) -> Iterator[SentinelSet]:
    """A primary, its replica and one Sentinel, on free ports."""
    with sentinel_set(tmp_path / "redis") as found:
        yield found


def stores(monkeypatch: pytest.MonkeyPatch, sentinels: str, port: int) -> tuple[object, object]:
    """The tracker and lock stores as Rasa makes them from endpoints.yml."""
    for name, value in {
        "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook",
        "RASA_REDIS_HOST": "127.0.0.1",
        "RASA_REDIS_PORT": str(port),
        "RASA_REDIS_DB": "0",
        "RASA_REDIS_PASSWORD": "",
        "RASA_REDIS_PREFIX": "storetest",
        "RASA_REDIS_SENTINELS": sentinels,
        "RASA_REDIS_SENTINEL_SERVICE": "desk",
        "RASA_REDIS_SENTINEL_PASSWORD": "",
    }.items():
        monkeypatch.setenv(name, value)
    tracker_store = TrackerStore.create(
        read_endpoint_config(ENDPOINTS, "tracker_store"), Domain.empty()
    )
    lock_store = LockStore.create(read_endpoint_config(ENDPOINTS, "lock_store"))
    return tracker_store, lock_store


def said(sender: str, *texts: str) -> DialogueStateTracker:
    """A tracker in which the citizen said `texts`."""
    tracker = DialogueStateTracker(sender, slots=[])
    for text in texts:
        tracker.update(UserUttered(text))
    return tracker


def retried(action: object, timeout: float = 30) -> object:
    """`action()`, tried again while Redis answers errors (the switch itself)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()  # type: ignore[operator]
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_without_sentinels_the_stores_are_rasas_own_at_the_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker_store, lock_store = stores(monkeypatch, "", 6390)
    assert isinstance(tracker_store, DeskRedisTrackerStore)
    assert isinstance(lock_store, DeskRedisLockStore)
    for store in (tracker_store, lock_store):
        kwargs = store.red.connection_pool.connection_kwargs  # type: ignore[attr-defined]
        assert (kwargs["host"], int(kwargs["port"])) == ("127.0.0.1", 6390)


def test_the_stores_follow_the_primary_through_a_fail_over(
    redis_set: SentinelSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plain address is a port nobody listens on: only the Sentinel leads anywhere.
    tracker_store, lock_store = stores(monkeypatch, redis_set.sentinels, 1)
    assert isinstance(tracker_store, DeskRedisTrackerStore)
    assert isinstance(lock_store, DeskRedisLockStore)
    sender = "Ustores"
    asyncio.run(tracker_store.save(said(sender, "ถนนพัง")))
    tracker_store.remember_turn(sender, "m1", {"messages": []})
    assert lock_store.issue_ticket(sender) >= 0

    redis_set.fail_over()

    def next_turn() -> None:
        tracker = asyncio.run(tracker_store.retrieve(sender))
        assert tracker is not None  # the replica had it
        tracker.update(UserUttered("ที่ลาดพร้าว"))
        asyncio.run(tracker_store.save(tracker))

    retried(next_turn)
    found = asyncio.run(tracker_store.retrieve(sender))
    assert found is not None
    assert [e.text for e in found.events if isinstance(e, UserUttered)] == [
        "ถนนพัง",
        "ที่ลาดพร้าว",
    ]
    assert tracker_store.recall_turn(sender, "m1") == {"messages": []}
    assert retried(lambda: lock_store.issue_ticket(sender)) is not None
    new_primary = redis.Redis(port=redis_set.primary, decode_responses=True)
    try:
        assert new_primary.exists(f"storetest:tracker:{sender}")
    finally:
        new_primary.close()
