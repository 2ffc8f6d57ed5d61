"""Nothing is lost when Redis is down: webhooks are stored, the sweeper enqueues later."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any
from zlib import crc32

import pytest
from fastapi.testclient import TestClient
from redis.asyncio import Redis
from sqlalchemy import select, update

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker, utcnow
from bot.line.models import InboundEvent
from bot.main import create_app
from bot.queue import EventQueue
from bot.worker import runner
from bot.worker.runner import Worker
from tests.support import factories
from tests.support.stack import free_port, sign, stored_events, user_id


def test_redis_down_webhooks_are_stored_then_swept_into_the_queue(
    settings: Settings, webhook_samples: list[dict]
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    events = webhook_samples[:2]
    body = json.dumps({"destination": "U1", "events": events}).encode()
    with TestClient(create_app(down)) as client:
        response = client.post(
            "/line/webhook",
            content=body,
            headers={"X-Line-Signature": sign(settings.line_channel_secret, body)},
        )
        assert response.status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["components"]["gateway"]["redis"]["ok"] is False

    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    ids = [e["webhookEventId"] for e in events]
    with sessions.begin() as session:
        rows = list(
            session.scalars(select(InboundEvent).where(InboundEvent.webhook_event_id.in_(ids)))
        )
        assert [r.status for r in rows] == ["received", "received"]
        session.execute(
            update(InboundEvent)
            .where(InboundEvent.webhook_event_id.in_(ids))
            .values(received_at=utcnow() - timedelta(minutes=5))
        )

    async def sweep() -> tuple[int, int]:
        worker = Worker(settings)
        worker.sessions = sessions
        worker.redis = Redis.from_url(settings.redis_url)
        worker.queue = EventQueue(worker.redis, prefix=settings.redis_prefix, partitions=8)
        await worker.queue.ensure_groups()
        try:
            swept = await worker.sweep()
            return swept, (await worker.queue.depth()).waiting
        finally:
            await worker.redis.aclose()

    swept, waiting = asyncio.run(sweep())
    assert swept >= 2 and waiting >= 2
    engine.dispose()


def test_the_sweeper_queues_again_what_redis_lost_but_never_a_waiting_backlog(
    settings: Settings, own_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With several workers each sweeping, re-queuing events that merely wait behind a
    backlog would multiply a surge; only an event with no entry left is queued again."""
    settings = settings.model_copy(update={"database_url": own_database})
    monkeypatch.setattr(runner, "SWEEP_RECEIVED_AFTER", timedelta(0))
    waiting = user_id()
    lost = next(
        u for u in iter(user_id, None) if crc32(u.encode()) % 8 != crc32(waiting.encode()) % 8
    )
    events = [text_event(waiting), text_event(lost)]
    body = json.dumps({"destination": "U1", "events": events}).encode()
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/line/webhook",
            content=body,
            headers={"X-Line-Signature": sign(settings.line_channel_secret, body)},
        )
        assert response.status_code == 200

    async def sweep() -> dict[str, list[int | None]]:
        worker = Worker(settings)
        engine = make_engine(settings.database_url)
        worker.sessions = make_sessionmaker(engine)
        worker.redis = Redis.from_url(settings.redis_url)
        worker.queue = EventQueue(worker.redis, prefix=settings.redis_prefix, partitions=8)
        try:
            # Redis lost the second citizen's entry (a fail-over to a lagging replica).
            stream = worker.queue.stream(worker.queue.partition_of(lost))
            await worker.redis.xtrim(stream, maxlen=0)
            await worker.sweep()
            return {
                user: [
                    e.event_id
                    for e in await worker.queue.read(worker.queue.partition_of(user), block_ms=1)
                ]
                for user in (waiting, lost)
            }
        finally:
            await worker.redis.aclose()
            engine.dispose()

    queued = asyncio.run(sweep())
    rows = stored_events(settings.database_url, [e["webhookEventId"] for e in events])
    waiting_id, lost_id = (rows[e["webhookEventId"]].id for e in events)
    assert queued == {waiting: [waiting_id], lost: [lost_id]}


def text_event(user: str) -> dict[str, Any]:
    """A citizen's text message event."""
    return factories.text_event(user, tag="SW")
