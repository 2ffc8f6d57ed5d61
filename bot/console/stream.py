"""The console's live stream (server-sent events relayed from Redis pub/sub, so a
citizen's message reaches every gateway process's consoles) and the round-robin
assignment of waiting conversations to agents whose console is open."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.sse import EventSourceResponse, ServerSentEvent
from redis.exceptions import RedisError

from bot import live
from bot.console import auth as console_auth
from bot.console.auth import ConsoleStaffDep
from bot.deps import ContextDep
from bot.handoff import flows

if TYPE_CHECKING:
    from bot.context import Context

logger = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

STREAM_TICK_S = 5.0


async def assign_round_robin(context: Context, queue_id: str) -> None:
    """Gives waiting conversations of the queue to online agents with room (one assigner
    per queue across processes), telling each citizen who took them."""
    settings = context.settings
    if not settings.handoff_auto_assign:
        return
    try:
        online = await live.online(context.redis, settings.redis_prefix)
        if not online:
            return
        async with live.assignment_lock(context.redis, settings.redis_prefix, queue_id):
            await context.transaction(lambda s: flows.auto_assign(s, queue_id, online))
    except RedisError as error:
        logger.warning("auto-assignment skipped (%s)", type(error).__name__)
    except Exception as error:  # noqa: BLE001 - a lock timeout must not end the stream
        logger.warning("auto-assignment skipped (%s)", type(error).__name__)


@router.get("/console/api/stream", response_class=EventSourceResponse)
async def stream(
    request: Request, context: ContextDep, staff: ConsoleStaffDep
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: queue changes and new messages of the staff member's queues."""
    redis = context.redis
    prefix = context.settings.redis_prefix
    pubsub = redis.pubsub()
    patterns = live.scope_patterns(prefix, staff.scope)
    own_queue = staff.agency_id if staff.role == "agent" else None
    try:
        if patterns:
            await pubsub.psubscribe(*patterns)
        await live.mark_online(redis, prefix, staff.id)
        if own_queue:
            await assign_round_robin(context, own_queue)
        yield ServerSentEvent(event="ready", data={"staff_id": staff.id})
        last_tick = asyncio.get_running_loop().time()
        while not await request.is_disconnected():
            message = (
                await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if patterns
                else None
            )
            now = asyncio.get_running_loop().time()
            if now - last_tick >= STREAM_TICK_S:
                last_tick = now
                # Signed out, expired or disabled since the stream opened: stop at once.
                if await run_in_threadpool(console_auth.page_staff, request) is None:
                    break
                await live.mark_online(redis, prefix, staff.id)
                if own_queue:
                    await assign_round_robin(context, own_queue)
            if message is None:
                if not patterns:
                    await asyncio.sleep(1.0)
                continue
            if await run_in_threadpool(console_auth.page_staff, request) is None:
                break  # never a citizen's words to a session that has ended
            data = json.loads(message["data"])
            if data.get("type") == "queue" and own_queue:
                await assign_round_robin(context, own_queue)
            yield ServerSentEvent(event=str(data.get("type") or "message"), data=data)
    except RedisError as error:
        logger.warning("console stream ended: redis %s", type(error).__name__)
    finally:
        with contextlib.suppress(Exception):
            await live.mark_offline(redis, prefix, staff.id)
        with contextlib.suppress(Exception):
            await pubsub.aclose()
