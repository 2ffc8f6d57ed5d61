"""A Redis that stalls (SIGSTOP) holds neither the webhook's 200 nor /healthz."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from sqlalchemy import select

from bot.config import Settings
from bot.db import make_engine, make_sessionmaker
from bot.line.models import InboundEvent
from bot.main import create_app
from bot.queue import EventQueue
from tests.support.stack import Served, free_port, sign, start_redis, wait_for

pytestmark = pytest.mark.processes


@pytest.fixture
def settings(settings: Settings, own_database: str) -> Settings:
    """This module's events go to a database of their own (conftest's own_database)."""
    return settings.model_copy(update={"database_url": own_database})


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    server = start_redis(port, tmp_path)
    yield f"redis://127.0.0.1:{port}/0", server
    server.send_signal(signal.SIGCONT)
    server.terminate()
    server.wait(10)


def test_webhooks_are_stored_and_answered_while_redis_stalls(
    settings: Settings,
    own_redis: tuple[str, subprocess.Popen[bytes]],
    webhook_samples: list[dict],
) -> None:
    url, server = own_redis
    tuned = settings.model_copy(update={"redis_url": url})
    event = dict(webhook_samples[0], webhookEventId="01STALL" + uuid.uuid4().hex.upper())
    body = json.dumps({"destination": "Udesk", "events": [event]}).encode()
    with Served(create_app(tuned)) as gateway:
        server.send_signal(signal.SIGSTOP)
        try:
            started = time.monotonic()
            response = httpx.post(
                f"{gateway.base_url}/line/webhook",
                content=body,
                headers={"X-Line-Signature": sign(tuned.line_channel_secret, body)},
                timeout=30,
            )
            answered = time.monotonic() - started
            health = httpx.get(f"{gateway.base_url}/healthz", timeout=30)
            health_took = time.monotonic() - started - answered
        finally:
            server.send_signal(signal.SIGCONT)
    assert response.status_code == 200
    assert answered < 5  # LINE waits a few seconds at most; Redis stalled far longer
    assert health.status_code == 503 and health_took < 8
    engine = make_engine(tuned.database_url)
    with make_sessionmaker(engine)() as session:
        stored = session.scalar(
            select(InboundEvent.status).where(
                InboundEvent.webhook_event_id == event["webhookEventId"]
            )
        )
    engine.dispose()
    assert stored == "received"  # kept, for the sweeper to enqueue


def test_events_stored_while_redis_was_down_are_queued_in_order_once_it_is_back(
    settings: Settings, tmp_path: Path, webhook_samples: list[dict]
) -> None:
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    tuned = settings.model_copy(update={"redis_url": url})
    server = start_redis(port, tmp_path)
    user = "U" + uuid.uuid4().hex
    events = []
    for n in range(3):
        event = json.loads(json.dumps(webhook_samples[0]))
        event["webhookEventId"] = f"01DOWN{n}" + uuid.uuid4().hex.upper()
        event["source"] = {"type": "user", "userId": user}
        events.append(event)
    with Served(create_app(tuned)) as gateway:
        server.terminate()
        server.wait(10)
        for event in events:  # one webhook each, while Redis is gone
            body = json.dumps({"destination": "Udesk", "events": [event]}).encode()
            response = httpx.post(
                f"{gateway.base_url}/line/webhook",
                content=body,
                headers={"X-Line-Signature": sign(tuned.line_channel_secret, body)},
                timeout=30,
            )
            assert response.status_code == 200
        server = start_redis(port, tmp_path)
        try:
            client = redis.Redis.from_url(url)
            stream = EventQueue(cast(Any, client), prefix=tuned.redis_prefix, partitions=8).stream(
                zlib.crc32(user.encode()) % 8
            )
            entries = wait_for(
                lambda: len(found := cast(list[Any], client.xrange(stream))) == 3 and found,
                15,
                "the stored events to be queued",
            )
            client.close()
        finally:
            server.terminate()
            server.wait(10)
    engine = make_engine(tuned.database_url)
    with make_sessionmaker(engine)() as session:
        ids = [
            session.scalar(
                select(InboundEvent.id).where(InboundEvent.webhook_event_id == e["webhookEventId"])
            )
            for e in events
        ]
    engine.dispose()
    assert [int(fields[b"event"]) for _, fields in entries] == ids  # in the citizen's order
