"""Live console updates over Redis: pub/sub per queue, agents online, assignment lock.

Any process (worker, action server, gateway) publishes; every gateway process relays
what its signed-in agents may see to their browsers (server-sent events). Redis is only
the messenger: the database stays the record, and a console that missed an event
catches up by reloading the queue.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

# An agent whose console has not been heard from for this long is offline.
ONLINE_TTL_S = 30.0


def channel(prefix: str, queue: str) -> str:
    """The pub/sub channel of one queue (an agency id)."""
    return f"{prefix}console:q:{queue}"


def all_channels(prefix: str) -> str:
    """The pattern of every queue's channel (admins see all)."""
    return f"{prefix}console:q:*"


def scope_patterns(prefix: str, scope: Sequence[str] | None) -> list[str]:
    """The channel patterns of a staff member's scope (bot.staff.scope): every queue for
    admins, else each agency's own channel and its sub-agencies' ("bma-*")."""
    if scope is None:
        return [all_channels(prefix)]
    return [p for a in scope for p in (channel(prefix, a), channel(prefix, a) + "-*")]


def _online_key(prefix: str) -> str:
    return f"{prefix}console:online"


PENDING = "console_updates"


def after_commit(session: Session, queues: str | Iterable[str], event: dict[str, Any]) -> None:
    """Tells the consoles of `queues` about `event` once the session's transaction commits
    (bot.context publishes it), never for a change that rolled back."""
    found = session.info.setdefault(PENDING, [])
    for queue in [queues] if isinstance(queues, str) else sorted(set(queues)):
        found.append((queue, event))


def pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The console updates the transaction holds for after its commit."""
    found: list[tuple[str, dict[str, Any]]] = session.info.get(PENDING, [])
    return found


async def publish(redis: Redis, prefix: str, queue: str, event: dict[str, Any]) -> None:
    """Tells consoles watching `queue` about a change; a Redis failure is only logged."""
    try:
        await redis.publish(channel(prefix, queue), json.dumps(event, ensure_ascii=False))
    except RedisError as error:
        logger.warning("console update not published (%s)", type(error).__name__)


async def mark_online(redis: Redis, prefix: str, staff_id: int) -> None:
    """Records that an agent's console is open now."""
    await redis.zadd(_online_key(prefix), {str(staff_id): time.time()})


async def mark_offline(redis: Redis, prefix: str, staff_id: int) -> None:
    """The agent's console closed."""
    await redis.zrem(_online_key(prefix), str(staff_id))


async def online(redis: Redis, prefix: str) -> list[int]:
    """Agents whose console was open within the last ONLINE_TTL_S seconds."""
    key = _online_key(prefix)
    now = time.time()
    await redis.zremrangebyscore(key, "-inf", now - ONLINE_TTL_S)
    members = await redis.zrangebyscore(key, now - ONLINE_TTL_S, "+inf")
    return [int(str(m.decode() if isinstance(m, bytes) else m)) for m in members]


def assignment_lock(redis: Redis, prefix: str, queue: str) -> Any:
    """One assigner per queue at a time, across gateway processes (capacity holds)."""
    return redis.lock(f"{prefix}console:assign:{queue}", timeout=10, blocking_timeout=2)
