"""A message Rasa keeps failing on while healthy is a dead letter, not a blocked partition.

The worker runs in-process against the real PostgreSQL, Redis and LINE stand-in; Rasa's
desk channel is played by a small app that fails on one message (Rasa itself has no
message that fails on demand), so the worker's policy is what is tested.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.console.auth import COOKIE, csrf_for
from bot.dev.standin.app import create_app as create_standin
from bot.line import service
from bot.line.models import InboundEvent
from bot.main import create_app
from bot.worker.runner import Worker
from tests.support import factories
from tests.support.stack import Served, new_staff_token, sign, stored_events, user_id

POISON = "ข้อความนี้ทำให้ระบบล้ม"
# Answered only after the worker gave up waiting, three times over.
SLOW = "ข้อความนี้ตอบช้า"


def fake_rasa(seen: list[str]) -> FastAPI:
    """Rasa's desk channel and status, failing (503) on the poison message only."""
    app = FastAPI()

    @app.post("/webhooks/desk/webhook")
    async def webhook(request: Request) -> Any:
        body = await request.json()
        seen.append(body["message"])
        if body["message"] == SLOW and seen.count(SLOW) <= 3:
            await asyncio.sleep(1.0)
        if body["message"] == POISON:
            return JSONResponse({"error": "handling_failed", "detail": "KeyError"}, 503)
        return [{"recipient_id": body["sender"], "text": "ได้รับข้อความแล้วค่ะ"}]

    @app.get("/status")
    async def status() -> dict[str, str]:
        return {"model_file": "desk.tar.gz"}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def same_partition(user: str, partitions: int = 8) -> str:
    """Another user id whose events land in the same partition as `user`'s."""
    target = zlib.crc32(user.encode()) % partitions
    while True:
        other = user_id()
        if zlib.crc32(other.encode()) % partitions == target:
            return other


def text_event(user: str | None, text: str) -> dict[str, Any]:
    return factories.text_event(user, text, tag="DL")


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[tuple[Settings, list[str], str]]:
    async with worker_beside_fakes(settings) as running:
        yield running


@asynccontextmanager
async def worker_beside_fakes(
    settings: Settings, **overrides: Any
) -> AsyncIterator[tuple[Settings, list[str], str]]:
    """A worker in-process against the fake Rasa and the LINE stand-in: its settings,
    the messages Rasa saw, the stand-in's address."""
    seen: list[str] = []
    with Served(fake_rasa(seen)) as rasa, Served(create_standin(settings)) as line:
        tuned = settings.model_copy(
            update={
                "rasa_url": rasa.base_url,
                "action_server_url": f"{rasa.base_url}/webhook",
                "line_api_base": line.base_url,
                "line_api_data_base": line.base_url,
                "retry_max_delay_s": 0.2,
                "dead_letter_after": 3,
                **overrides,
            }
        )
        worker = Worker(tuned)
        task = asyncio.create_task(worker.run())
        try:
            yield tuned, seen, line.base_url
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def post(client: TestClient, settings: Settings, events: list[dict[str, Any]]) -> None:
    body = json.dumps({"destination": "Udesk", "events": events}, ensure_ascii=False).encode()
    signature = sign(settings.line_channel_secret, body)
    response = client.post("/line/webhook", content=body, headers={"X-Line-Signature": signature})
    assert response.status_code == 200


def sign_in_admin(client: TestClient, settings: Settings) -> dict[str, str]:
    """A console session of a new admin in the client's cookies; the CSRF header."""
    token = new_staff_token(settings.database_url)
    client.cookies.set(COOKIE, token)
    return {"X-CSRF-Token": csrf_for(settings.session_secret, token)}


async def statuses(settings: Settings, ids: list[str]) -> dict[str, InboundEvent]:
    return await asyncio.to_thread(stored_events, settings.database_url, ids)


async def wait_statuses(
    settings: Settings, wanted: dict[str, str], timeout: float = 60
) -> dict[str, InboundEvent]:
    deadline = time.monotonic() + timeout
    found: dict[str, InboundEvent] = {}
    while time.monotonic() < deadline:
        found = await statuses(settings, list(wanted))
        if {k: v.status for k, v in found.items()} == wanted:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"statuses { ({k: v.status for k, v in found.items()}) } != {wanted}")


async def test_a_poison_message_is_dead_lettered_and_others_are_answered(
    running: tuple[Settings, list[str], str],
) -> None:
    settings, seen, line = running
    citizen = user_id()
    neighbour = same_partition(citizen)
    poison = text_event(citizen, POISON)
    after = text_event(neighbour, "สวัสดีค่ะ")
    nobody = text_event(None, "ข้อความที่ไม่มีผู้ส่ง")
    with TestClient(create_app(settings)) as client:
        post(client, settings, [poison, nobody])
        post(client, settings, [after])
        rows = await wait_statuses(
            settings,
            {
                poison["webhookEventId"]: "failed",
                after["webhookEventId"]: "done",
                nobody["webhookEventId"]: "skipped",
            },
        )
        assert (rows[poison["webhookEventId"]].error or "").startswith("dead letter")
        # Tried exactly as many times as allowed, never again; the sourceless one never.
        assert seen.count(POISON) == 3
        assert "ข้อความที่ไม่มีผู้ส่ง" not in seen
        # The citizen was told the truth: delayed first, then that staff will look.
        told = httpx.get(f"{line}/__messages", params={"userId": citizen}).json()
        texts = [m["message"]["text"] for m in told]
        assert any("ขัดข้องชั่วคราว" in t for t in texts)
        assert any("เจ้าหน้าที่จะตรวจสอบ" in t for t in texts)

        # Admins see it in the console and in /metrics, and can send it back.
        assert "desk_dead_letters{} " not in client.get("/metrics").text
        assert any(
            line.startswith("desk_dead_letters ") and float(line.split()[1]) >= 1
            for line in client.get("/metrics").text.splitlines()
        )
        dead_id = rows[poison["webhookEventId"]].id
        api = sign_in_admin(client, settings)
        page = client.get("/console/dead-letters")
        assert page.status_code == 200 and f'data-event="{dead_id}"' in page.text
        assert POISON not in page.text
        listed = client.get("/console/api/dead-letters").json()["dead_letters"]
        assert dead_id in [letter["id"] for letter in listed]
        assert POISON not in json.dumps(listed, ensure_ascii=False)  # never the words
        retried = client.post(f"/console/api/dead-letters/{dead_id}/retry", headers=api)
        assert retried.status_code == 200
        again = client.post(f"/console/api/dead-letters/{dead_id}/retry", headers=api)
        assert again.status_code == 404  # already back in the queue
        await wait_statuses(settings, {poison["webhookEventId"]: "failed"}, timeout=60)
        assert seen.count(POISON) == 6
    assert service.partition_key(nobody) == "no-source"


async def test_a_message_rasa_is_slow_to_answer_is_retried_never_dead_lettered(
    settings: Settings,
) -> None:
    """A timeout is Rasa's load, or a conversation lock left by a Rasa server killed
    mid-turn (freed after a minute), never the message's fault: no strike."""
    async with worker_beside_fakes(settings, rasa_timeout_s=0.3) as (tuned, seen, _):
        slow = text_event(user_id(), SLOW)
        with TestClient(create_app(tuned)) as client:
            post(client, tuned, [slow])
            await wait_statuses(tuned, {slow["webhookEventId"]: "done"})
    assert seen.count(SLOW) >= 4  # more timeouts than DEAD_LETTER_AFTER, then answered
